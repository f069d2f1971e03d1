"""What every command module shares: exit codes, the parser class, argument types, opening
the register, and the output helpers."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, NoReturn, TextIO, cast

from ..records import KINDS, Kind, Record, UnknownKind, kind_named
from ..store import Register
from ..store.errors import printable
from ..store.register import NeedsUpgrade
from ..values import to_json

OK, PROBLEM, USAGE = 0, 1, 2

MAX_PRINTED_PROBLEMS = 200  # an import's problems printed one a line, then a count
MAX_COUNT = 1_000_000  # the largest --limit, --orders, --months: design choice

KINDS_HELP = ", ".join(KINDS)

AddParser = Callable[[str, str], argparse.ArgumentParser]
"""Adds one command's subparser (name, help) to the command line and returns it."""

Handler = Callable[[argparse.Namespace, Path, TextIO, TextIO], int]
"""Runs one command: (arguments, register folder, stdout, stderr) -> exit code."""


class Command(NamedTuple):
    """One command: its name, the function declaring its arguments, the one running it."""

    name: str
    declare: Callable[[AddParser], None]
    run: Handler


class CliError(Exception):
    """Ends the command with exit code 1 and this message on stderr."""


def kind_arg(text: str) -> Kind:
    try:
        return kind_named(text)
    except UnknownKind as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def record_ref_arg(text: str) -> tuple[Kind, str]:
    kind_text, sep, key = text.partition(":")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KIND:KEY (e.g. orders:HO-1)")
    return kind_arg(kind_text), key


def date_arg(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def positive_arg(text: str) -> int:
    shown = text if len(text) <= 40 else text[:20] + "…" + f" ({len(text):,} characters)"
    try:
        n = int(text) if len(text) <= 40 else 0
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{shown!r} is not a positive whole number")
    if n > MAX_COUNT:
        raise argparse.ArgumentTypeError(f"{shown} is more than {MAX_COUNT:,}")
    return n


def month_arg(text: str) -> str:
    from ..exchange.billing import BadMonth, parse_month

    try:
        return parse_month(text)
    except BadMonth as e:
        raise argparse.ArgumentTypeError(str(e)) from None


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"{self.prog}: error: {message}\n")


# --- opening the register ---------------------------------------------------------------


def open_register(root: Path, err: TextIO, *, write: bool) -> Register:
    if write:
        reg = Register.open(root, write=True)
    else:
        try:
            reg = Register.open(root, write=False)
        except NeedsUpgrade:
            Register.open(root, write=True).close()  # upgrades it, after a backup
            reg = Register.open(root, write=False)
    for warning in reg.warnings:
        err.write(f"calnet-desk-cli: warning: {warning}\n")
    return reg


# --- output helpers ----------------------------------------------------------------------


def output_file(path: Path) -> Path:
    """An output file the command may write: not a folder, device or pipe, in a folder
    that exists (else CliError, nothing written)."""
    from ..store.errors import TargetError, check_output_target

    try:
        check_output_target(path)
    except TargetError as e:
        raise CliError(str(e)) from None
    return path


def output_target(target: Path, suffixes: tuple[str, ...]) -> None:
    if target.is_dir() or not target.parent.is_dir():
        raise CliError(f"{target}: give a file name in an existing folder; nothing was written")
    if target.suffix.lower() not in suffixes:
        raise CliError(f"{target}: the file name must end in {' or '.join(suffixes)}; nothing "
                       "was written")


def record_json(kind: Kind, record: Record) -> dict[str, Any]:
    return {f.name: to_json(f, record.get(f.name)) for f in kind.fields}


def print_json(obj: Any, out: TextIO) -> None:
    json.dump(obj, out, indent=2, ensure_ascii=False)
    out.write("\n")


class PrintedText(io.TextIOBase):
    """A stream for people: every text written is escaped as printed text (ESC, CR, a
    direction override… never reach the terminal raw; store.errors.printable, the one
    helper), line ends kept. main() wraps stdout (unless --json: JSON escapes its own) and
    stderr in it, so list, show, history, verify and every other message are covered."""

    def __init__(self, inner: TextIO) -> None:
        super().__init__()
        self.inner = inner

    def write(self, text: str) -> int:
        self.inner.write(printable(text, None, keep="\n"))
        return len(text)

    def flush(self) -> None:
        self.inner.flush()

    def writable(self) -> bool:
        return True


def printed_stream(stream: TextIO) -> TextIO:
    return cast(TextIO, PrintedText(stream))


def table(rows: list[list[str]], out: TextIO) -> None:
    if not rows:
        return
    rows = [[printable(c, None) for c in r] for r in rows]  # as printed: widths hold
    widths = [min(max(len(r[i]) for r in rows), 40) for i in range(len(rows[0]))]
    for r in rows:
        cells = [(c if len(c) <= 40 else c[:39] + "…").ljust(w) for c, w in zip(r, widths,
                                                                               strict=True)]
        out.write("  ".join(cells).rstrip() + "\n")


def rules_for(root: Path, generation: str | None = None) -> Any:
    from ..paths import RegisterPaths
    from ..policy.rules import load_rules

    paths = RegisterPaths(root)
    return load_rules(generation, root if paths.exists() else None)


def money(cents: int) -> str:
    from ..policy.reconcile import money_text

    return money_text(cents)
