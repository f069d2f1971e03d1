"""Import of a large orders XLSX against the fastest reader's bare iteration of the same file.

Run:  .venv/bin/python benchmarks/import_xlsx.py [--rows N] [--repeat R]
                                                  [--layout excel|export] [--keep DIR]

It writes a realistic orders workbook (default 50,000 rows; all 23 canonical columns: dates,
amounts, quantities, yes/no, choices, free text, delegation_id/exemption_id mostly blank or
naming one of a few delegations and exemptions that each register gets first; native dates
and amounts, with about one in ten typed as text as people do), then measures, best of R
runs each (default 3), baseline and import alternating so that machine load hits both:

* baseline: python-calamine's bare iteration, ``CalamineWorkbook.from_path``, the first
  sheet and ``iter_rows()`` over every row, nothing else (the fastest well-kept reader);
* for information, openpyxl's (``load_workbook(read_only=True, data_only=True)`` and
  ``iter_rows(values_only=True)``), the reader import used before;
* import: ``calnet_desk.exchange.importer.import_file`` of the same file into a fresh
  register (``Register.create``, a new one per run): parsing, checks, rows, history;
* re-import: the same file again into that register, which writes nothing.

``--layout excel`` (default) writes the workbook as Excel saves one (shared strings, a
dimension element); ``--layout export`` as ``calnet-desk-cli export`` writes one (openpyxl:
inline strings, no dimension element, which openpyxl reads more slowly).

The target is import / baseline <= 3 (issue 17, item 1b); the script exits 1 when the ratio
is over it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import random
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402
from openpyxl.cell import WriteOnlyCell  # noqa: E402
from openpyxl.utils import get_column_letter  # noqa: E402

from calnet_desk.exchange.importer import import_file  # noqa: E402
from calnet_desk.records import (  # noqa: E402
    CATALOG_STATUSES,
    DELEGATIONS,
    EXEMPTIONS,
    ORDER_STATUSES,
    ORDER_TYPES,
    ORDERS,
)
from calnet_desk.store import Register  # noqa: E402

TARGET = 3.0  # import / calamine's bare iteration
DELEGATION_IDS = [f"CD-2026-{n:02d}" for n in range(1, 6)] + ["GD-2025-01"]
EXEMPTION_IDS = [f"EX-2025-{n:02d}" for n in range(1, 5)]
CONTRACTORS = [("AT&T", "C4-ATT-01"), ("Verizon", "C4-VZW-02"), ("Lumen", "C4-LUM-03"),
               ("Frontier", "C4-FTR-04"), ("Sky Link Inc.", None)]
CATEGORIES = ["SD-WAN", "Cellular", "Voice", "Internet", "Satellite", "Cable", "Contact center"]
CITIES = [("Sacramento", "95814"), ("Fresno", "93721"), ("Alturas", "96101"),
          ("Redding", "96001"), ("Los Angeles", "90012"), ("San Diego", "92101")]
STREETS = ["1416 9th Street", "4500 Mountain Rd", "2550 Mariposa Mall", "300 S Spring St",
           "1350 Front St", "1325 J Street, Suite 1800"]
PEOPLE = ["James Chen", "Maria Lopez", "R. Patel", "Ana Souza", "Kim Nguyen", "O'Brien, Pat"]
DESCRIPTIONS = ["SD-WAN edge 100 Mbps", "Add 20 smartphone lines", "Move analog line to 2nd fl",
                "Satellite broadband at Alturas", "Disconnect T1 circuit",
                "Upgrade to 1 Gbps fiber; keep static IPs", "Hunt group \"main line\""]


def make_register(root: Path) -> Register:
    reg = Register.create(root, agency="Department of Benchmarks",
                          agency_class="non-exempt-state")
    with reg.transaction("benchmark setup") as tx:
        for i, d in enumerate(DELEGATION_IDS):
            tx.put(DELEGATIONS, {"delegation_id": d,
                                 "type": "general" if d.startswith("GD") else "contract",
                                 "project": f"Project {i}", "decision": "approved"})
        for i, e in enumerate(EXEMPTION_IDS):
            tx.put(EXEMPTIONS, {"exemption_id": e, "project": f"Remote site {i}",
                                "reason": "feature-gap", "general_delegation_id": "GD-2025-01"})
    return reg


def order_rows(rows: int, seed: int = 20261121) -> Iterator[list[object]]:
    """The data rows: native dates and amounts as Excel keeps them, and about one in ten
    dates and amounts typed as text, as people do."""
    rnd = random.Random(seed)

    def date(d: dt.date) -> object:
        if rnd.random() < 0.1:
            return d.strftime("%m/%d/%Y") if rnd.random() < 0.5 else d.isoformat()
        return d

    def money(cents: int) -> object:
        if rnd.random() < 0.1:
            return f"${cents // 100:,}.{cents % 100:02d}"
        return Decimal(cents) / 100

    start = dt.date(2020, 1, 1)
    for n in range(rows):
        contractor, contract = rnd.choice(CONTRACTORS)
        city, zip_code = rnd.choice(CITIES)
        requested = start + dt.timedelta(days=rnd.randrange(2400))
        status = rnd.choice(ORDER_STATUSES)
        r = rnd.random()
        delegation = rnd.choice(DELEGATION_IDS) if r < 0.15 else None
        exemption = rnd.choice(EXEMPTION_IDS) if 0.15 <= r < 0.2 else None
        completed = (date(requested + dt.timedelta(days=rnd.randrange(1, 90)))
                     if status == "completed" else None)
        yield [
            f"REQ-{n + 1:06d}",
            date(requested),
            rnd.choice(ORDER_TYPES) if rnd.random() < 0.95 else "Change",
            contractor,
            contract,
            rnd.choice(CATEGORIES),
            rnd.choice(DESCRIPTIONS),
            rnd.randrange(1, 50),
            rnd.choice(STREETS),
            city,
            zip_code,
            money(rnd.randrange(0, 500_000)) if rnd.random() < 0.8 else None,
            money(rnd.randrange(0, 300_000)),
            rnd.choice(CATALOG_STATUSES) if rnd.random() < 0.9 else None,
            date(requested) if rnd.random() < 0.9 else None,
            rnd.choice(("yes", "no", "Yes", "No", "Y", "N")),
            status,
            delegation,
            exemption,
            f"CKT-{rnd.randrange(10, 99)}-{n:05d}" if rnd.random() < 0.6 else None,
            f"BA-{rnd.randrange(1000, 9999)}" if rnd.random() < 0.7 else None,
            rnd.choice(PEOPLE),
            completed,
        ]


def write_export_layout(path: Path, header: list[str], rows: Iterable[list[object]]) -> None:
    """As calnet-desk's own export writes it: openpyxl write-only (inline strings, no
    dimension element)."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("orders")
    ws.append(header)
    for row in rows:
        out: list[object] = []
        for v in row:
            if isinstance(v, dt.date | Decimal):
                cell = WriteOnlyCell(ws, value=v)
                cell.number_format = "yyyy-mm-dd" if isinstance(v, dt.date) else "#,##0.00"
                out.append(cell)
            else:
                out.append(v)
        ws.append(out)
    wb.save(path)


