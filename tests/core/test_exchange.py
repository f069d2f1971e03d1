"""Spreadsheet exchange: CSV/XLSX import and export, through the CLI and the functions.

The spec these tests hold the code to is the README's "Spreadsheets" section: what import
reads, how every bad cell is reported (``FILE:ROW:COLUMN: reason``, then nothing written),
how export escapes formula injection, and that importing an export changes nothing.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import openpyxl.xml
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calnet_desk.exchange.exporter import export_kind
from calnet_desk.exchange.importer import import_file, read_records
from calnet_desk.policy.seeds import seed_contracts
from calnet_desk.records import (
    DELEGATIONS,
    EXEMPTIONS,
    KINDS,
    ORDERS,
    PEOPLE,
    Field,
    Kind,
    Record,
)
from calnet_desk.store import Register
from calnet_desk.store.keys import fold, key_problem, look_alike_forms
from calnet_desk.values import to_cell_native

Cli = Callable[..., Any]
ORDER_HEADER = ["request_number", "request_date", "order_type", "contractor"]


# --- helpers ------------------------------------------------------------------------------


def init(run_cli: Cli) -> None:
    r = run_cli("init", "--agency", "Department of Testing", "--agency-class",
                "non-exempt-state")
    assert r.code == 0, r


def write_csv(path: Path, rows: Iterable[Sequence[object]], encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows)
    return path


def write_xlsx(path: Path, rows: Iterable[Sequence[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet One"
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def write_sheet(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    """Write ``rows`` as CSV or XLSX depending on the suffix."""
    if path.suffix == ".xlsx":
        return write_xlsx(path, rows)
    return write_csv(path, rows)


def listing(run_cli: Cli, kind: str) -> list[dict[str, Any]]:
    r = run_cli("list", kind, "--json")
    assert r.code == 0, r
    data = json.loads(r.out)
    assert isinstance(data, list)
    return data


def history(home: Path) -> list[dict[str, Any]]:
    with Register.open(home) as reg:
        return reg.history()


def snapshot(run_cli: Cli, home: Path) -> tuple[dict[str, list[dict[str, Any]]],
                                                 list[dict[str, Any]]]:
    """Everything an import could change: every kind's records, and the history."""
    return {k: listing(run_cli, k) for k in KINDS}, history(home)


def error_lines(err: str, name: str) -> list[str]:
    """The per-cell error lines of a failed import (the closing summary line checked and
    dropped)."""
    lines = err.splitlines()
    assert lines, "no errors reported"
    assert lines[-1] == f"{name}: {len(lines) - 1} problem(s); nothing was imported", lines
    return lines[:-1]


def locations(lines: list[str]) -> list[str]:
    """``FILE:ROW:COLUMN`` of each error line."""
    out = []
    for line in lines:
        where, sep, reason = line.partition(": ")
        assert sep and reason, line
        out.append(where)
    return out


def order_row(key: str, **extra: str) -> dict[str, str]:
    row = {"request_number": key, "request_date": "2026-01-05", "order_type": "new",
           "contractor": "ACME Telecom"}
    row.update(extra)
    return row


def rows_of(dicts: list[dict[str, str]]) -> list[list[str]]:
    header = list(dicts[0])
    return [header] + [[d.get(h, "") for h in header] for d in dicts]


# --- reading: encodings, formats, native cells --------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_import_reads_csv_in_utf8_with_or_without_bom_and_in_cp1252(
        run_cli: Cli, tmp_path: Path, encoding: str) -> None:
    init(run_cli)
    path = write_csv(tmp_path / "orders.csv", [
        [*ORDER_HEADER, "description"],
        ["O-1", "2026-01-05", "new", "Café Networks", "Fiber – 100 Mbps"],
    ], encoding)
    raw = path.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8) == (encoding == "utf-8-sig")
    if encoding == "cp1252":  # the bytes Excel's plain "CSV" writes: é = E9, – = 96
        assert b"Caf\xe9" in raw and b"\x96" in raw
    r = run_cli("import", str(path), "--kind", "orders")
    assert r.code == 0, r
    assert "1 added" in r.out
    [rec] = listing(run_cli, "orders")
    assert rec["request_number"] == "O-1"  # the BOM is not part of the first header
    assert rec["contractor"] == "Café Networks"
    assert rec["description"] == "Fiber – 100 Mbps"


def test_csv_with_a_bom_but_not_utf8_is_a_clean_error(run_cli: Cli, tmp_path: Path) -> None:
    init(run_cli)
    path = tmp_path / "orders.csv"
    path.write_bytes(codecs.BOM_UTF8 + "request_number,request_date,order_type,contractor\r\n"
                     "O-1,2026-01-05,new,Café\r\n".encode("cp1252"))
    before = snapshot(run_cli, tmp_path / "home")
    r = run_cli("import", str(path), "--kind", "orders")
    assert r.code == 1, r
    [line] = error_lines(r.err, str(path))
    assert line.startswith(f"{path}: ")
    assert "UTF-8" in line
    assert snapshot(run_cli, tmp_path / "home") == before


def test_csv_that_is_neither_utf8_nor_cp1252_is_a_clean_error(run_cli: Cli,
                                                              tmp_path: Path) -> None:
    init(run_cli)
    path = tmp_path / "orders.csv"
    # 0x81 is undefined in Windows-1252 and invalid as UTF-8
    path.write_bytes(b"request_number,request_date,order_type,contractor\r\n"
                     b"O-1,2026-01-05,new,AC\x81ME\r\n")
    r = run_cli("import", str(path), "--kind", "orders")
    assert r.code == 1, r
    [line] = error_lines(r.err, str(path))
    assert "Windows-1252" in line


