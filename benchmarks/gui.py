"""Desktop benchmarks on a 100,000-order demo register, printing ratios.

1. Cold start, against benchmarks/bare_table.py (a bare PySide6 script that opens the same
   SQLite file, reads the first 100 orders into a QTableWidget and shows it), from launch to
   the line "first page shown" each prints once its table has been painted with its rows
   (with the CPU time of all its threads so far). Best of N runs each, alternating;
   target <= 1.5x. Two starts of the app are timed:
   - the real start, `calnet-desk --quit-after-first-page`: the start a person makes,
     through ui/controller.py (opens the register for writing, starts the writer thread,
     the drafts, the backup), on a copy of the register and with its own settings folder.
     The first start of a day makes the daily backup, so one untimed start comes first:
     the runs timed are the day's later starts. This is the ratio to quote.
   - the smoke test, `calnet-desk --smoke-test` (read-only, no controller); its integrity
     check runs behind its window, and its time to exit is printed too.
2. Peak memory of those processes (max RSS); target <= +150 MB.
3. Search-as-you-type: keystroke to updated view (model reset and the visible rows read)
   on the Orders page, for a rare and a common term; target <= 100 ms.

    .venv/bin/python benchmarks/gui.py [--orders 100000] [--register DIR] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@dataclass
class Run:
    shown: float  # seconds from launch to "first page shown"
    shown_cpu: float  # CPU seconds of the process (every thread) at that line
    exited: float  # seconds from launch to exit
    max_rss: int  # KB


def timed_run(argv: list[str], env_extra: dict[str, str] | None = None) -> Run:
    """One child process, timed to its line "first page shown" (printed once its table is
    painted with its rows, with its CPU time) and to its exit."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env_extra or {})}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: see compiled()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    shown, cpu = float("inf"), float("inf")
    for line in proc.stdout:
        found = re.fullmatch(rb"first page shown \(CPU ([0-9.]+) s\)", line.strip())
        if found:
            shown, cpu = time.perf_counter() - start, float(found[1])
            break
    proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0 or shown == float("inf"):
        raise SystemExit(f"{argv[0]} failed: {err}")
    return Run(shown, cpu, elapsed, int(usage.ru_maxrss))


def private_start(register: Path, tmp: Path) -> tuple[list[str], dict[str, str]]:
    """The real start's command and environment: a copy of the register (it is opened for
    writing), settings and logs in folders of its own (not the user's)."""
    copy = tmp / "register"
    shutil.copytree(register, copy, ignore=shutil.ignore_patterns("*.lock", "*-shm"))
    env = {name: str(tmp / name.lower()) for name in
           ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")}
    return [str(BIN / "calnet-desk"), "--data-dir", str(copy), "--quit-after-first-page"], env


def best(runs: list[Run]) -> Run:
    return Run(min(r.shown for r in runs), min(r.shown_cpu for r in runs),
               min(r.exited for r in runs), max(r.max_rss for r in runs))


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
    bare_argv = [sys.executable, str(ROOT / "benchmarks" / "bare_table.py"),
                 str(register / "register.sqlite3")]
    smoke_argv = [str(BIN / "calnet-desk"), "--data-dir", str(register), "--smoke-test"]
    with tempfile.TemporaryDirectory() as private:
        real_argv, real_env = private_start(register, Path(private))
        timed_run(real_argv, real_env)  # the day's first start: the daily backup (untimed)
        real_runs, smoke_runs, bare_runs = [], [], []
        for _ in range(args.runs):  # alternating, so that machine load hits all three
            real_runs.append(timed_run(real_argv, real_env))
            smoke_runs.append(timed_run(smoke_argv))
            bare_runs.append(timed_run(bare_argv))
    real, smoke, bare = best(real_runs), best(smoke_runs), best(bare_runs)
    print(f"cold start, the real start (launch to the first page shown; calnet-desk "
          f"--quit-after-first-page, through the controller): calnet-desk {real.shown:.3f} s, "
          f"bare script {bare.shown:.3f} s, ratio {real.shown / bare.shown:.2f}x "
          "(target <= 1.5x)")
    print(f"  CPU time to the first page shown (every thread): calnet-desk "
          f"{real.shown_cpu:.3f} s, bare script {bare.shown_cpu:.3f} s, ratio "
          f"{real.shown_cpu / bare.shown_cpu:.2f}x")
    print(f"cold start, the smoke test (calnet-desk --smoke-test, read-only): calnet-desk "
          f"{smoke.shown:.3f} s (CPU {smoke.shown_cpu:.3f} s), ratio "
          f"{smoke.shown / bare.shown:.2f}x (CPU {smoke.shown_cpu / bare.shown_cpu:.2f}x)")
    print(f"  to exit (the smoke test's integrity check done behind the window): calnet-desk "
          f"{smoke.exited:.3f} s, bare script {bare.exited:.3f} s, ratio "
          f"{smoke.exited / bare.exited:.2f}x")
    print(f"peak memory: calnet-desk {real.max_rss / 1024:.0f} MB (the smoke test "
          f"{smoke.max_rss / 1024:.0f} MB), bare script {bare.max_rss / 1024:.0f} MB, "
          f"difference {(max(real.max_rss, smoke.max_rss) - bare.max_rss) / 1024:+.0f} MB "
          "(target <= +150 MB)")
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