_EXCEL_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://'
        'schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default '
        'Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+'
        'xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/'
        'styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http:'
        '//schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://'
        'schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="orders" '
        'sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http:'
        '//schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'),
    "xl/styles.xml": (  # xf 1: a date (built-in format 14); xf 2: #,##0.00 (built-in 4)
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="http://'
        'schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><sz val='
        '"11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill '
        'patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
        '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId='
        '"0"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" '
        'borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" '
        'applyNumberFormat="1"/><xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" '
        'applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" '
        'xfId="0" builtinId="0"/></cellStyles></styleSheet>'),
}


def write_excel_layout(path: Path, header: list[str], rows: Iterable[list[object]]) -> None:
    """As Excel saves a workbook: a shared-string table, a dimension element, dates as
    serial numbers with a date format."""
    strings: dict[str, int] = {}
    epoch = dt.date(1899, 12, 30)
    body: list[str] = []
    last_row = 0
    for r, row in enumerate(itertools.chain([header], rows), start=1):
        cells = []
        for c, v in enumerate(row):
            ref = f"{get_column_letter(c + 1)}{r}"
            if v is None:
                continue
            if isinstance(v, str):
                i = strings.setdefault(v, len(strings))
                cells.append(f'<c r="{ref}" t="s"><v>{i}</v></c>')
            elif isinstance(v, dt.date):
                cells.append(f'<c r="{ref}" s="1"><v>{(v - epoch).days}</v></c>')
            elif isinstance(v, Decimal):
                cells.append(f'<c r="{ref}" s="2"><v>{float(v)!r}</v></c>')
            else:
                cells.append(f'<c r="{ref}"><v>{v}</v></c>')
        body.append(f'<row r="{r}">{"".join(cells)}</row>')
        last_row = r
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://'
        'schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:'
        f'{get_column_letter(len(header))}{last_row}"/><sheetData>{"".join(body)}</sheetData>'
        '</worksheet>')
    sst = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
    shared = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.'
        f'openxmlformats.org/spreadsheetml/2006/main" uniqueCount="{len(strings)}">{sst}</sst>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in _EXCEL_PARTS.items():
            z.writestr(name, text)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        z.writestr("xl/sharedStrings.xml", shared)


