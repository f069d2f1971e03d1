"""An import killed while it writes leaves the register as it was.

The CLI prints ``import: N of M rows written`` to stderr while the write transaction is
open. A child process is killed (SIGKILL: no handler, no clean-up) as soon as the first such
line appears; the register must then hold none of the file's rows or all of them, verify
must find nothing wrong, and the next import must get the writer lock (the OS released it
with the dead process).
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from calnet_desk import cli
from calnet_desk.exchange.importer import import_file
from calnet_desk.records import ORDERS
from calnet_desk.store import Register

ROWS = 20_000  # twenty progress lines: the first one comes early in the transaction
CAN_KILL = hasattr(signal, "SIGKILL")  # not on Windows: there the import runs to its end


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def write_orders(path: Path, rows: int) -> list[str]:
    keys = [f"CR-{n:06d}" for n in range(rows)]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["request_number", "request_date", "order_type", "contractor",
                      "description", "quantity", "monthly_cost", "delegation_required",
                      "status"])
        for n, key in enumerate(keys):
            out.writerow([key, f"{n % 12 + 1}/{n % 28 + 1}/2026", "new", "AT&T",
                          f"Line {n}; port {n % 48}", n % 50 + 1, f"${n % 900}.50",
                          "yes" if n % 3 else "no", "submitted"])
    return keys


def test_progress_is_reported_inside_the_open_write_transaction(reg: Register,
                                                                 tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    write_orders(path, 2500)
    seen: list[tuple[int, int, bool]] = []
    result = import_file(reg, path, ORDERS,
                         progress=lambda done, total: seen.append(
                             (done, total, reg.conn.in_transaction)))
    assert result.inserted == 2500
    assert seen == [(1000, 2500, True), (2000, 2500, True), (2500, 2500, True)]
    assert not reg.conn.in_transaction


def test_an_import_killed_while_writing_leaves_all_rows_or_none(tmp_path: Path) -> None:
    root = tmp_path / "register"
    code, _, err = run("--data-dir", str(root), "init", "--agency", "Dept. of Crashes",
                       "--agency-class", "non-state")
    assert code == 0, err
    big = tmp_path / "big.csv"
    keys = write_orders(big, ROWS)

    argv = [sys.executable, "-m", "calnet_desk.cli", "--data-dir", str(root), "import",
            str(big), "--kind", "orders"]
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True, encoding="utf-8")
    assert child.stderr is not None
    progress = None
    other: list[str] = []
    try:
        for line in child.stderr:  # blocks until the child writes (and flushes) a line
            if line.startswith("import: ") and line.rstrip().endswith("rows written"):
                progress = line.strip()
                break
            other.append(line)
        if CAN_KILL and progress is not None:
            os.kill(child.pid, signal.SIGKILL)
    finally:
        rest = child.stderr.read()  # drained up to the child's end (its pipe closes)
        child.stderr.close()
        returncode = child.wait(timeout=120)
    assert progress == f"import: 1000 of {ROWS} rows written", other + [rest]
    if CAN_KILL:
        assert returncode == -signal.SIGKILL
    else:
        assert returncode == 0, rest

    # All or nothing: the killed transaction is rolled back when the register is next
    # opened (or it had committed, if the child was quicker than the kill).
    code, out, err = run("--data-dir", str(root), "list", "orders", "--json")
    assert code == 0, err
    listed = [r["request_number"] for r in json.loads(out)]
    assert listed in ([], keys), f"{len(listed)} of {ROWS} rows after the kill"

    code, out, err = run("--data-dir", str(root), "verify")
    assert code == 0, out + err

    # The writer lock died with the child: a new import takes it, and writes.
    code, out, err = run("--data-dir", str(root), "import", str(big), "--kind", "orders")
    assert code == 0, err
    added = 0 if listed else ROWS
    assert out.strip().endswith(f"{added} added, 0 updated, {ROWS - added} unchanged orders")
    code, out, err = run("--data-dir", str(root), "list", "orders", "--json")
    assert code == 0, err
    assert [r["request_number"] for r in json.loads(out)] == keys
    code, out, err = run("--data-dir", str(root), "verify")
    assert code == 0, out + err