def test_import_reads_the_first_sheet_of_an_xlsx_with_native_cells(run_cli: Cli,
                                                                   tmp_path: Path) -> None:
    init(run_cli)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Whatever it is called"
    ws.append([*ORDER_HEADER, "catalog_status_as_of", "completed_on", "quantity",
               "one_time_cost", "monthly_cost", "delegation_required", "zip"])
    ws.append(["O-1", dt.date(2026, 1, 5), "New", "AT&T", dt.datetime(2026, 2, 1),
               dt.datetime(2026, 3, 4, 0, 0), 20, 1234.5, 12, True, 95814])
    ws.append(["O-2", "3/7/2026", "change", "Verizon", "2026-03-07", None, 3.0,
               "$1,234.50", "(12.00)", "no", "01234"])
    ws.append([1003, "03/07/2026", "MOVE", "Lumen", None, None, None, -0.5, 0, False, None])
    other = wb.create_sheet("Second")
    other.append(["nothing", "to", "see"])
    other.append(["X", "Y", "Z"])
    wb.active = 1  # the sheet Excel opens at is not the one import reads
    wb.save(tmp_path / "orders.xlsx")

    r = run_cli("import", str(tmp_path / "orders.xlsx"), "--kind", "orders")
    assert r.code == 0, r
    assert "3 added" in r.out
    got = {o["request_number"]: o for o in listing(run_cli, "orders")}
    assert sorted(got) == ["1003", "O-1", "O-2"]
    o1, o2, o3 = got["O-1"], got["O-2"], got["1003"]
    assert (o1["request_date"], o1["catalog_status_as_of"], o1["completed_on"]) == (
        "2026-01-05", "2026-02-01", "2026-03-04")
    assert (o1["order_type"], o1["quantity"], o1["one_time_cost"], o1["monthly_cost"]) == (
        "new", 20, 1234.5, 12)
    assert o1["delegation_required"] is True
    assert o1["zip"] == "95814"
    assert (o2["request_date"], o2["catalog_status_as_of"], o2["completed_on"]) == (
        "2026-03-07", "2026-03-07", None)
    assert (o2["quantity"], o2["one_time_cost"], o2["monthly_cost"]) == (3, 1234.5, -12)
    assert o2["delegation_required"] is False
    assert o2["zip"] == "01234"
    assert (o3["request_date"], o3["order_type"], o3["one_time_cost"], o3["monthly_cost"]) == (
        "2026-03-07", "move", -0.5, 0)
    assert o3["delegation_required"] is False


def test_xlsx_date_with_a_time_of_day_is_an_error(run_cli: Cli, tmp_path: Path) -> None:
    init(run_cli)
    path = write_xlsx(tmp_path / "o.xlsx", [ORDER_HEADER,
                                            ["O-1", dt.datetime(2026, 1, 5, 14, 30), "new", "A"]])
    r = run_cli("import", str(path), "--kind", "orders")
    assert r.code == 1, r
    assert locations(error_lines(r.err, str(path))) == [f"{path}:2:request_date"]


