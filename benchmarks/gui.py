"""Desktop benchmarks on a 100,000-order demo register, printing ratios.

1. Cold start: `calnet-desk --smoke-test` vs benchmarks/bare_table.py (a bare PySide6
   script that opens the same SQLite file, reads the first 100 orders into a QTableWidget
   and shows it). Best of N runs each; target <= 1.5x.
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


def timed_run(argv: list[str]) -> tuple[float, int]:
    """(wall seconds, max RSS in KB) of one child process."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[0]} failed: {err}")
    return elapsed, int(usage.ru_maxrss)


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


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--orders", type=int, default=100_000)
    p.add_argument("--register", type=Path, help="an existing demo register to reuse")
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    tmp = None
    register = args.register
    if register is None or not (register / "register.sqlite3").exists():
        tmp = tempfile.TemporaryDirectory()
        register = register or Path(tmp.name) / "demo"
        print(f"building a {args.orders:,}-order demo register in {register} …")
        subprocess.run([str(BIN / "calnet-desk-cli"), "--data-dir", str(register), "demo",
                        "--orders", str(args.orders)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    app_runs = [timed_run([str(BIN / "calnet-desk"), "--data-dir", str(register),
                           "--smoke-test"]) for _ in range(args.runs)]
    bare_runs = [timed_run([sys.executable, str(ROOT / "benchmarks" / "bare_table.py"),
                            str(register / "register.sqlite3")]) for _ in range(args.runs)]
    app_t, bare_t = min(t for t, _ in app_runs), min(t for t, _ in bare_runs)
    app_m, bare_m = max(m for _, m in app_runs), max(m for _, m in bare_runs)
    print(f"cold start: calnet-desk --smoke-test {app_t:.3f} s, bare script {bare_t:.3f} s, "
          f"ratio {app_t / bare_t:.2f}x (target <= 1.5x)")
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
