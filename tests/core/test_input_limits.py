"""Issue 14 item 13, the limits: an XLSX cell past Excel's 32,767 characters (written by a
tool other than Excel) is named by ROW:COLUMN and refused, not stored; a CSV cell, past csv's
own 131,072 characters too, is bounded only by the file's size, since CSV is where the XLSX
exports send a text longer than a cell holds. Whatever imports can be exported in the same
format and imported again."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest

from calnet_desk import cli
from calnet_desk.records import KINDS
from calnet_desk.store import Register

HEADER = ["request_number", "request_date", "order_type", "contractor"]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    root = tmp_path / "reg"
    assert run("--data-dir", str(root), "demo", "--orders", "5")[0] == 0
    return root


def test_a_csv_cell_past_csvs_own_limit_and_excels_imports_whole(home: Path) -> None:
    """A CSV is what the XLSX exports send a text longer than a cell holds to: it comes
    back whole (only the file's size bounds a CSV cell), past csv's own 131,072 too."""
    path = home.parent / "wide-cell.csv"
    path.write_text(",".join(HEADER) + "\n" + "H-0,2026-01-01,new,AT&T\n"
                    + f"H-1,2026-01-01,new,{'x' * 200_000}\n", encoding="utf-8")
    code, _, err = run("--data-dir", str(home), "import", str(path), "--kind", "orders")
    assert code == 0, err[:500]
    with Register.open(home) as reg:
        assert reg.get(KINDS["orders"], "H-1")["contractor"] == "x" * 200_000  # type: ignore


def xlsx_with_a_long_cell(path: Path, chars: int) -> Path:
    """An XLSX as a tool other than Excel may write it: a cell of ``chars`` characters
    (openpyxl and XlsxWriter cut at 32,767 themselves, so the sheet is edited after)."""
    import openpyxl

    plain = path.with_name("plain.xlsx")
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER)
    ws.append(["H-1", "2026-01-01", "new", "MARKER"])
    wb.save(plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml" or "sharedStrings" in info.filename:
                # hex digits: not so compressible that the zip-bomb guard refuses it first
                data = data.replace(b"MARKER", random.Random(13).randbytes(
                    chars // 2).hex().encode() + b"y" * (chars % 2))
            out.writestr(info.filename, data)
    return path


@pytest.mark.parametrize("chars", [40_000, 10_000_000])
def test_an_xlsx_cell_past_excels_limit_is_refused_the_same_way(home: Path,
                                                                chars: int) -> None:
    path = xlsx_with_a_long_cell(home.parent / "long.xlsx", chars)
    code, _, err = run("--data-dir", str(home), "import", str(path), "--kind", "orders")
    assert code == 1, err
    assert f"{path}:2:contractor: longer than 32,767 characters" in err, err[:500]
    assert len(err) < 2000
