"""Desktop benchmarks on a 100,000-order demo register, printing ratios.

1. Cold start: `calnet-desk --smoke-test` vs benchmarks/bare_table.py (a bare PySide6
   script that opens the same SQLite file, reads the first 100 orders into a QTableWidget
   and shows it), from launch to the line "first page shown" each prints once its table
   has been painted with its rows; the app's
   integrity check runs behind its window (its time to exit is printed too). Best of N
   runs each, alternating; target <= 1.5x.
2. Peak memory of those two processes (max RSS); target <= +150 MB.
3. Search-as-you-type: keystroke to updated view (model reset and the visible rows read)
   on the Orders page, for a rare and a common term; target <= 100 ms.

    .venv/bin/python benchmarks/gui.py [--orders 100000] [--register DIR] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def timed_run(argv: list[str]) -> tuple[float, float, int]:
    """(seconds to the first page shown, seconds to exit, max RSS in KB) of one child
    process. Both programs print "first page shown" once their table is painted with its
    rows; the app's integrity check goes on behind it, so the exit comes later."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: see compiled()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    shown = float("inf")
    for line in proc.stdout:
        if line.strip() == b"first page shown":
            shown = time.perf_counter() - start
            break
    proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0 or shown == float("inf"):
        raise SystemExit(f"{argv[0]} failed: {err}")
    return shown, elapsed, int(usage.ru_maxrss)


def compiled() -> None:
    """Byte-compile the app's own modules, as `pip install` does for an installed package
    and the frozen build does for its bundle (PySide6 in site-packages is compiled already):
    an editable checkout run with PYTHONDONTWRITEBYTECODE=1 would otherwise compile every
    module of the app at every start, which no installed copy does."""
    import compileall

    for package in ("calnet_desk", "ui"):
        compileall.compile_dir(ROOT / package, quiet=1)


def search_latency(register: Path, terms: list[str]) -> dict[str, float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtWidgets import QApplication

    from ui.app import make_app
    from ui.main_window import MainWindow
    from ui.session import Session
    from ui.settings import Settings

    make_app()
    app = QApplication.instance()
    assert app is not None
    with tempfile.TemporaryDirectory() as tmp:
        session = Session(register, read_only=True)
        window = MainWindow(session, Settings(Path(tmp) / "s.ini"))
        window.show()
        window.show_page("orders")
        page = window.pages["orders"]
        app.processEvents()
        out: dict[str, float] = {}
        for term in terms:
            best = float("inf")
            for _ in range(5):
                page.search.clear()
                app.processEvents()
                start = time.perf_counter()
                page.search.setText(term)  # the keystroke
                app.processEvents()  # the coalescing timer fires, the model resets
                for row in range(min(40, page.model.rowCount())):  # what the view paints
                    page.model.index(row, 0).data()
                best = min(best, time.perf_counter() - start)
            out[term] = best
            print(f"  search {term!r}: {page.model.total():,} matches, "
                  f"{best * 1000:.1f} ms")
        window.close()
    return out


def demo_register(register: Path | None, orders: int
                  ) -> tuple[Path, tempfile.TemporaryDirectory[str] | None]:
    """The demo register to measure: ``register`` when it holds one, else a demo of that
    many orders made there (or in a temporary folder, returned to be cleaned up)."""
    tmp = None
    if register is None or not (register / "register.sqlite3").exists():
        tmp = tempfile.TemporaryDirectory()
        register = register or Path(tmp.name) / "demo"
        print(f"building a {orders:,}-order demo register in {register} …")
        subprocess.run([str(BIN / "calnet-desk-cli"), "--data-dir", str(register), "demo",
                        "--orders", str(orders)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return register, tmp


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--orders", type=int, default=100_000)
    p.add_argument("--register", type=Path, help="an existing demo register to reuse")
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    register, tmp = demo_register(args.register, args.orders)
    compiled()
    app_runs, bare_runs = [], []
    for _ in range(args.runs):  # alternating, so that machine load hits both
        app_runs.append(timed_run([str(BIN / "calnet-desk"), "--data-dir", str(register),
                                   "--smoke-test"]))
        bare_runs.append(timed_run([sys.executable, str(ROOT / "benchmarks" / "bare_table.py"),
                                    str(register / "register.sqlite3")]))
    app_t, bare_t = min(r[0] for r in app_runs), min(r[0] for r in bare_runs)
    app_x, bare_x = min(r[1] for r in app_runs), min(r[1] for r in bare_runs)
    app_m, bare_m = max(r[2] for r in app_runs), max(r[2] for r in bare_runs)
    print(f"cold start (launch to the first page shown): calnet-desk {app_t:.3f} s, bare "
          f"script {bare_t:.3f} s, ratio {app_t / bare_t:.2f}x (target <= 1.5x)")
    print(f"  to exit (the app's integrity check done behind the window): calnet-desk "
          f"{app_x:.3f} s, bare script {bare_x:.3f} s, ratio {app_x / bare_x:.2f}x")
    print(f"peak memory: calnet-desk {app_m / 1024:.0f} MB, bare script {bare_m / 1024:.0f} MB,"
          f" difference {(app_m - bare_m) / 1024:+.0f} MB (target <= +150 MB)")
    with __import__("sqlite3").connect(register / "register.sqlite3") as conn:
        rare = conn.execute("SELECT circuit_id FROM orders WHERE circuit_id IS NOT NULL "
                            "ORDER BY request_number LIMIT 1").fetchone()[0]
    latencies = search_latency(register, [rare, "Sacramento"])
    worst = max(latencies.values())
    print(f"search-as-you-type: worst {worst * 1000:.1f} ms (target <= 100 ms)")
    if tmp:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