def test_xlsx_with_a_wrong_dimension_record_is_read_whole(run_cli: Cli, tmp_path: Path) -> None:
    """Some programs write ``<dimension ref="A1"/>`` whatever the sheet holds; read-only
    openpyxl would then see one cell. Import must read every row and column anyway."""
    init(run_cli)
    good = write_xlsx(tmp_path / "good.xlsx", [[*ORDER_HEADER, "city"],
                                               ["O-1", "2026-01-05", "new", "A", "Fresno"],
                                               ["O-2", "2026-01-06", "move", "B", "Chico"]])
    bad = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, n = re.subn(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', data)
                assert n == 1
            zout.writestr(item, data)
    r = run_cli("import", str(bad), "--kind", "orders")
    assert r.code == 0, r
    assert [(o["request_number"], o["city"]) for o in listing(run_cli, "orders")] == [
        ("O-1", "Fresno"), ("O-2", "Chico")]


def _rewrite_sheet(src: Path, dest: Path, edit: Callable[[bytes], bytes]) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = edit(data)
            zout.writestr(item, data)
    return dest


@pytest.mark.parametrize("damage", ["bad-number", "truncated-xml", "entity", "not-a-zip"])
def test_a_damaged_xlsx_is_a_one_line_error_not_a_crash(run_cli: Cli, tmp_path: Path,
                                                        damage: str) -> None:
    init(run_cli)
    good = write_xlsx(tmp_path / "good.xlsx", [ORDER_HEADER, ["O-1", "2026-01-05", "new", "A"],
                                               ["O-2", "2026-01-05", "new", 5]])
    path = tmp_path / f"{damage}.xlsx"
    if damage == "bad-number":
        _rewrite_sheet(good, path, lambda d: d.replace(b"<v>5</v>", b"<v>five</v>"))
    elif damage == "truncated-xml":
        _rewrite_sheet(good, path, lambda d: d[:-40])
    elif damage == "entity":  # defusedxml refuses entity declarations
        _rewrite_sheet(good, path, lambda d: d.replace(
            b"<worksheet", b'<!DOCTYPE w [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><worksheet', 1))
    else:
        path.write_bytes(b"PK\x03\x04 this is not really a zip file")
    before = snapshot(run_cli, tmp_path / "home")
    r = run_cli("import", str(path), "--kind", "orders")
    assert r.code == 1, r
    [line] = error_lines(r.err, str(path))
    assert line.startswith(f"{path}: not a readable .xlsx workbook")
    assert "Traceback" not in r.err
    assert snapshot(run_cli, tmp_path / "home") == before


def test_unknown_file_type_and_missing_file_are_errors(run_cli: Cli, tmp_path: Path) -> None:
    init(run_cli)
    ods = tmp_path / "orders.ods"
    ods.write_bytes(b"whatever")
    r = run_cli("import", str(ods), "--kind", "orders")
    assert r.code == 1 and "unknown file type .ods" in r.err, r
    r = run_cli("import", str(tmp_path / "missing.csv"), "--kind", "orders")
    assert r.code == 1 and "cannot read" in r.err, r


def test_xlsx_is_read_by_calamine_and_openpyxl_only_streams_what_is_too_large(
        reg: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An ordinary workbook is read by python-calamine; openpyxl is the streaming fallback
    for a sheet whose grid would not fit in memory, opened read-only, data-only, with
    defusedxml."""
    from calnet_desk.exchange import sheet_reader

    assert openpyxl.xml.DEFUSEDXML is True
    calls: list[dict[str, Any]] = []
    real = openpyxl.load_workbook

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", spy)
    path = write_xlsx(tmp_path / "o.xlsx", [ORDER_HEADER, ["O-1", "2026-01-05", "new", "A"]])
    result = import_file(reg, path, ORDERS)
    assert result.errors == [] and result.inserted == 1
    assert calls == []
    monkeypatch.setattr(sheet_reader, "CALAMINE_MAX_CELLS", 4)  # a 2 x 4 sheet is too large
    result = import_file(reg, path, ORDERS, dry_run=True)
    assert result.errors == [] and result.rows == 1
    assert len(calls) == 1
    assert calls[0].get("read_only") is True
    assert calls[0].get("data_only") is True


# --- reading: cell formats ---------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_import_accepts_the_documented_cell_formats(run_cli: Cli, tmp_path: Path,
                                                    suffix: str) -> None:
    init(run_cli)
    cols = [*ORDER_HEADER, "one_time_cost", "monthly_cost", "status", "delegation_required",
            "catalog_status", "quantity"]
    path = write_sheet(tmp_path / f"orders{suffix}", [
        cols,
        ["O-1", "2026-03-07", "NEW", "A", "1234.5", "$1,234.50", "In Progress", "YES",
         "Required", "1,000"],
        ["O-2", "03/07/2026", "Change", "A", "-12", "(12.00)", "completed", "n",
         "DISCRETIONARY", "-3"],
        ["O-3", "3/7/2026", "move", "A", "$0.99", "0", "in_progress", "1", "", "0"],
        ["O-4", "2026-3-7", "Disconnect", "A", "-$1.05", "( $1,000 )", "CANCELLED", "False",
         "", ""],
        ["O-5", "12/31/2026", "new", "A", "", "", "", "y", "", ""],
        ["O-6", "2024-02-29", "new", "A", "", "", "", "no", "", ""],
        ["O-7", "2026-01-05", "new", "A", "", "", "", "TRUE", "", ""],
        ["O-8", "2026-01-05", "new", "A", "", "", "", "0", "", ""],
    ])
    r = run_cli("import", str(path), "--kind", "orders")
    assert r.code == 0, r
    got = {o["request_number"]: o for o in listing(run_cli, "orders")}
    fields = ("request_date", "order_type", "one_time_cost", "monthly_cost", "status",
              "delegation_required", "catalog_status", "quantity")
    table = {k: tuple(v[f] for f in fields) for k, v in got.items()}
    assert table == {
        "O-1": ("2026-03-07", "new", 1234.5, 1234.5, "in-progress", True, "required", 1000),
        "O-2": ("2026-03-07", "change", -12, -12, "completed", False, "discretionary", -3),
        "O-3": ("2026-03-07", "move", 0.99, 0, "in-progress", True, None, 0),
        "O-4": ("2026-03-07", "disconnect", -1.05, -1000, "cancelled", False, None, None),
        "O-5": ("2026-12-31", "new", None, None, None, True, None, None),
        "O-6": ("2024-02-29", "new", None, None, None, False, None, None),
        "O-7": ("2026-01-05", "new", None, None, None, True, None, None),
        "O-8": ("2026-01-05", "new", None, None, None, False, None, None),
    }


def test_list_fields_are_split_on_semicolons(run_cli: Cli, tmp_path: Path) -> None:
    init(run_cli)
    path = write_csv(tmp_path / "ex.csv", [
        ["exemption_id", "project", "services"],
        ["E-1", "Radio", " voice ; data;;video ; "],
        ["E-2", "Other", "single"],
        ["E-3", "None", ""],
        ["E-4", "Only separators", " ; ;"],
    ])
    r = run_cli("import", str(path), "--kind", "exemptions")
    assert r.code == 0, r
    assert {e["exemption_id"]: e["services"] for e in listing(run_cli, "exemptions")} == {
        "E-1": ["voice", "data", "video"], "E-2": ["single"], "E-3": None, "E-4": None}


def test_headers_may_be_labels_in_any_case(run_cli: Cli, tmp_path: Path) -> None:
    init(run_cli)
    path = write_csv(tmp_path / "o.csv", [
        ["Request Number", "REQUEST DATE", "order-type", " Contractor ", "Monthly cost"],
        ["O-1", "2026-01-05", "new", "A", "7"],
    ])
    r = run_cli("import", str(path), "--kind", "order")
    assert r.code == 0, r
    [o] = listing(run_cli, "orders")
    assert (o["request_number"], o["monthly_cost"]) == ("O-1", 7)


# --- errors ------------------------------------------------------------------------------


def test_unknown_header_is_an_error(run_cli: Cli, tmp_path: Path) -> None:
    init(run_cli)
    path = write_csv(tmp_path / "o.csv", [[*ORDER_HEADER, "Notes"],
                                          ["O-1", "2026-01-05", "new", "A", "hello"]])
    before = snapshot(run_cli, tmp_path / "home")
    r = run_cli("import", str(path), "--kind", "orders")
    assert r.code == 1
    lines = error_lines(r.err, str(path))
    assert locations(lines) == [f"{path}:1:Notes"]
    assert "unknown column" in lines[0] and "request_number" in lines[0]
    assert r.out == ""
    assert snapshot(run_cli, tmp_path / "home") == before


@pytest.mark.parametrize("missing", ORDER_HEADER)
def test_missing_key_or_required_column_is_an_error(run_cli: Cli, tmp_path: Path,
                                                    missing: str) -> None:
    init(run_cli)
    header = [h for h in ORDER_HEADER if h != missing] + ["city"]
    row = [order_row("O-1", city="Davis")[h] for h in header]
    path = write_csv(tmp_path / "o.csv", [header, row])
    r = run_cli("import", str(path), "--kind", "orders")
    assert r.code == 1
    lines = error_lines(r.err, str(path))
    assert lines == [f"{path}:1:{missing}: required column is missing"]
    assert listing(run_cli, "orders") == []


def test_header_errors_do_not_hide_cell_errors(run_cli: Cli, tmp_path: Path) -> None:
    init(run_cli)
    path = write_csv(tmp_path / "o.csv", [
        ["request_number", "request_date", "Notes", "order_type"],
        ["O-1", "2026-01-05", "x", "new"],
        ["O-2", "yesterday", "y", "new"],
    ])
    r = run_cli("import", str(path), "--kind", "orders")
    assert r.code == 1
    assert locations(error_lines(r.err, str(path))) == [
        f"{path}:1:Notes", f"{path}:1:contractor", f"{path}:3:request_date"]


def test_duplicate_column_is_an_error(run_cli: Cli, tmp_path: Path) -> None:
    init(run_cli)
    path = write_csv(tmp_path / "o.csv", [[*ORDER_HEADER, "City", "city"],
                                          ["O-1", "2026-01-05", "new", "A", "x", "y"]])
    r = run_cli("import", str(path), "--kind", "orders")
    assert r.code == 1
    lines = error_lines(r.err, str(path))
    assert locations(lines) == [f"{path}:1:city"]
    assert "appears twice" in lines[0]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_duplicate_key_in_one_file_is_an_error(run_cli: Cli, tmp_path: Path,
                                               suffix: str) -> None:
    init(run_cli)
    path = write_sheet(tmp_path / f"o{suffix}", rows_of([
        order_row("O-1"), order_row("O-2"), order_row(" O-1 ", city="Other")]))
    r = run_cli("import", str(path), "--kind", "orders")
    assert r.code == 1
    [line] = error_lines(r.err, str(path))
    assert line.startswith(f"{path}:4:request_number: ")
    assert "O-1" in line and "row 2" in line
    assert listing(run_cli, "orders") == []


REFERENCES = [
    ("orders", "delegation_id", "delegations"),
    ("orders", "exemption_id", "exemptions"),
    ("exemptions", "general_delegation_id", "delegations"),
]


def _row_referring(kind: str, column: str, target: str) -> dict[str, str]:
    if kind == "orders":
        return order_row("O-1", **{column: target})
    return {"exemption_id": "E-9", "project": "Radio", column: target}


@pytest.mark.parametrize(("kind", "column", "target_kind"), REFERENCES)
def test_reference_to_a_record_not_in_the_register_is_an_error(
        run_cli: Cli, tmp_path: Path, kind: str, column: str, target_kind: str) -> None:
    init(run_cli)
    path = write_csv(tmp_path / "refs.csv", rows_of([_row_referring(kind, column, "NOPE-1")]))
    before = snapshot(run_cli, tmp_path / "home")
    r = run_cli("import", str(path), "--kind", kind)
    assert r.code == 1
    [line] = error_lines(r.err, str(path))
    assert line.startswith(f"{path}:2:{column}: ")
    assert "NOPE-1" in line and "not in the register" in line
    assert snapshot(run_cli, tmp_path / "home") == before

    # Once the record exists, the same file imports.
    target = KINDS[target_kind]
    seed = ({"delegation_id": "NOPE-1", "type": "general", "project": "P"}
            if target is DELEGATIONS else {"exemption_id": "NOPE-1", "project": "P"})
    seed_path = write_csv(tmp_path / "seed.csv", rows_of([seed]))
    assert run_cli("import", str(seed_path), "--kind", target_kind).code == 0
    r = run_cli("import", str(path), "--kind", kind)
    assert r.code == 0, r
    [rec] = [x for x in listing(run_cli, kind) if x[KINDS[kind].key.name] != "NOPE-1"]
    assert rec[column] == "NOPE-1"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_every_bad_cell_is_reported_as_file_row_column(run_cli: Cli, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       suffix: str) -> None:
    init(run_cli)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    name = f"in/orders{suffix}"  # FILE is printed as given on the command line
    header = ["Request number", "Request date", "Order type", "Contractor", "Description",
              "Monthly cost", "Delegation required", "Delegation"]
    write_sheet(tmp_path / name, [
        header,
        ["O-1", "2026-01-05", "new", "ACME", "", "1.00", "yes", ""],           # row 2: good
        ["O-2", "2026-02-30", "new", "ACME", "", "12.345", "yes", "D-404"],   # row 3
        [],                                                                   # row 4: blank
        ["O-3", "2026-01-05", "purchase", "ACME", "two\nlines", "", "", ""],  # row 5
        ["O-4", "01/05/2026", "new", "", "", "", "maybe", ""],                # row 6
        ["O-1", "2026-01-05", "new", "ACME", "", "", "", ""],                 # row 7
        ["O-5", "2026-01-05", "new", "ACME", "", "$", "", ""],                # row 8
    ])
    before = snapshot(run_cli, tmp_path / "home")
    r = run_cli("import", name, "--kind", "orders")
    assert r.code == 1
    assert r.out == ""
    lines = error_lines(r.err, name)
    assert locations(lines) == [
        f"{name}:3:Request date",
        f"{name}:3:Monthly cost",
        f"{name}:3:Delegation",
        f"{name}:5:Order type",
        f"{name}:6:Contractor",
        f"{name}:6:Delegation required",
        f"{name}:7:Request number",
        f"{name}:8:Monthly cost",
    ]
    reasons = [line.partition(": ")[2] for line in lines]
    assert "2026-02-30" in reasons[0]
    assert "12.345" in reasons[1]
    assert "D-404" in reasons[2]
    assert "purchase" in reasons[3] and "new|change|move|disconnect" in reasons[3]
    assert "required" in reasons[4]
    assert "maybe" in reasons[5]
    assert "row 2" in reasons[6]
    assert snapshot(run_cli, tmp_path / "home") == before

    # --dry-run reports exactly the same and writes nothing either.
    dry = run_cli("import", name, "--kind", "orders", "--dry-run")
    assert (dry.code, dry.out, dry.err) == (1, "", r.err)
    assert snapshot(run_cli, tmp_path / "home") == before


def test_a_bad_file_writes_nothing_even_where_other_rows_are_good(run_cli: Cli,
                                                                  tmp_path: Path) -> None:
    init(run_cli)
    first = write_csv(tmp_path / "first.csv", rows_of([order_row("O-1", city="Davis"),
                                                       order_row("O-2")]))
    assert run_cli("import", str(first), "--kind", "orders").code == 0
    before = snapshot(run_cli, tmp_path / "home")
    # the agency, the contracts init seeds, O-1 and O-2
    assert [e["kind"] for e in before[1]] == ["agency", *["contracts"] * len(seed_contracts()),
                                              "orders", "orders"]

    bad = write_csv(tmp_path / "second.csv", rows_of([
        order_row("O-1", city="Fresno"),           # an update
        order_row("O-3", city="Chico"),            # an insert
        order_row("O-4", request_date="someday"),  # the one bad cell
    ]))
    r = run_cli("import", str(bad), "--kind", "orders")
    assert r.code == 1
    assert locations(error_lines(r.err, str(bad))) == [f"{bad}:4:request_date"]
    assert snapshot(run_cli, tmp_path / "home") == before


def test_dry_run_of_a_good_file_exits_0_and_writes_nothing(run_cli: Cli,
                                                           tmp_path: Path) -> None:
    init(run_cli)
    first = write_csv(tmp_path / "first.csv", rows_of([order_row("O-1")]))
    assert run_cli("import", str(first), "--kind", "orders").code == 0
    before = snapshot(run_cli, tmp_path / "home")
    path = write_csv(tmp_path / "o.csv", rows_of([order_row("O-1", city="Fresno"),
                                                   order_row("O-2")]))
    r = run_cli("import", str(path), "--kind", "orders", "--dry-run")
    assert r.code == 0, r
    assert r.err == ""
    assert "2 orders rows are good" in r.out and "nothing was written" in r.out
    assert snapshot(run_cli, tmp_path / "home") == before


def test_control_characters_are_errors(run_cli: Cli, tmp_path: Path) -> None:
    init(run_cli)
    path = write_csv(tmp_path / "o.csv", rows_of([order_row("O-1", city="Da\x07vis")]))
    r = run_cli("import", str(path), "--kind", "orders")
    assert r.code == 1
    [line] = error_lines(r.err, str(path))
    assert line.startswith(f"{path}:2:city: ") and "control character" in line


def test_numbers_too_large_for_the_register_are_cell_errors(run_cli: Cli,
                                                            tmp_path: Path) -> None:
    """Found by the dry run as by the import: never a crash half-way through writing."""
    init(run_cli)
    path = write_csv(tmp_path / "o.csv", rows_of([
        order_row("O-1", monthly_cost="100000000000000000000", quantity=""),
        order_row("O-2", monthly_cost="", quantity="100000000000000000000"),
        order_row("O-3", monthly_cost="(-12)", quantity="1"),
    ]))
    before = snapshot(run_cli, tmp_path / "home")
    for extra in ((), ("--dry-run",)):
        r = run_cli("import", str(path), "--kind", "orders", *extra)
        assert r.code == 1, r
        assert locations(error_lines(r.err, str(path))) == [
            f"{path}:2:monthly_cost", f"{path}:3:quantity", f"{path}:4:monthly_cost"]
    assert snapshot(run_cli, tmp_path / "home") == before


def test_values_without_a_header_are_errors(run_cli: Cli, tmp_path: Path) -> None:
    init(run_cli)
    path = write_csv(tmp_path / "o.csv", [
        ["request_number", "", "request_date", "order_type", "contractor"],
        ["O-1", "", "2026-01-05", "new", "A"],
        ["O-2", "stray", "2026-01-05", "new", "A"],
        ["O-3", "", "2026-01-05", "new", "A", "beyond"],
    ])
    r = run_cli("import", str(path), "--kind", "orders")
    assert r.code == 1
    lines = error_lines(r.err, str(path))
    assert locations(lines) == [f"{path}:3:(column 2)", f"{path}:4:(column 6)"]
    assert listing(run_cli, "orders") == []


def test_empty_file_and_header_only_file(run_cli: Cli, tmp_path: Path) -> None:
    init(run_cli)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(codecs.BOM_UTF8)
    r = run_cli("import", str(empty), "--kind", "orders")
    assert r.code == 1
    assert error_lines(r.err, str(empty)) == [f"{empty}: the file is empty (no header row)"]
    for path in (write_csv(tmp_path / "h.csv", [ORDER_HEADER]),
                 write_xlsx(tmp_path / "h.xlsx", [ORDER_HEADER])):
        r = run_cli("import", str(path), "--kind", "orders")
        assert r.code == 0, r
        assert "0 added, 0 updated, 0 unchanged" in r.out


# --- upsert, blanks and history ----------------------------------------------------------


def test_blank_cell_empties_a_field_and_a_left_out_column_keeps_it(run_cli: Cli,
                                                                   tmp_path: Path) -> None:
    init(run_cli)
    home = tmp_path / "home"
    first = write_csv(tmp_path / "first.csv", rows_of([
        order_row("O-1", monthly_cost="$10.00", description="Desc", city="Davis",
                  delegation_required="yes", completed_on="2026-02-01"),
    ]))
    assert run_cli("import", str(first), "--kind", "orders").code == 0
    second = write_csv(tmp_path / "second.csv", rows_of([
        order_row("O-1", monthly_cost="", description="Desc", delegation_required="",
                  completed_on=""),
    ]))  # city is left out
    r = run_cli("import", str(second), "--kind", "orders")
    assert r.code == 0, r
    assert "0 added, 1 updated, 0 unchanged" in r.out
    [o] = listing(run_cli, "orders")
    assert o["monthly_cost"] is None
    assert o["delegation_required"] is None
    assert o["completed_on"] is None
    assert o["description"] == "Desc"
    assert o["city"] == "Davis"
    entries = [e for e in history(home) if e["kind"] == "orders"]
    assert [e["action"] for e in entries] == ["insert", "update"]
    assert entries[1]["changes"] == {"completed_on": ["2026-02-01", None],
                                     "delegation_required": [True, None],
                                     "monthly_cost": [1000, None]}
    r = run_cli("history", "orders", "O-1", "--json")
    assert r.code == 0 and len(json.loads(r.out)) == 2


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_reimporting_unchanged_rows_writes_no_history(run_cli: Cli, tmp_path: Path,
                                                      suffix: str) -> None:
    init(run_cli)
    home = tmp_path / "home"
    path = write_sheet(tmp_path / f"o{suffix}", rows_of([
        order_row("O-1", monthly_cost="$1,000.50", description="'=x"),
        order_row("O-2", request_date="3/7/2026", order_type="CHANGE"),
    ]))
    r = run_cli("import", str(path), "--kind", "orders")
    assert r.code == 0 and "2 added, 0 updated, 0 unchanged" in r.out, r
    before = snapshot(run_cli, home)
    r = run_cli("import", str(path), "--kind", "orders")
    assert r.code == 0 and "0 added, 0 updated, 2 unchanged" in r.out, r
    assert snapshot(run_cli, home) == before


def test_upsert_by_key_counts_and_history(run_cli: Cli, tmp_path: Path) -> None:
    init(run_cli)
    home = tmp_path / "home"
    first = write_csv(tmp_path / "a.csv", rows_of([order_row("O-1"), order_row("O-2")]))
    assert run_cli("import", str(first), "--kind", "orders").code == 0
    n = len(history(home))
    second = write_csv(tmp_path / "b.csv", rows_of([
        order_row("O-1", contractor="Other Co"), order_row("O-2"), order_row("O-3")]))
    r = run_cli("import", str(second), "--kind", "orders")
    assert r.code == 0 and "1 added, 1 updated, 1 unchanged" in r.out, r
    new = history(home)[n:]
    assert [(e["key"], e["action"]) for e in new] == [("O-1", "update"), ("O-3", "insert")]
    assert new[0]["changes"] == {"contractor": ["ACME Telecom", "Other Co"]}
    assert [o["contractor"] for o in listing(run_cli, "orders")] == [
        "Other Co", "ACME Telecom", "ACME Telecom"]


# --- export ------------------------------------------------------------------------------

INJECTION = {  # stored text -> the cell export writes
    "=HYPERLINK(\"http://x\",\"y\")": "'=HYPERLINK(\"http://x\",\"y\")",
    "+1 916 555 0100": "'+1 916 555 0100",
    "-dash": "'-dash",
    "@SUM(A1)": "'@SUM(A1)",
    "'quoted": "''quoted",
    "'=already": "''=already",
    "plain = text": "plain = text",
}


def _seed_injection(reg: Register) -> None:
    texts = list(INJECTION)
    with reg.transaction() as tx:
        tx.put_many(EXEMPTIONS, [{"exemption_id": "=E1", "project": texts[0],
                                  "services": ["=cmd|' /C calc'!A0", "data"],
                                  "total_cost": -1234}])
        tx.put_many(ORDERS, [
            {"request_number": f"O-{i}", "request_date": "2026-01-05", "order_type": "new",
             "contractor": text, "monthly_cost": -1200, "quantity": -3,
             "exemption_id": "=E1" if i == 0 else None}
            for i, text in enumerate(texts)])


def test_csv_export_is_utf8_with_bom_in_the_canonical_layout(run_cli: Cli, tmp_path: Path,
                                                             reg: Register) -> None:
    with reg.transaction() as tx:
        tx.put_many(ORDERS, [
            {"request_number": "O-2", "request_date": "2026-03-07", "order_type": "move",
             "contractor": "Café", "one_time_cost": 123456, "delegation_required": True},
            {"request_number": "O-1", "request_date": "2026-01-05", "order_type": "new",
             "contractor": "Zeta", "monthly_cost": 5},
        ])
    out = tmp_path / "out.csv"
    assert export_kind(reg, ORDERS, "csv", out) == 2
    raw = out.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == ORDERS.columns
    got = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert [g["request_number"] for g in got] == ["O-1", "O-2"]
    assert got[0]["monthly_cost"] == "0.05"
    assert got[0]["status"] == "draft"
    assert got[0]["one_time_cost"] == ""
    assert got[1]["contractor"] == "Café"
    assert got[1]["one_time_cost"] == "1234.56"
    assert got[1]["delegation_required"] == "yes"
    assert got[1]["request_date"] == "2026-03-07"


def test_export_cli_writes_csv_and_xlsx(run_cli: Cli, tmp_path: Path) -> None:
    init(run_cli)
    path = write_csv(tmp_path / "o.csv", rows_of([order_row("O-1"), order_row("O-2")]))
    assert run_cli("import", str(path), "--kind", "orders").code == 0
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"export.{fmt}"
        r = run_cli("export", "--kind", "orders", "--format", fmt, "-o", str(out))
        assert r.code == 0, r
        assert "Exported 2 orders" in r.out
        assert out.is_file()
    assert (tmp_path / "export.csv").read_bytes().startswith(codecs.BOM_UTF8)
    wb = openpyxl.load_workbook(tmp_path / "export.xlsx")
    assert [c.value for c in wb.worksheets[0][1]] == ORDERS.columns
    assert run_cli("export", "--kind", "orders", "--format", "ods", "-o", "x").code == 2


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_writes_0644_like_the_other_exports(run_cli: Cli, tmp_path: Path,
                                                         fmt: str) -> None:
    init(run_cli)
    out = tmp_path / f"orders.{fmt}"
    old = os.umask(0o027)
    try:
        assert run_cli("export", "--kind", "orders", "--format", fmt, "-o", str(out)).code == 0
        assert out.stat().st_mode & 0o777 == 0o644  # as the other exports, not mkstemp's 0600
        out.chmod(0o664)
        assert run_cli("export", "--kind", "orders", "--format", fmt, "-o", str(out)).code == 0
        assert out.stat().st_mode & 0o777 == 0o664  # a file written over keeps its mode
    finally:
        os.umask(old)


def test_csv_export_escapes_formula_injection_and_import_reverses_it(
        run_cli: Cli, tmp_path: Path) -> None:
    init(run_cli)
    home = tmp_path / "home"
    with Register.open(home, write=True) as reg:
        _seed_injection(reg)
    before = snapshot(run_cli, home)
    out = tmp_path / "orders.csv"
    assert run_cli("export", "--kind", "orders", "--format", "csv", "-o", str(out)).code == 0
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    got = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert [g["contractor"] for g in got] == list(INJECTION.values())
    assert {g["monthly_cost"] for g in got} == {"-12.00"}  # numbers are not escaped
    assert {g["quantity"] for g in got} == {"-3"}
    assert got[0]["exemption_id"] == "'=E1"

    ex_out = tmp_path / "exemptions.csv"
    assert run_cli("export", "--kind", "exemptions", "--format", "csv", "-o",
                   str(ex_out)).code == 0
    ex_rows = list(csv.reader(io.StringIO(ex_out.read_bytes().decode("utf-8-sig"),
                                          newline="")))
    ex = dict(zip(ex_rows[0], ex_rows[1], strict=True))
    assert ex["exemption_id"] == "'=E1"
    assert ex["services"] == "'=cmd|' /C calc'!A0; data"
    assert ex["total_cost"] == "-12.34"

    for path, kind in ((ex_out, "exemptions"), (out, "orders")):
        r = run_cli("import", str(path), "--kind", kind)
        assert r.code == 0, r
        assert "0 added, 0 updated" in r.out
    assert snapshot(run_cli, home) == before
    assert [o["contractor"] for o in listing(run_cli, "orders")] == list(INJECTION)


def test_xlsx_export_forces_text_cells_and_keeps_numbers_numeric(run_cli: Cli,
                                                                 tmp_path: Path) -> None:
    init(run_cli)
    home = tmp_path / "home"
    with Register.open(home, write=True) as reg:
        _seed_injection(reg)
        with reg.transaction() as tx:
            tx.put(ORDERS, {"request_number": "O-0", "zip": "01234", "delegation_required": False,
                            "completed_on": "2026-02-03"})
    before = snapshot(run_cli, home)
    out = tmp_path / "orders.xlsx"
    assert run_cli("export", "--kind", "orders", "--format", "xlsx", "-o", str(out)).code == 0
    ws = openpyxl.load_workbook(out).worksheets[0]
    header = [c.value for c in ws[1]]
    assert header == ORDERS.columns
    assert {c.data_type for c in ws[1]} == {"s"}
    col = {name: i for i, name in enumerate(header)}
    rows = list(ws.iter_rows(min_row=2))
    # texts as typed, in string cells: no apostrophe a person would see; those a spreadsheet
    # would take for a formula carry Excel's quote-prefix style instead
    cells = [r[col["contractor"]] for r in rows[:len(INJECTION)]]
    assert [c.value for c in cells] == list(INJECTION)
    assert [c.quotePrefix for c in cells] == [v != "plain = text" for v in INJECTION]
    assert all(c.data_type == "s" for c in cells)
    for r in rows:
        for name in ("request_number", "contractor", "order_type", "status"):
            assert r[col[name]].data_type == "s", (name, r[col[name]].value)
    money = rows[1][col["monthly_cost"]]
    assert money.data_type == "n" and money.value == -12
    assert money.number_format == '"$"#,##0.00;-"$"#,##0.00'
    qty = rows[1][col["quantity"]]
    assert qty.data_type == "n" and qty.value == -3
    first = rows[0]  # O-0, updated above, holds the other types
    assert first[col["zip"]].value == "01234" and first[col["zip"]].data_type == "s"
    assert first[col["delegation_required"]].value == "no"
    assert first[col["completed_on"]].is_date
    assert first[col["completed_on"]].number_format == "mm/dd/yyyy"
    assert first[col["completed_on"]].value == dt.datetime(2026, 2, 3)
    # a bold, frozen header with an autofilter; every column as wide as its content
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    last = openpyxl.utils.get_column_letter(len(KINDS["orders"].columns))
    assert ws.auto_filter.ref == f"A1:{last}{len(rows) + 1}"
    widths = {name: ws.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width
              for name, i in col.items()}
    assert widths["completed_on"] >= len("completed_on") + 3
    assert widths["contractor"] > len(max(INJECTION, key=len))
    assert openpyxl.load_workbook(out).custom_doc_props["CALNET Desk layout"].value == "2"

    r = run_cli("import", str(out), "--kind", "orders")
    assert r.code == 0 and "0 added, 0 updated" in r.out, r
    assert snapshot(run_cli, home) == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_of_an_empty_kind_is_just_the_header(run_cli: Cli, tmp_path: Path,
                                                    fmt: str) -> None:
    init(run_cli)
    out = tmp_path / f"people.{fmt}"
    r = run_cli("export", "--kind", "person", "--format", fmt, "-o", str(out))
    assert r.code == 0 and "Exported 0 people" in r.out, r
    if fmt == "csv":
        assert out.read_bytes().decode("utf-8-sig") == ",".join(PEOPLE.columns) + "\r\n"
    else:
        ws = openpyxl.load_workbook(out).worksheets[0]
        assert [[c.value for c in row] for row in ws.iter_rows()] == [PEOPLE.columns]
    r = run_cli("import", str(out), "--kind", "people")
    assert r.code == 0 and "0 added" in r.out, r


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_multiline_text_survives_export_and_import(reg: Register, tmp_path: Path,
                                                   fmt: str) -> None:
    with reg.transaction() as tx:
        tx.put(ORDERS, {"request_number": "O-1", "request_date": "2026-01-05",
                        "order_type": "new", "contractor": "A",
                        "description": "line one\nline two, \"quoted\"; semi"})
    out = tmp_path / f"o.{fmt}"
    export_kind(reg, ORDERS, fmt, out)
    records, errors, rows = read_records(out, ORDERS, reg)
    assert (errors, rows) == ([], 1)
    assert records == reg.records(ORDERS)


@pytest.mark.parametrize("day", [dt.date(1899, 12, 30), dt.date(1899, 12, 31),
                                 dt.date(1850, 6, 1), dt.date(1, 1, 1), dt.date(1900, 1, 1),
                                 dt.date(1900, 2, 28), dt.date(1900, 3, 1),
                                 dt.date(9999, 12, 31)])
def test_xlsx_round_trips_dates_excel_cannot_hold_too(reg: Register, tmp_path: Path,
                                                      day: dt.date) -> None:
    with reg.transaction() as tx:
        tx.put(ORDERS, {"request_number": "O-1", "request_date": day.isoformat(),
                        "order_type": "new", "contractor": "A"})
    out = tmp_path / "o.xlsx"
    export_kind(reg, ORDERS, "xlsx", out)
    records, errors, _ = read_records(out, ORDERS, reg)
    assert errors == []
    assert records[0]["request_date"] == day.isoformat()
    cell = openpyxl.load_workbook(out).worksheets[0]["B2"]
    if day < dt.date(1900, 1, 1):  # before Excel's first day: written as text
        assert cell.data_type == "s" and cell.value == day.isoformat()
    else:
        assert cell.is_date


# --- list --json -------------------------------------------------------------------------


def test_list_json_shape(run_cli: Cli, tmp_path: Path) -> None:
    init(run_cli)
    ex = write_csv(tmp_path / "ex.csv", [
        ["exemption_id", "project", "services", "total_cost", "submitted_on"],
        ["E-2", "Radio", "voice; data", "(1,234.56)", "3/7/2026"],
        ["E-1", "Fiber", "", "", ""],
    ])
    assert run_cli("import", str(ex), "--kind", "exemptions").code == 0
    path = write_csv(tmp_path / "o.csv", rows_of([
        order_row("O-3", one_time_cost="$250.00", monthly_cost="412.5",
                  delegation_required="yes", exemption_id="E-2", quantity="2"),
        order_row("O-10", delegation_required="no", monthly_cost="-0.07"),
        order_row("O-2"),
        order_row("A-1"),
    ]))
    assert run_cli("import", str(path), "--kind", "orders").code == 0
    r = run_cli("list", "orders", "--json")
    assert r.code == 0
    data = json.loads(r.out)
    assert [o["request_number"] for o in data] == ["A-1", "O-10", "O-2", "O-3"]
    for o in data:
        assert list(o) == ORDERS.columns
    o3 = data[3]
    assert o3["one_time_cost"] == 250 and isinstance(o3["one_time_cost"], int | float)
    assert o3["monthly_cost"] == 412.5
    assert o3["quantity"] == 2
    assert o3["delegation_required"] is True
    assert o3["request_date"] == "2026-01-05"
    assert o3["status"] == "draft"
    assert o3["exemption_id"] == "E-2"
    assert o3["completed_on"] is None and o3["city"] is None
    assert data[1]["monthly_cost"] == -0.07
    assert data[1]["delegation_required"] is False
    assert data[0]["delegation_required"] is None
    assert '"monthly_cost": 412.5' in r.out and '"one_time_cost": 250,' in r.out

    exs = listing(run_cli, "exemptions")
    assert [e["exemption_id"] for e in exs] == ["E-1", "E-2"]
    assert exs[1]["services"] == ["voice", "data"]
    assert exs[1]["total_cost"] == -1234.56
    assert exs[1]["submitted_on"] == "2026-03-07"
    assert exs[1]["decision"] == "pending"
    assert exs[0]["services"] is None and exs[0]["total_cost"] is None


# --- property: import(export(x)) == x -----------------------------------------------------

_CHARS = st.one_of(st.characters(exclude_categories=("C", "Z")), st.just(" "))
_PLAIN = st.text(_CHARS, min_size=1, max_size=24).map(str.strip).filter(bool)
_TRICKY = st.sampled_from(["00123", "1e5", "TRUE", "no", "#N/A", "2026-01-05", "3/7/2026",
                           "$5", "(12)", "-12", "'", "''", "'=", "=", "'-1", "NULL"])
_PREFIXED = st.tuples(st.sampled_from(["=", "+", "-", "@", "'", "''", "'=", "'+"]),
                      st.one_of(st.just(""), _PLAIN)).map("".join)
# The register stores text in NFC (issue 14 item 8): x is given in the form it stores.
TEXT = st.one_of(_PLAIN, _TRICKY, _PREFIXED).map(lambda s: unicodedata.normalize("NFC", s)
                                                 ).filter(lambda s: s == s.strip()
                                                          and s.isprintable())
ITEM = TEXT.filter(lambda s: ";" not in s)

VALUES: dict[str, Callable[[Field], st.SearchStrategy[Any]]] = {
    "text": lambda f: TEXT,
    "date": lambda f: st.dates().map(dt.date.isoformat),
    # cents and whole numbers over the whole range the register holds (SQLite's 64 bits):
    # beyond a spreadsheet's 15 digits an XLSX keeps them as text, not as a rounded number
    "money": lambda f: st.one_of(st.integers(-10**13, 10**13), st.integers(-2**63, 2**63 - 1)),
    "integer": lambda f: st.one_of(st.integers(-10**9, 10**9), st.integers(-2**63, 2**63 - 1)),
    "yesno": lambda f: st.booleans(),
    "choice": lambda f: st.sampled_from(f.choices),
    "list": lambda f: st.lists(ITEM, min_size=1, max_size=4),
}
POOL = {"delegations": ["D-1", "=D-2"], "exemptions": ["E-1"]}


# What a spreadsheet keeps of a number: 15 significant digits (files written before layout 2
# held longer numbers as numbers, which every reader gets back rounded; see _write_cell).
SPREADSHEET_NUMBERS: dict[str, Callable[[Field], st.SearchStrategy[Any]]] = {
    "money": lambda f: st.integers(-10**13, 10**13),
    "integer": lambda f: st.integers(-10**15 + 1, 10**15 - 1),
}


def records_of(kind: Kind, values: Mapping[str, Callable[[Field], st.SearchStrategy[Any]]]
               = VALUES) -> st.SearchStrategy[list[Record]]:
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for f in kind.fields:
        if f.references:
            parts[f.name] = st.sampled_from([None, *POOL[f.references]])
            continue
        value = values[f.type](f)
        parts[f.name] = value if f.required else st.one_of(st.none(), value)
    key = kind.key.name
    # keys that look alike cannot both exist: not only equal under NFKC + case folding, but
    # sharing either look-alike form ("''" and '"' do: hypothesis drew that pair once, and the
    # register rightly refused it), and a key with an invisible character (U+3164 is a letter
    # to Unicode) is refused
    return st.lists(st.fixed_dictionaries(parts).filter(lambda r: key_problem(r[key]) is None),
                    min_size=1, max_size=5,
                    unique_by=(lambda r: fold(r[key]),
                               lambda r: look_alike_forms(r[key])[0],
                               lambda r: look_alike_forms(r[key])[1]))


def _seed_pool(reg: Register, kind: Kind) -> None:
    with reg.transaction() as tx:
        tx.put_many(DELEGATIONS, [{"delegation_id": d, "type": "general", "project": "P"}
                                  for d in POOL["delegations"]])
        if kind is not EXEMPTIONS:
            tx.put_many(EXEMPTIONS, [{"exemption_id": e, "project": "P"}
                                     for e in POOL["exemptions"]])


def check_round_trip(kind: Kind, fmt: str, records: list[Record]) -> None:
    key = kind.key.name
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        reg = Register.create(root / "reg", agency="A", agency_class="non-state")
        try:
            _seed_pool(reg, kind)
            with reg.transaction() as tx:
                tx.put_many(kind, records)
            stored = reg.records(kind)
            assert stored == sorted(records, key=lambda r: str(r[key]))
            out = root / f"export.{fmt}"
            assert export_kind(reg, kind, fmt, out) == len(records)

            # what import reads from the export is what was exported, field for field
            parsed, errors, rows = read_records(out, kind, reg)
            assert errors == []
            assert rows == len(records)
            assert parsed == stored

            # and importing it changes nothing and writes no history
            n = len(reg.history())
            result = import_file(reg, out, kind)
            assert result.errors == []
            assert (result.inserted, result.updated, result.unchanged) == (0, 0, len(records))
            assert len(reg.history()) == n
            assert reg.records(kind) == stored
        finally:
            reg.close()


ROUND_TRIP = settings(max_examples=40, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture,
                                             HealthCheck.too_slow])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@ROUND_TRIP
@given(records=records_of(ORDERS))
def test_round_trip_orders(fmt: str, records: list[Record]) -> None:
    check_round_trip(ORDERS, fmt, records)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@ROUND_TRIP
@given(records=records_of(EXEMPTIONS))
def test_round_trip_exemptions(fmt: str, records: list[Record]) -> None:
    check_round_trip(EXEMPTIONS, fmt, records)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@settings(ROUND_TRIP, max_examples=15)
@given(records=records_of(PEOPLE))
def test_round_trip_people(fmt: str, records: list[Record]) -> None:
    check_round_trip(PEOPLE, fmt, records)


def write_old_xlsx(path: Path, kind: Kind, records: list[Record]) -> None:
    """An XLSX as CALNET Desk wrote them before layout 2 (openpyxl, formula-looking texts
    with an apostrophe prefixed, no layout property)."""
    from calnet_desk.values import escape_cell

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(kind.name)
    ws.append(kind.columns)
    for r in records:
        row: list[object] = []
        for f in kind.fields:
            v = to_cell_native(f, r.get(f.name))
            row.append(escape_cell(v) if isinstance(v, str) and f.type in ("text", "list")
                       else v)
        ws.append(row)
    wb.save(path)


@pytest.mark.parametrize("kind", [ORDERS, EXEMPTIONS], ids=lambda k: k.name)
@settings(ROUND_TRIP, max_examples=25)
@given(data=st.data())
def test_round_trip_of_an_xlsx_written_before_layout_2(kind: Kind, data: Any) -> None:
    """Files written before the layout property still import exactly (apostrophe removed
    from formula-looking texts only), numbers as far as a spreadsheet keeps them."""
    records = data.draw(records_of(kind, VALUES | SPREADSHEET_NUMBERS))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        reg = Register.create(root / "reg", agency="A", agency_class="non-state")
        try:
            _seed_pool(reg, kind)
            out = root / "old.xlsx"
            write_old_xlsx(out, kind, records)
            parsed, errors, _ = read_records(out, kind, reg)
            assert errors == []
            key = kind.key.name
            want = [{f.name: r.get(f.name) for f in kind.fields}
                    for r in sorted(records, key=lambda r: str(r[key]))]
            assert sorted(parsed, key=lambda r: str(r[key])) == want
        finally:
            reg.close()


def test_libreoffice_shows_every_exported_cell(run_cli: Cli, tmp_path: Path) -> None:
    """LibreOffice (headless) renders the export to PDF: no '###' anywhere (a column too
    narrow for its date or amount), dates as dates, money in dollars."""
    import shutil
    import subprocess

    init(run_cli)
    home = tmp_path / "home"
    with Register.open(home, write=True) as reg, reg.transaction() as tx:
        tx.put_many(ORDERS, [{"request_number": f"TSR-2026-{i:05d}", "request_date":
                              "2026-12-31", "order_type": "new", "contractor": "Verizon",
                              "monthly_cost": 123456789 * (i + 1), "one_time_cost": 5,
                              "completed_on": "2026-02-03", "description": "=1+2"}
                             for i in range(3)])
    out = tmp_path / "orders.xlsx"
    assert run_cli("export", "--kind", "orders", "--format", "xlsx", "-o", str(out)).code == 0
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is needed (apt-get install libreoffice-calc-nogui)"
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
                   check=True, capture_output=True, timeout=180)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "orders.pdf"), "-"],
                          check=True, capture_output=True, text=True).stdout
    assert "###" not in text
    assert "12/31/2026" in text and "02/03/2026" in text
    assert "$3,703,703.67" in text and "$0.05" in text
    assert "=1+2" in text and "'=1+2" not in text  # no apostrophe shown, no formula run
