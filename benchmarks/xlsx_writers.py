"""XLSX writers on the bundle's and export's workload: openpyxl (write-only, as CALNET Desk
wrote them before layout 2) against XlsxWriter (constant-memory to a file, in memory for a
bundle), the same rows, alternating so machine load hits both.

Run:  .venv/bin/python benchmarks/xlsx_writers.py [--rows N] [--repeat R]

Rows are realistic orders (23 canonical columns: texts, dates, money, integers) made by
``to_cell_native`` as the exporter makes them. Prints the best time of each and the ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from calnet_desk.exchange.sheets import XLSX_FORMATS, write_xlsx, xlsx_bytes  # noqa: E402
from calnet_desk.records import KINDS  # noqa: E402
from calnet_desk.values import to_cell_native  # noqa: E402

ORDERS = KINDS["orders"]


def rows(n: int, seed: int = 7) -> list[list[object]]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        record = {f.name: None for f in ORDERS.fields}
        record.update({"request_number": f"TSR-2026-{i:06d}", "request_date":
                       f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
                       "order_type": rnd.choice(("new", "change", "move")),
                       "contractor": rnd.choice(("AT&T", "Verizon", "Lumen")),
                       "description": f"Line {i} for building {i % 97}, floor {i % 9}",
                       "quantity": rnd.randint(1, 40), "street": f"{i % 900} J Street",
                       "city": "Sacramento", "zip": "95814",
                       "monthly_cost": rnd.randint(1000, 99999),
                       "one_time_cost": rnd.randint(0, 9999), "placed_by": f"ATR {i % 13}",
                       "completed_on": "2026-02-03", "circuit_id": f"39/KQGN/{i:06d}/LUMN"})
        out.append([to_cell_native(f, record[f.name]) for f in ORDERS.fields])
    return out


def openpyxl_write(data: list[list[object]], formats: list[str | None]) -> bytes:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("orders")
    ws.append(ORDERS.columns)
    for row in data:
        out = []
        for value, fmt in zip(row, formats, strict=True):
            if value is None or isinstance(value, str):
                out.append(value)
            else:
                cell = WriteOnlyCell(ws, value=value)
                if fmt:
                    cell.number_format = fmt
                out.append(cell)
        ws.append(out)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = rows(args.rows)
    formats = [XLSX_FORMATS.get(f.type) for f in ORDERS.fields]
    when = dt.datetime(2026, 12, 1)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "orders.xlsx"
        times: dict[str, list[float]] = {"openpyxl": [], "xlsxwriter-file": [],
                                         "xlsxwriter-bundle": []}
        for _ in range(args.repeat):
            times["openpyxl"].append(best(lambda: openpyxl_write(data, formats), 1))
            times["xlsxwriter-file"].append(best(lambda: write_xlsx(
                target, "orders", ORDERS.columns, data, formats), 1))
            times["xlsxwriter-bundle"].append(best(lambda: xlsx_bytes(
                "orders", ORDERS.columns, data, formats, when), 1))
    base = min(times["openpyxl"])
    print(f"{args.rows:,} order rows, 23 columns; best of {args.repeat}")
    for name, ts in times.items():
        print(f"  {name:18} {min(ts):7.3f} s   {min(ts) / base:5.2f}x openpyxl")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
