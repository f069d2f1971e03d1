"""Spreadsheets in and out: import and export one record kind."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from ..records import Kind
from .common import (
    KINDS_HELP,
    MAX_PRINTED_PROBLEMS,
    OK,
    PROBLEM,
    AddParser,
    Command,
    kind_arg,
    open_register,
    output_file,
)


def declare_import(add: AddParser) -> None:
    p = add("import", "import a CSV or XLSX file of one record kind (all rows or none)")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--kind", required=True, type=kind_arg, help=KINDS_HELP)
    p.add_argument("--dry-run", action="store_true", help="check only; write nothing")


def cmd_import(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..operations import import_spreadsheet

    kind: Kind = args.kind
    name = str(args.file)

    def progress(done: int, total: int) -> None:
        err.write(f"import: {done} of {total} rows written\n")
        err.flush()

    with open_register(root, err, write=True) as reg:
        result = import_spreadsheet(reg, args.file, kind, dry_run=args.dry_run, name=name,
                                    progress=progress)
    for line in result.errors[:MAX_PRINTED_PROBLEMS]:
        err.write(line + "\n")
    if len(result.errors) > MAX_PRINTED_PROBLEMS:
        err.write(f"{name}: … and {len(result.errors) - MAX_PRINTED_PROBLEMS:,} more "
                  "problem(s) like these (the desktop's import wizard lists them all)\n")
    if result.errors:
        err.write(f"{name}: {len(result.errors):,} problem(s); nothing was imported\n")
        return PROBLEM
    if args.dry_run:
        out.write(f"{name}: {result.rows} {kind.name} rows are good; nothing was written "
                  "(dry run)\n")
    else:
        out.write(f"{name}: {result.inserted} added, {result.updated} updated, "
                  f"{result.unchanged} unchanged {kind.name}\n")
    return OK


def declare_export(add: AddParser) -> None:
    p = add("export", "export one record kind as CSV or XLSX")
    p.add_argument("--kind", required=True, type=kind_arg, help=KINDS_HELP)
    p.add_argument("--format", required=True, choices=("csv", "xlsx"))
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE")


def cmd_export(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..exchange.exporter import export_kind

    output_file(args.output)
    with open_register(root, err, write=False) as reg:
        n = export_kind(reg, args.kind, args.format, args.output)
    out.write(f"Exported {n} {args.kind.name} to {args.output}\n")
    return OK


COMMANDS = (
    Command('import', declare_import, cmd_import),
    Command('export', declare_export, cmd_export),
)
