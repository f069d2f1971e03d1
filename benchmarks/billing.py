"""Benchmark: import + reconcile of contractors' statements against a baseline.

    .venv/bin/python benchmarks/billing.py [--orders 100000] [--lines 1000000] [--keep DIR]

Builds (untimed) a register of N orders for two contractors (circuit ids written as phone
numbers in several styles or as CALNET circuit ids) and, per contractor and month, a
statement CSV billing every service (port and access, BAN, WTN or circuit id written in
another style than the order's, product ids, quantities, MRC/NRC, minutes of use,
addresses; about 1 % unknown lines, 0.5 % billed twice, some rates off, some zero usage),
as many months as LINES takes (100,000 orders, 1,000,000 lines: five months). Then,
alternating so machine load hits both:

* **baseline**: every CSV read with Python's ``csv`` module, each line's normalised key
  computed, loaded into SQLite with ``executemany`` (one transaction per file), and one
  join of all lines on the normalised keys against the orders (fetched whole);
* **calnet**: ``import_statement`` of every file (every cell validated as import does, the
  file hashed and stored as a document, one history entry per statement) and ``reconcile``
  of every month.

It prints both times, calnet / baseline (goal <= 2x) and the process's peak memory after the
first statement and after everything (flat in the number of lines: one statement at a time
is read, and reconcile keeps one statement's services). Exits 1 when the ratio is over 2.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import random
import re
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from calnet_desk.exchange.billing import import_statement  # noqa: E402
from calnet_desk.policy.reconcile import reconcile  # noqa: E402
from calnet_desk.policy.rules import load_rules  # noqa: E402
from calnet_desk.records import KINDS  # noqa: E402
from calnet_desk.store import Register  # noqa: E402

CONTRACTORS = ("AT&T", "Verizon")
HEADER = ["BAN", "WTN", "Circuit ID", "SR Number", "Product ID", "Description", "Qty",
          "MRC", "NRC", "Minutes of Use", "Service Address", "City", "Zip"]
CITIES = ("Sacramento", "Oakland", "Fresno", "Los Angeles", "San Diego", "Redding")


def phone(rng: random.Random, n: int) -> tuple[str, str]:
    """(order style, statement style) of one ten-digit number."""
    digits = f"{916 + n % 7}{555 + n // 10_000 % 400:03d}{n % 10_000:04d}"
    a, b, c = digits[:3], digits[3:6], digits[6:]
    order = rng.choice([f"({a}) {b}-{c}", f"{a}-{b}-{c}", digits])
    line = rng.choice([f"1-{a}-{b}-{c}", f"{a}.{b}.{c}", digits, f"({a}) {b}-{c}"])
    return order, line


def circuit(n: int) -> tuple[str, str]:
    core = f"{n % 90 + 10}.KXFN.{n:06d}..PB"
    return core, core.replace(".", " ").replace("  ", " ")


def build(root: Path, n_orders: int, n_lines: int, seed: int
          ) -> tuple[Register, list[tuple[str, str, Path]]]:
    rng = random.Random(seed)
    reg = Register.create(root / "register", agency="Benchmark Agency",
                          agency_class="non-exempt-state")
    services: dict[str, list[tuple[str, str, int, bool]]] = {c: [] for c in CONTRACTORS}
    records = []
    for i in range(n_orders):
        contractor = CONTRACTORS[0] if i % 5 < 3 else CONTRACTORS[1]
        order_id, line_id = phone(rng, i) if i % 5 < 3 else circuit(i)
        cost = rng.choice((2500, 4999, 12000, 30000, 45050))
        status = "completed" if i % 50 else rng.choice(("draft", "cancelled", "in-progress"))
        order_type = "disconnect" if i % 97 == 0 else "new"
        records.append({
            "request_number": f"TSR-{i:06d}", "request_date": "2024-03-01",
            "order_type": order_type, "contractor": contractor, "status": status,
            "circuit_id": order_id, "billing_account": f"BAN-{i % 40:03d}",
            "monthly_cost": cost if order_type == "new" else None,
            "completed_on": "2024-03-20" if status == "completed" else None})
        services[contractor].append((line_id, f"BAN-{i % 40:03d}", cost, i % 5 < 3))
    with reg.transaction("benchmark orders") as tx:
        tx.put_many(KINDS["orders"], records)
    # every service is billed every month (port and access, now and then twice), and
    # about one line in a hundred is unknown to the register: as many months as it takes
    files = []
    written_total = 0
    m = 0
    while written_total < n_lines:
        month = f"{2026 + m // 12}-{m % 12 + 1:02d}"
        m += 1
        for contractor in CONTRACTORS:
            path = root / f"{contractor.replace('&', '')}-{month}.csv"
            with open(path, "w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(HEADER)
                for k, (line_id, ban, cost, is_phone) in enumerate(services[contractor]):
                    if written_total >= n_lines:
                        break
                    wtn, circ = (line_id, "") if is_phone else ("", line_id)
                    if rng.random() < 0.01:  # a line the register does not know
                        wtn, circ = f"530-555-{rng.randrange(10_000):04d}", ""
                    usage = ("0" if k % 40 == 0 else
                             "" if k % 7 == 0 else str(rng.randrange(900)))
                    port = cost * 4 // 5 + (700 if rng.random() < 0.02 else 0)
                    address = f"{rng.randrange(1, 9999)} {rng.choice(('Main', 'Oak', 'J'))} St"
                    city = rng.choice(CITIES)
                    row = [ban, wtn, circ, "", "PORT", "Port, \"voice\"", "1",
                           f"{port / 100:.2f}", "", usage, address, city, "95814"]
                    w.writerow(row)
                    access = cost - cost * 4 // 5
                    w.writerow([ban, wtn, circ, "", "ACCESS", "Access", "1",
                                f"{access / 100:.2f}", "0.00", usage, address, city, "95814"])
                    written_total += 2
                    if rng.random() < 0.005:
                        w.writerow(row)  # billed twice
                        written_total += 1
            files.append((contractor, month, path))
    return reg, files


_PHONE = re.compile(r"[0-9 ()+\-.]+")
_NOT_DIGIT = re.compile(r"[^0-9]+")
_NOT_ALNUM = re.compile(r"[\W_]+")


def norm(value: str) -> str:
    if _PHONE.fullmatch(value):
        d = _NOT_DIGIT.sub("", value)
        if len(d) in (10, 11):
            return d[-10:]
    return _NOT_ALNUM.sub("", value).upper()


def baseline(root: Path, reg: Register, files: list[tuple[str, str, Path]]
             ) -> tuple[float, float]:
    """(seconds, CPU seconds)"""
    db_path = root / f"baseline-{time.monotonic_ns()}.sqlite3"
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE orders (request_number TEXT, key TEXT, monthly_cost INTEGER)")
    conn.executemany("INSERT INTO orders VALUES (?, ?, ?)",
                     ((r["request_number"], norm(str(r["circuit_id"] or "")),
                       r["monthly_cost"]) for r in reg.records(KINDS["orders"])))
    conn.execute("CREATE INDEX orders_key ON orders (key)")
    conn.execute("CREATE TABLE lines (contractor TEXT, month TEXT, row INTEGER, ban TEXT, "
                 "wtn TEXT, circuit_id TEXT, sr TEXT, product TEXT, description TEXT, "
                 "qty TEXT, mrc TEXT, nrc TEXT, usage TEXT, street TEXT, city TEXT, zip TEXT, "
                 "key TEXT)")
    conn.commit()
    start, cpu = time.perf_counter(), time.process_time()
    for contractor, month, path in files:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            next(reader)
            with conn:
                conn.executemany(
                    "INSERT INTO lines VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    ((contractor, month, i, *r, norm(r[2] or r[1] or r[3]))
                     for i, r in enumerate(reader, start=2)))
    rows = conn.execute("SELECT l.month, l.contractor, l.row, o.request_number, l.mrc, "
                        "o.monthly_cost FROM lines l LEFT JOIN orders o ON o.key = l.key"
                        ).fetchall()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert rows
    conn.close()
    db_path.unlink()
    return elapsed, cpu


def peak_mb() -> float:
    """The process's peak resident memory. On Linux VmHWM, the high-water mark of this
    process image: ru_maxrss of a child started with fork and exec carries the forked
    parent's peak over (the benchmark's parent holds the 100,000 orders it built)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(root: str, files: list[tuple[str, str, str]], out: Any) -> None:
    """import + reconcile in a fresh process, so its peak memory is its own."""
    with Register.open(Path(root), write=True) as reg:
        out.put(calnet(Path(root), reg, [(c, m, Path(p)) for c, m, p in files])
                + (peak_mb(),))