TALL_COLUMNS = ["request_number", "request_date", "order_type", "contractor", "monthly_cost"]


def write_tall(path: Path, rows: int, seed: int = 7) -> None:
    """A sheet of ``rows`` rows (the header among them) of five columns, as Excel saves it,
    streamed into the zip: 1,048,576 rows unpack to about 240 MB, within the import's
    256 MB bound (23 columns would be 720 MB)."""
    rnd = random.Random(seed)
    fixed = [*TALL_COLUMNS, "new", "change", "move", "AT&T", "Verizon", "Lumen"]
    epoch = dt.date(1899, 12, 30)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet '
                    b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    + f'<dimension ref="A1:E{rows}"/><sheetData><row r="1">'.encode()
                    + "".join(f'<c r="{get_column_letter(i + 1)}1" t="s"><v>{i}</v></c>'
                              for i in range(5)).encode() + b"</row>")
            buf: list[str] = []
            for n in range(2, rows + 1):
                day = (dt.date(2020, 1, 1) + dt.timedelta(days=rnd.randrange(2400)) - epoch).days
                buf.append(f'<row r="{n}"><c r="A{n}" t="s"><v>{len(fixed) + n - 2}</v></c>'
                           f'<c r="B{n}" s="1"><v>{day}</v></c><c r="C{n}" t="s"><v>'
                           f'{rnd.randrange(5, 8)}</v></c><c r="D{n}" t="s"><v>'
                           f'{rnd.randrange(8, 11)}</v></c><c r="E{n}" s="2"><v>'
                           f'{rnd.randrange(0, 300_000) / 100!r}</v></c></row>')
                if len(buf) >= 10_000:
                    f.write("".join(buf).encode())
                    buf = []
            f.write("".join(buf).encode() + b"</sheetData></worksheet>")
        for name, text in _EXCEL_PARTS.items():
            z.writestr(name, text)
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns='
                    b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            f.write("".join(f"<si><t>{escape(s)}</t></si>" for s in fixed).encode())
            for start in range(2, rows + 1, 10_000):
                f.write("".join(f"<si><t>REQ-{n:07d}</t></si>"
                                for n in range(start, min(start + 10_000, rows + 1))).encode())
            f.write(b"</sst>")


_MEMORY_CHILD = """
import sys, tempfile, time
from pathlib import Path
from calnet_desk.exchange.importer import import_file
from calnet_desk.records import ORDERS
from calnet_desk.store import Register
reg = Register.create(Path(tempfile.mkdtemp(dir=sys.argv[2])) / "r", agency="Memory",
                      agency_class="non-exempt-state")
t = time.perf_counter()
result = import_file(reg, Path(sys.argv[1]), ORDERS)
assert result.written and not result.errors, result.errors[:5]
print(result.inserted, round(time.perf_counter() - t, 1))
"""


def memory_run(rows: int, tmp: Path) -> int:
    """Import a ``rows``-row sheet in a child process; print its peak resident memory."""
    import resource
    import subprocess

    xlsx = tmp / "tall.xlsx"
    write_tall(xlsx, rows)
    done = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, str(xlsx), str(tmp)],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        print(done.stderr[-2000:])
        return 1
    inserted, seconds = done.stdout.split()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    print(f"memory: import of a {rows:,}-row sheet ({int(inserted):,} orders, "
          f"{xlsx.stat().st_size / 1e6:.0f} MB) took {seconds}s, peak resident "
          f"{peak:,.0f} MB (target < 1024 MB)")
    return 0 if peak < 1024 else 1


def write_orders(path: Path, rows: int, layout: str = "excel") -> None:
    writer = write_excel_layout if layout == "excel" else write_export_layout
    writer(path, ORDERS.columns, order_rows(rows))


