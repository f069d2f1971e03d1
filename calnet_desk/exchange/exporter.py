"""Export: one record kind as CSV (UTF-8 with BOM) or XLSX, in the canonical layout that
import reads back unchanged."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import cast

from ..records import Kind, Value
from ..store import Register
from ..values import to_cell_native, to_cell_text
from .sheets import XLSX_FORMATS, RowName, write_csv, write_xlsx


def record_row(kind: Kind) -> RowName:
    """Names a row of the kind's canonical sheet by its record: "order O-1" (the key
    fields are texts, written as they are)."""
    columns = kind.columns

    def name(number: int, row: Sequence[object]) -> str:
        cells = dict(zip(columns, cast(Sequence[Value], row), strict=True))
        return f"{kind.singular} {kind.record_key(cells)}"

    return name


def export_kind(reg: Register, kind: Kind, fmt: str, out: Path) -> int:
    records = reg.records(kind)
    fields = kind.fields
    if fmt == "csv":
        write_csv(out, kind.columns,
                  ([to_cell_text(f, r[f.name]) for f in fields] for r in records))
    elif fmt == "xlsx":
        write_xlsx(out, kind.name, kind.columns,
                   ([to_cell_native(f, r[f.name]) for f in fields] for r in records),
                   [XLSX_FORMATS.get(f.type) for f in fields], record_row(kind))
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    return len(records)