def calnet_in_child(copy: Path, files: list[tuple[str, str, Path]]
                    ) -> tuple[float, float, float, int, float, float, float]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_child, args=(str(copy), [(c, m, str(p)) for c, m, p in files],
                                             queue))
    child.start()
    result = queue.get()
    child.join()
    return result  # type: ignore[no-any-return]


def calnet(root: Path, reg: Register, files: list[tuple[str, str, Path]]
           ) -> tuple[float, float, float, int, float, float]:
    """(import seconds, reconcile seconds, peak MB after the first statement, findings,
    CPU seconds of both, peak MB after the last statement)"""
    rules = load_rules()
    start, cpu = time.perf_counter(), time.process_time()
    first_peak = 0.0
    for i, (contractor, month, path) in enumerate(files):
        result = import_statement(reg, path, contractor, month)
        assert result.written, result.errors[:5]
        if i == 0:
            first_peak = peak_mb()
    imported = time.perf_counter()
    import_peak = peak_mb()
    found = reconcile(reg, rules)
    return (imported - start, time.perf_counter() - imported, first_peak, len(found),
            time.process_time() - cpu, import_peak)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs of each, alternating; the best of each counts")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        reg, files = build(root, args.orders, args.lines, args.seed)
        reg.close()
        print(f"built {args.orders:,} orders and {len(files)} statements "
              f"({args.lines:,} lines) in {time.perf_counter() - t0:.1f} s")
        bases, runs = [], []
        for i in range(args.repeat):
            copy = root / f"run-{i}"
            shutil.copytree(root / "register", copy)  # the orders only, untimed
            with Register.open(copy, write=True) as reg:
                bases.append(baseline(root, reg, files))
            runs.append(calnet_in_child(copy, files))
            shutil.rmtree(copy)
    base, base_cpu = min(bases)
    t_import, t_reconcile, first_peak, n_found, cpu, import_peak, last_peak = min(
        runs, key=lambda r: r[0] + r[1])
    ours = t_import + t_reconcile
    ratio = ours / base
    print(f"baseline (csv + executemany + one join): {base:.2f} s (CPU {base_cpu:.2f} s)")
    print(f"import-billing + reconcile:             {ours:.2f} s (import {t_import:.2f} s, "
          f"reconcile {t_reconcile:.2f} s, {n_found:,} findings; CPU {cpu:.2f} s)")
    print(f"ratio: {ratio:.2f}x (goal <= 2x); of CPU time: {cpu / base_cpu:.2f}x "
          "(less moved by other load on the machine)")
    print(f"peak memory of the import and reconcile process: {first_peak:.0f} MB after the "
          f"first statement, {import_peak:.0f} MB after all {len(files)}, {last_peak:.0f} MB "
          f"after reconcile (its {n_found:,} findings and the orders included)")
    return 0 if ratio <= 2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