def baseline(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_path(str(path)) as wb:
        n = 0
        for _row in wb.get_sheet_by_index(0).iter_rows():
            n += 1
        return n


def openpyxl_baseline(path: Path) -> int:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        n = 0
        for _row in wb.worksheets[0].iter_rows(values_only=True):
            n += 1
        return n
    finally:
        wb.close()


def cpu_time() -> float:
    """CPU time of every thread of this process and of the child processes it has ended
    (a large import's sealer, history.Sealer), user and system."""
    try:
        import resource
    except ImportError:  # Windows: this process only
        return time.process_time()
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ended.ru_utime + ended.ru_stime


def timed(body: Callable[[], object], cpu: list[float] | None = None) -> float:
    """Wall time of ``body``; its CPU time (:func:`cpu_time`) is appended to ``cpu``."""
    c0, t0 = cpu_time(), time.perf_counter()
    body()
    wall = time.perf_counter() - t0
    if cpu is not None:
        cpu.append(cpu_time() - c0)
    return wall


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--layout", choices=("excel", "export"), default="excel",
                    help="excel: as Excel saves it (shared strings); export: as "
                         "calnet-desk export writes it (openpyxl, inline strings)")
    ap.add_argument("--keep", type=Path, help="write the workbook and registers here")
    ap.add_argument("--no-openpyxl", action="store_true",
                    help="leave out openpyxl's iteration (shown for information)")
    ap.add_argument("--memory-rows", type=int, default=0,
                    help="also import a sheet of this many rows in a child process and "
                         "print its peak memory (1048576 for issue 17)")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="calnet-bench-") as tmp_name:
        tmp = args.keep or Path(tmp_name)
        tmp.mkdir(parents=True, exist_ok=True)
        xlsx = tmp / "orders.xlsx"
        t0 = time.perf_counter()
        write_orders(xlsx, args.rows, args.layout)
        print(f"wrote {args.rows} orders to {xlsx.name}, {args.layout} layout "
              f"({xlsx.stat().st_size / 1e6:.1f} MB) "
              f"in {time.perf_counter() - t0:.2f}s")

        rows_read = baseline(xlsx)  # warm-up: file cache, imports
        assert rows_read == args.rows + 1, rows_read

        def do_import(reg: Register) -> None:
            result = import_file(reg, xlsx, ORDERS)
            assert result.written and not result.errors, result.errors[:5]
            assert result.inserted == args.rows, result

        def do_reimport(reg: Register) -> None:
            result = import_file(reg, xlsx, ORDERS)
            assert result.unchanged == args.rows and not result.inserted, result

        # Baseline and import alternate, so that a change in machine load hits both.
        base_times, import_times, again_times, old_times = [], [], [], []
        base_cpu: list[float] = []
        import_cpu: list[float] = []
        for _ in range(args.repeat):
            base_times.append(timed(lambda: baseline(xlsx), base_cpu))
            if not args.no_openpyxl:
                old_times.append(timed(lambda: openpyxl_baseline(xlsx)))
            with make_register(Path(tempfile.mkdtemp(prefix="reg-", dir=tmp)) / "r") as reg:
                import_times.append(timed(lambda: do_import(reg), import_cpu))  # noqa: B023
                again_times.append(timed(lambda: do_reimport(reg)))  # noqa: B023
                history = reg.conn.execute("SELECT count(*) FROM history").fetchone()[0]
            expected = 1 + len(DELEGATION_IDS) + len(EXEMPTION_IDS) + args.rows
            assert history == expected, (history, expected)
        t_base, t_import, t_again = min(base_times), min(import_times), min(again_times)

    ratio = t_import / t_base
    if old_times:
        print(f"openpyxl read-only iteration {min(old_times):.2f}s "
              f"({min(old_times) / t_base:.2f}x calamine's)")
    print(f"baseline (calamine iteration) {t_base:.2f}s, import {t_import:.2f}s, "
          f"ratio {ratio:.2f}x (target <= {TARGET}x) [{args.rows} rows, best of "
          f"{args.repeat}]")
    c_base, c_import = min(base_cpu), min(import_cpu)
    print(f"CPU time (all threads, and the import's sealer process): baseline "
          f"{c_base:.2f}s, import {c_import:.2f}s, "
          f"ratio {c_import / c_base:.2f}x [best of {args.repeat} each]")
    print(f"re-import of the unchanged file {t_again:.2f}s "
          f"({t_again / t_base:.2f}x baseline, nothing written)")
    status = 0 if ratio <= TARGET else 1
    if args.memory_rows:
        with tempfile.TemporaryDirectory(prefix="calnet-bench-") as tmp_name:
            status |= memory_run(args.memory_rows, Path(tmp_name))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
