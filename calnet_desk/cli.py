"""calnet-desk-cli: the register from the command line.

A public interface: commands, flags, JSON shapes and exit codes are kept stable.
Exit codes: 0 ok; 1 a problem found, not found, locked, no register, bad data; 2 bad usage.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from . import __version__
from .paths import resolve_data_dir
from .policy.billing_codes import CODES as RECONCILE_CODES
from .policy.billing_codes import MARKS as RECONCILE_MARKS
from .policy.rules import RulesError
from .records import (
    AGENCY_CLASSES,
    CATALOG_STATUSES,
    GENERATIONS,
    KINDS,
    Kind,
    Record,
    UnknownKind,
    kind_named,
)
from .store import Register, StoreError
from .store.errors import STORAGE_ERRORS
from .store.lock import RegisterLocked
from .store.register import NeedsUpgrade, NoRegister
from .values import display, to_json

OK, PROBLEM, USAGE = 0, 1, 2


class CliError(Exception):
    """Ends the command with exit code 1 and this message on stderr."""


def _kind(text: str) -> Kind:
    try:
        return kind_named(text)
    except UnknownKind as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _record_ref(text: str) -> tuple[Kind, str]:
    kind_text, sep, key = text.partition(":")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KIND:KEY (e.g. orders:HO-1)")
    return _kind(kind_text), key


def _search_kind(text: str) -> str:
    if text.strip().lower() in ("documents", "document"):
        return "documents"
    return _kind(text).name


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _offering(text: str) -> str:
    from .policy.procurement import OFFERINGS, RETIRED_OFFERINGS

    if text in RETIRED_OFFERINGS:
        raise argparse.ArgumentTypeError(RETIRED_OFFERINGS[text])
    if text not in OFFERINGS:
        raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(OFFERINGS)}")
    return text


MAX_PRINTED_PROBLEMS = 200  # an import's problems printed one a line, then a count
MAX_COUNT = 1_000_000  # the largest --limit, --orders, --months: design choice


def _positive(text: str) -> int:
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




def _month(text: str) -> str:
    from .exchange.billing import BadMonth, parse_month

    try:
        return parse_month(text)
    except BadMonth as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _mark_dollars(text: str) -> int:
    from .values import BadValue, parse_money

    try:
        cents = parse_money(text)
    except BadValue as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    if not isinstance(cents, int) or cents < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount in dollars (0 or more)")
    return cents


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    data_dir_help = ("the register folder (default: $CALNET_DESK_HOME, else the user data "
                     "folder)")
    parser = _Parser(prog="calnet-desk-cli",
                     description="CALNET Desk: the agency's register of CALNET orders, "
                                 "exemptions, delegations and ATOs.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--data-dir", metavar="DIR", help=data_dir_help)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=_Parser)
    # --data-dir is accepted after the subcommand too; the flag before it wins.
    common = _Parser(add_help=False)
    common.add_argument("--data-dir", metavar="DIR", dest="data_dir_after",
                        default=None, help=data_dir_help)
    kinds = ", ".join(KINDS)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, description=help_text, parents=[common])

    p = add("init", "create a register in the data folder")
    p.add_argument("--agency", required=True, metavar="NAME")
    p.add_argument("--agency-class", required=True, choices=AGENCY_CLASSES)
    p.add_argument("--billing-code", metavar="CODE")

    p = add("import", "import a CSV or XLSX file of one record kind (all rows or none)")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--kind", required=True, type=_kind, help=kinds)
    p.add_argument("--dry-run", action="store_true", help="check only; write nothing")

    p = add("export", "export one record kind as CSV or XLSX")
    p.add_argument("--kind", required=True, type=_kind, help=kinds)
    p.add_argument("--format", required=True, choices=("csv", "xlsx"))
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE")

    p = add("list", "list the records of one kind")
    p.add_argument("kind", type=_kind, metavar="KIND", help=kinds)
    p.add_argument("--json", action="store_true")

    p = add("show", "show one record")
    p.add_argument("kind", type=_kind, metavar="KIND", help=kinds)
    p.add_argument("key", metavar="KEY")
    p.add_argument("--json", action="store_true")

    p = add("history", "show the changes of one record")
    p.add_argument("kind", type=_kind, metavar="KIND", help=kinds)
    p.add_argument("key", metavar="KEY")
    p.add_argument("--json", action="store_true")

    p = add("delete", "delete one record (the history keeps it)")
    p.add_argument("kind", type=_kind, metavar="KIND", help=kinds)
    p.add_argument("key", metavar="KEY")
    p.add_argument("--reason", metavar="TEXT")

    p = add("verify", "check the database, the history chain, and every record against "
                      "its history")
    p.add_argument("--json", action="store_true")

    add("rebuild-search", "re-create the schema's triggers and rebuild the search index from "
                          "the records (records and history are not changed)")

    add("clean-up", "remove stored document files that no record and no history entry names "
                    "(verify lists them; a crash between storing and recording leaves them)")

    p = add("attach", "store a document and link it to a record")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--to", required=True, type=_record_ref, metavar="KIND:KEY",
                   help="e.g. orders:HO-1 (order:HO-1 works too)")
    p.add_argument("--reason", metavar="TEXT")

    p = add("detach", "unlink a document from a record (the stored file is kept)")
    p.add_argument("sha256", metavar="SHA256")
    p.add_argument("--from", dest="from_", required=True, type=_record_ref,
                   metavar="KIND:KEY")
    p.add_argument("--reason", metavar="TEXT")

    p = add("documents", "list the documents linked to a record")
    p.add_argument("kind", type=_kind, metavar="KIND", help=kinds)
    p.add_argument("key", metavar="KEY")
    p.add_argument("--json", action="store_true")

    p = add("open", "write a read-only copy of a document under its original name")
    p.add_argument("sha256", metavar="SHA256")
    p.add_argument("--to", required=True, type=Path, metavar="DIR")

    p = add("search", "full-text search over every record and document name")
    p.add_argument("text", metavar="TEXT")
    p.add_argument("--kind", type=_search_kind, help=kinds + ", documents")
    p.add_argument("--limit", type=_positive, default=50, metavar="N")
    p.add_argument("--json", action="store_true")

    p = add("rules", "show every rule with its citation")
    p.add_argument("--generation", choices=GENERATIONS,
                   help="the rule set of one contract generation (default: the common one)")
    p.add_argument("--sources", action="store_true",
                   help="every source document with the rules resting on it and the sentence "
                        "each rests on")
    p.add_argument("--json", action="store_true")

    p = add("check-purchase", "what the rules require for a planned purchase, and why")
    p.add_argument("--agency-class", choices=AGENCY_CLASSES,
                   help="default: the register's (with this flag no register is needed)")
    p.add_argument("--offering", type=_offering,
                   metavar="calnet|not-on-calnet|contact-center-agents|contact-center-mixed",
                   help="contact-center technology (routing, IVR, analytics, the platform) is "
                        "calnet; human agents or staff augmentation are contact-center-agents; "
                        "both in one purchase is contact-center-mixed")
    p.add_argument("--catalog-status", choices=CATALOG_STATUSES)
    p.add_argument("--delegation-flag", choices=("yes", "no"))
    p.add_argument("--buy-outside", action="store_true",
                   help="buy a CALNET-offered service elsewhere, or extend or re-bid an "
                        "outside contract for it")
    p.add_argument("--ato-term-active", choices=("yes", "no"), help="non-state agencies only")
    p.add_argument("--json", action="store_true")

    p = add("deadlines", "every deadline with the rule it comes from")
    p.add_argument("--today", type=_iso_date, metavar="YYYY-MM-DD", help="default: today")
    p.add_argument("--within", type=int, metavar="DAYS",
                   help="only those due within DAYS (overdue included)")
    p.add_argument("--json", action="store_true")

    p = add("export-ics", "write every deadline to an iCalendar (.ics) file: all-day events "
                          "with one reminder, updated in place when imported again")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--today", type=_iso_date, metavar="YYYY-MM-DD",
                   help="the export date stamped in the file (default: today)")
    p.add_argument("--from", dest="start", type=_iso_date, metavar="YYYY-MM-DD",
                   help="the first deadline date (default: 30 days before --today)")
    p.add_argument("--to", dest="end", type=_iso_date, metavar="YYYY-MM-DD",
                   help="the last deadline date (default: no end)")

    p = add("ack", "acknowledge a deadline (until its date changes)")
    p.add_argument("kind", type=_kind, metavar="KIND", help=kinds)
    p.add_argument("key", metavar="KEY")
    p.add_argument("deadline_kind", metavar="DEADLINE_KIND")
    p.add_argument("--reason", metavar="TEXT")

    p = add("snooze", "snooze a deadline until a date (until its date changes)")
    p.add_argument("kind", type=_kind, metavar="KIND", help=kinds)
    p.add_argument("key", metavar="KEY")
    p.add_argument("deadline_kind", metavar="DEADLINE_KIND")
    p.add_argument("--until", required=True, type=_iso_date, metavar="YYYY-MM-DD")
    p.add_argument("--reason", metavar="TEXT")

    p = add("set-ladder", "set one record's reminder ladder (days before, e.g. 120,60,14)")
    p.add_argument("kind", type=_kind, metavar="KIND", help=kinds)
    p.add_argument("key", metavar="KEY")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("ladder", nargs="?", metavar="DAYS")
    g.add_argument("--clear", action="store_true", help="back to the kind's ladder")

    p = add("backup", "back the register and its documents up now")
    p.add_argument("--to", type=Path, metavar="DIR",
                   help="another folder, e.g. a second disk or a share (default: the "
                        "register's backups folder)")

    p = add("backups", "list the register's backups, newest first")
    p.add_argument("--json", action="store_true")

    p = add("restore", "put a backup in place (the current database is kept aside)")
    p.add_argument("backup", nargs="?", metavar="BACKUP",
                   help="a name from `backups` or a backup folder (default: the newest "
                        "good backup)")

    p = add("request-check", "is an exemption or delegation request complete? (the elements "
                             "STMM 501.0 / 3-502.0 ask for, from the rule set)")
    p.add_argument("kind", type=_request_kind, metavar="KIND",
                   help="exemptions or delegations (singular accepted)")
    p.add_argument("key", metavar="KEY")
    p.add_argument("--json", action="store_true")

    p = add("request-packet", "lay an exemption or delegation request out as a PDF letter "
                              "for the AIO/CIO's signature, every element in order and the "
                              "missing ones marked")
    p.add_argument("kind", type=_request_kind, metavar="KIND",
                   help="exemptions or delegations (singular accepted)")
    p.add_argument("key", metavar="KEY")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.pdf")

    p = add("ipr", "Individual Price Reduction: is the alternative about 20 percent below CALNET, "
                   "with comparable service? (STMM 501.0; advisory)")
    p.add_argument("--calnet-cost", required=True, type=_dollars, metavar="DOLLARS",
                   help="the CALNET total over the term")
    p.add_argument("--alternative-cost", required=True, type=_dollars, metavar="DOLLARS",
                   help="the alternative's total over the same term")
    p.add_argument("--months", type=_positive, metavar="N", help="the term both totals cover")
    p.add_argument("--checklist", default="", metavar="ITEMS",
                   help="comparability shown, comma-separated: sla, network-support, "
                        "diversity, survivability, recoverability, scalability (the rule "
                        "set's ipr-checklist)")
    p.add_argument("--attest-network", action="store_true",
                   help="a separate contract would not unduly interfere with the statewide "
                        "network")
    p.add_argument("--save-to", metavar="KEY",
                   help="keep the calculation with exemption KEY (reason ipr); the request "
                        "packet shows it")
    p.add_argument("--reason", metavar="TEXT", help="why (kept in the history; --save-to)")
    p.add_argument("--json", action="store_true")

    p = add("findings", "what is wrong in the register (expired exemptions, missing "
                        "delegations, CATR/ATR problems, incomplete requests…), with the rule")
    p.add_argument("--today", type=_iso_date, metavar="YYYY-MM-DD", help="default: today")
    p.add_argument("--json", action="store_true")

    p = add("export-bundle", "export an audit bundle for the CALNET Program (STMM 501.0, "
                             "3-502.0): a BagIt bag in a zip with the records, documents, "
                             "history and a PDF summary; the same as-of date and --today "
                             "give the same bytes")
    p.add_argument("output", type=Path, metavar="OUT.zip")
    p.add_argument("--scope", type=_bundle_scope, default="all", metavar="SCOPE",
                   help="all (default), exemption:KEY, delegation:KEY, ato:KEY or "
                        "since:YYYY-MM-DD")
    p.add_argument("--as-of", type=_iso_date, metavar="YYYY-MM-DD",
                   help="the report date (default: --today)")
    p.add_argument("--today", type=_iso_date, metavar="YYYY-MM-DD",
                   help="the day the bag is made, its Bagging-Date (default: today)")
    p.add_argument("--redact", action="store_true",
                   help="drop personal names, e-mail, phone and user names (a Public "
                        "Records Act copy)")

    p = add("verify-bundle", "check an audit bundle (zip or unzipped folder): the bag, every "
                             "file against its manifest, the history against its chain")
    p.add_argument("bundle", type=Path, metavar="BUNDLE")
    p.add_argument("--expect-head", type=_chain_head, metavar="HASH",
                   help="the history chain head printed when the bundle was made (received "
                        "separately): the bundle must end at it")

    p = add("merge-bundle", "merge an audit bundle (an ATR's register, from export-bundle) "
                            "into the register: new records added, identical ones skipped, "
                            "conflicts listed; all or nothing")
    p.add_argument("bundle", type=Path, metavar="BUNDLE", help="the bundle: a zip or a folder")
    p.add_argument("--dry-run", action="store_true", help="report what would happen; write "
                                                          "nothing")
    p.add_argument("--prefer", choices=("register", "bundle"), default="register",
                   help="whose version a conflicting record keeps (default: register)")
    p.add_argument("--allow-other-agency", action="store_true",
                   help="merge a bundle whose Source-Organization is another agency")
    p.add_argument("--json", action="store_true")

    p = add("import-billing", "import a contractor's monthly statement (CSV or XLSX; all "
                              "lines or none); the file is kept as a document")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--contractor", required=True, metavar="NAME")
    p.add_argument("--month", required=True, type=_month, metavar="YYYY-MM")
    p.add_argument("--dry-run", action="store_true", help="check only; write nothing")
    p.add_argument("--replace", action="store_true",
                   help="replace a statement already imported for that contractor and month")

    p = add("billing", "the imported statements by contractor and month")
    p.add_argument("--json", action="store_true")

    p = add("reconcile", "the statements against the orders: lines billed after a "
                         "disconnect, not in the register, at the wrong rate, twice, unused, "
                         "and orders not billed; exit 1 while any finding is open")
    p.add_argument("--month", type=_month, metavar="YYYY-MM",
                   help="one month (default: every imported month)")
    p.add_argument("--contractor", metavar="NAME")
    p.add_argument("--json", action="store_true")

    p = add("reconcile-mark", "mark a reconciliation finding (kept through re-runs and "
                              "re-imports)")
    p.add_argument("month", type=_month, metavar="MONTH")
    p.add_argument("contractor", metavar="CONTRACTOR")
    p.add_argument("code", choices=RECONCILE_CODES, metavar="CODE",
                   help=", ".join(RECONCILE_CODES))
    p.add_argument("line", metavar="LINE")
    p.add_argument("--as", dest="as_", required=True, choices=RECONCILE_MARKS)
    p.add_argument("--amount", type=_mark_dollars, metavar="DOLLARS",
                   help="with credited: the dollars recovered")
    p.add_argument("--note", metavar="TEXT")

    p = add("reconcile-report", "the month's reconciliation as a workbook (summary per "
                                "contractor and BAN, a sheet per code) or a one-page PDF "
                                "for management")
    p.add_argument("--month", required=True, type=_month, metavar="YYYY-MM")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE",
                   help="FILE.xlsx (the workbook) or FILE.pdf (one page)")
    p.add_argument("--today", type=_iso_date, metavar="YYYY-MM-DD",
                   help="the date printed on the PDF (default: today)")

    p = add("dispute-list", "the open findings to put to a contractor, as CSV: BAN, line, "
                            "amount, reason")
    p.add_argument("--contractor", required=True, metavar="NAME")
    p.add_argument("--month", required=True, type=_month, metavar="YYYY-MM")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.csv")

    p = add("toll-free", "every toll-free number (800, 833, 844, 855, 866, 877, 888) in the "
                         "orders and statements: the list STMM 0507.0 asks agencies to keep")
    p.add_argument("--json", action="store_true")
    p.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="also write the list as CSV (or XLSX when FILE ends in .xlsx)")

    p = add("demo", "fill a new or empty register with a generated demo agency (orders, "
                    "exemptions, delegations, ATOs, documents…); the same seed gives the same "
                    "data")
    p.add_argument("--orders", type=_positive, default=250, metavar="N",
                   help="how many orders (default 250)")
    p.add_argument("--seed", type=int, default=2026, metavar="S",
                   help="the random seed (default 2026)")
    return parser


# --- opening the register ---------------------------------------------------------------


def _open(root: Path, err: TextIO, *, write: bool) -> Register:
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


def _target(path: Path) -> Path:
    """An output file the command may write: not a folder, device or pipe, in a folder
    that exists (else CliError, nothing written)."""
    from .store.errors import TargetError, check_output_target

    try:
        check_output_target(path)
    except TargetError as e:
        raise CliError(str(e)) from None
    return path


def record_json(kind: Kind, record: Record) -> dict[str, Any]:
    return {f.name: to_json(f, record.get(f.name)) for f in kind.fields}


def _print_json(obj: Any, out: TextIO) -> None:
    json.dump(obj, out, indent=2, ensure_ascii=False)
    out.write("\n")


def _table(rows: list[list[str]], out: TextIO) -> None:
    if not rows:
        return
    widths = [min(max(len(r[i]) for r in rows), 40) for i in range(len(rows[0]))]
    for r in rows:
        cells = [(c if len(c) <= 40 else c[:39] + "…").ljust(w) for c, w in zip(r, widths,
                                                                               strict=True)]
        out.write("  ".join(cells).rstrip() + "\n")


# --- commands ----------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .operations import create_register

    create_register(root, args.agency, args.agency_class, args.billing_code)
    out.write(f"Created the register of {args.agency} in {root}\n")
    return OK


def cmd_import(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .operations import import_spreadsheet

    kind: Kind = args.kind
    name = str(args.file)

    def progress(done: int, total: int) -> None:
        err.write(f"import: {done} of {total} rows written\n")
        err.flush()

    with _open(root, err, write=True) as reg:
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


def cmd_export(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .exchange.exporter import export_kind

    _target(args.output)
    with _open(root, err, write=False) as reg:
        n = export_kind(reg, args.kind, args.format, args.output)
    out.write(f"Exported {n} {args.kind.name} to {args.output}\n")
    return OK


def cmd_list(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    kind: Kind = args.kind
    with _open(root, err, write=False) as reg:
        records = reg.records(kind)
    if args.json:
        _print_json([record_json(kind, r) for r in records], out)
        return OK
    shown = kind.fields[:6]
    rows = [[f.label for f in shown]]
    rows += [[display(f, r[f.name]) for f in shown] for r in records]
    _table(rows, out)
    out.write(f"{len(records)} {kind.name}\n")
    return OK


def cmd_show(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    kind: Kind = args.kind
    with _open(root, err, write=False) as reg:
        record = reg.get(kind, args.key)
    if record is None:
        raise CliError(f"no {kind.singular} {args.key} in the register")
    if args.json:
        _print_json(record_json(kind, record), out)
        return OK
    width = max(len(f.label) for f in kind.fields)
    for f in kind.fields:
        out.write(f"{f.label.ljust(width)}  {display(f, record[f.name])}\n")
    return OK


def cmd_history(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    kind: Kind = args.kind
    with _open(root, err, write=False) as reg:
        entries = reg.history(kind.name, args.key)
    if not entries:
        raise CliError(f"no history for {kind.singular} {args.key}")
    if args.json:
        _print_json(entries, out)
        return OK
    for e in entries:
        reason = f" ({e['reason']})" if e["reason"] else ""
        out.write(f"{e['at']}  {e['user']}  {e['action']}{reason}\n")
        for name, (old, new) in e["changes"].items():
            f = kind.by_name.get(name)
            before = display(f, old) if f else str(old)
            after = display(f, new) if f else str(new)
            out.write(f"    {name}: {before or '(empty)'} -> {after or '(empty)'}\n")
    return OK


def cmd_delete(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    kind: Kind = args.kind
    from .operations import delete_record

    with _open(root, err, write=True) as reg:
        delete_record(reg, kind, args.key, args.reason)
    out.write(f"Deleted {kind.singular} {args.key}; its history is kept\n")
    return OK


def cmd_verify(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .exchange.billing import check_statements
    from .store.verify import verify

    with _open(root, err, write=False) as reg:
        findings, counts = verify(reg)
        findings += check_statements(reg)
    if args.json:
        _print_json({"ok": not findings, "findings": [f.as_dict() for f in findings],
                     "counts": counts}, out)
    elif findings:
        for f in findings:
            out.write(f"{f.check}: {f.message}\n")
        out.write(f"{len(findings)} problem(s) found\n")
    else:
        out.write(f"OK: database sound, {counts['history_entries']} history entries chained, "
                  "every record matches its history\n")
    orphans = counts.get("orphan_documents", 0)
    if orphans and not args.json:
        out.write(f"Note: {orphans} stored file(s) in documents/ are named by no record and "
                  "no history entry (left by an interrupted attach or merge); remove them "
                  "with: calnet-desk-cli clean-up\n")
    return PROBLEM if findings else OK


def cmd_rebuild_search(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    with _open(root, err, write=True) as reg:
        n = reg.rebuild_search()
    out.write(f"Re-created the triggers and rebuilt the search index ({n:,} entries); records "
              "and history are unchanged\n")
    return OK


def cmd_clean_up(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .store.verify import orphan_documents
    from .store.workspace import _remove

    with _open(root, err, write=True) as reg:
        found = orphan_documents(reg)
        for path in found:
            _remove(path)
    for path in found:
        out.write(f"Removed {path}\n")
    out.write(f"{len(found)} unreferenced file(s) removed from the document store\n")
    return OK


def cmd_attach(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .operations import attach

    kind, key = args.to
    src: Path = args.file
    if not src.is_file():
        raise CliError(f"{src}: no such file; nothing was attached")
    with _open(root, err, write=True) as reg:
        [done] = attach(reg, [src], kind, key, args.reason)
    doc = done.document
    verb = "Attached" if done.linked else "Already attached:"
    out.write(f"{verb} {doc.name} ({doc.size:,} bytes, SHA-256 {doc.sha256}) to "
              f"{kind.singular} {key}\n")
    return OK


def cmd_detach(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .operations import detach

    kind, key = args.from_
    with _open(root, err, write=True) as reg:
        doc = detach(reg, args.sha256, kind, key, args.reason)
    out.write(f"Detached {doc.name} from {kind.singular} {key}; the stored file is kept\n")
    return OK


def cmd_documents(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .store import documents as docs

    kind: Kind = args.kind
    with _open(root, err, write=False) as reg:
        if reg.get(kind, args.key) is None:
            raise CliError(f"no {kind.singular} {args.key} in the register")
        found = docs.documents_of(reg, kind, args.key)
    if args.json:
        _print_json([d.as_dict() for d in found], out)
        return OK
    rows = [["Name", "Size", "Type", "Added (UTC)", "SHA-256"]]
    rows += [[d.name, f"{d.size:,}", d.media_type, d.added_at, d.sha256] for d in found]
    _table(rows, out)
    out.write(f"{len(found)} document(s)\n")
    return OK


def cmd_open(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .store import documents as docs

    with _open(root, err, write=False) as reg:
        doc = docs.resolve_sha(reg, args.sha256)
        try:
            target = docs.export_copy(reg, doc, args.to)
        except OSError as e:
            from .store.errors import describe

            raise CliError(f"cannot write a copy into {args.to}: {describe(e)}; nothing was "
                           "written. Give a folder you may write to") from e
    out.write(f"{target}\n")
    return OK


def cmd_search(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .store.search import search

    with _open(root, err, write=False) as reg:
        hits = search(reg, args.text, args.kind, args.limit)
    if args.json:
        _print_json([h.as_dict() for h in hits], out)
        return OK
    rows = [["Kind", "Key", "Match"]] + [[h.kind, h.key, h.snippet] for h in hits]
    _table(rows, out)
    out.write(f"{len(hits)} match(es)\n")
    return OK


def _rules_for(root: Path, generation: str | None = None) -> Any:
    from .paths import RegisterPaths
    from .policy.rules import load_rules

    paths = RegisterPaths(root)
    return load_rules(generation, root if paths.exists() else None)


def _cmd_rule_sources(rules: Any, as_json: bool, out: TextIO) -> int:
    from .policy.provenance import by_source

    grouped = by_source(rules)
    if as_json:
        _print_json({"name": rules.name, "generation": rules.generation,
                     "sources": [{**src.as_dict(), "entries": [b.as_dict() for b in items]}
                                 for src, items in grouped]}, out)
        return OK
    for src, items in grouped:
        when = f" ({src.dated})" if src.dated else ""
        now = f"; CDT's current numbering: {src.current}" if src.current and \
            src.current != src.id else ""
        where = " [published text, not among the project's source texts]" if src.public else ""
        out.write(f"{src.id}: {src.title}{when}{now}{where}\n")
        if not items:
            out.write("    (no rule rests on it)\n")
        for b in items:
            checked = f" (checked {b.checked})" if b.checked and b.quote else ""
            out.write(f"    {b.entry}: {b.shown}{checked}\n")
        out.write("\n")
    return OK


def cmd_rules(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    rules = _rules_for(root, args.generation)
    if args.sources:
        return _cmd_rule_sources(rules, args.json, out)
    if args.json:
        _print_json({"name": rules.name, "generation": rules.generation,
                     "sources": list(rules.sources),
                     "rules": [r.as_dict() for r in rules.rules.values()],
                     "deadlines": [{"kind": k, **v} for k, v in rules.deadlines.items()],
                     "procurement": rules.procurement, "aliases": rules.aliases,
                     "requests": rules.requests,
                     "findings": [{"code": k, **v} for k, v in rules.findings.items()],
                     "documents": rules.documents}, out)
        return OK
    out.write(f"{rules.name} ({', '.join(rules.sources)})\n\n")
    for r in rules.rules.values():
        unit = f" {r.unit}" if r.unit else ""
        value = ", ".join(map(str, r.value)) if isinstance(r.value, list) else r.value
        out.write(f"{r.id}: {value}{unit}  [{', '.join(r.citations)}]\n    {r.text}\n")
    out.write("\nDeadlines\n")
    for kind, d in rules.deadlines.items():
        out.write(f"{kind}  [{d.get('citation', '')}]\n    {d.get('text', '')}\n")
    out.write("\nProcurement check (first match wins)\n")
    for case in rules.procurement:
        when = "; ".join(f"{k}={'|'.join(v)}" for k, v in case.get("when", {}).items())
        out.write(f"{case['case']}: {when} -> {', '.join(case['requirements'])}  "
                  f"[{', '.join(case['citations'])}]\n")
    for kind in ("exemptions", "delegations"):
        spec = rules.requests.get(kind, {})
        if spec:
            out.write(f"\nRequest elements: {kind}  [{spec.get('citation', '')}]\n")
            for e in spec.get("elements", []):
                out.write(f"{e['code']}: {e['label']}  [{e['citation']}]\n")
    out.write("\nFindings\n")
    for code, f in rules.findings.items():
        out.write(f"{code} ({f.get('severity', '')})  [{f.get('citation', '')}]\n")
    out.write("\nContractor aliases\n")
    for alias, name in sorted(rules.aliases.items()):
        out.write(f"{alias} -> {name}\n")
    return OK


def cmd_check_purchase(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .policy.procurement import Purchase, UsageError, check_purchase

    agency_class = args.agency_class
    if agency_class is None:
        with _open(root, err, write=False) as reg:
            agency_class = str(reg.agency()["agency_class"])
    if args.offering is None:
        err.write("calnet-desk-cli check-purchase: error: --offering is required\n")
        return USAGE
    purchase = Purchase(agency_class, args.offering, args.catalog_status,
                        args.delegation_flag, args.buy_outside, args.ato_term_active)
    try:
        result = check_purchase(_rules_for(root), purchase)
    except UsageError as e:
        err.write(f"calnet-desk-cli check-purchase: error: {e}\n")
        return USAGE
    if args.json:
        _print_json(result, out)
        return OK
    from .policy.procurement import result_lines

    for line in result_lines(result):
        out.write(line + "\n")
    return OK


def cmd_deadlines(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .policy.deadlines import deadlines

    today = args.today or dt.date.today()
    with _open(root, err, write=False) as reg:
        found = deadlines(reg, today, args.within)
    if args.json:
        _print_json([d.as_dict() for d in found], out)
        return OK
    from .policy.deadlines import us_date

    rows = [["Date", "Days", "Status", "Deadline", "Record", "Source"]]
    rows += [[us_date(d.date), str(d.days_left), d.status, d.kind,
              f"{d.record_kind} {d.key}", d.citation] for d in found]
    _table(rows, out)
    out.write(f"{len(found)} deadline(s) as of {us_date(today)}\n")
    return OK


def cmd_export_ics(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .exchange.calendar import export_ics

    target: Path = args.file
    today = args.today or dt.date.today()
    if args.start and args.end and args.start > args.end:
        err.write(f"calnet-desk-cli export-ics: error: --from {args.start.isoformat()} is "
                  f"after --to {args.end.isoformat()}\n")
        return USAGE
    with _open(root, err, write=False) as reg:
        _target(target)
        try:
            n = export_ics(reg, target, today, args.start, args.end)
        except OSError as e:
            raise CliError(f"{target}: {e.strerror or e}; nothing was written") from e
    out.write(f"Wrote {n} event(s) to {target}\n")
    return OK


def cmd_ack(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .policy.deadlines import mark_deadline, us_date

    with _open(root, err, write=True) as reg:
        raw = mark_deadline(reg, args.kind.name, args.key, args.deadline_kind, "acknowledged",
                            reason=args.reason)
    out.write(f"Acknowledged {raw.kind} of {args.kind.singular} {args.key} "
              f"({us_date(raw.date)}); it comes back if that date changes\n")
    return OK


def cmd_snooze(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .policy.deadlines import mark_deadline, us_date

    with _open(root, err, write=True) as reg:
        raw = mark_deadline(reg, args.kind.name, args.key, args.deadline_kind, "snoozed",
                            until=args.until, reason=args.reason)
    out.write(f"Snoozed {raw.kind} of {args.kind.singular} {args.key} until "
              f"{us_date(args.until)}\n")
    return OK


def cmd_set_ladder(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .policy.deadlines import parse_ladder, set_ladder

    try:
        ladder = None if args.clear else parse_ladder(args.ladder)
    except ValueError as e:
        err.write(f"calnet-desk-cli set-ladder: error: {e}\n")
        return USAGE
    with _open(root, err, write=True) as reg:
        set_ladder(reg, args.kind.name, args.key, ladder)
    shown = "the kind's ladder" if ladder is None else ", ".join(map(str, ladder)) + " days"
    out.write(f"{args.kind.singular} {args.key} now reminds at {shown}\n")
    return OK


def cmd_backup(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .store.backups import make_backup

    with _open(root, err, write=False) as reg:
        made = make_backup(reg, "manual", args.to)
    out.write(f"Backed up to {made.path}\n")
    return OK


def cmd_backups(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .paths import RegisterPaths
    from .store.backups import list_backups

    paths = RegisterPaths(root)
    if not paths.exists() and not paths.backups.is_dir():
        raise StoreError(str(NoRegister(root)))
    found = [b.as_dict() for b in list_backups(paths.backups)]
    if args.json:
        _print_json(found, out)
        return OK
    rows = [["Name", "Reason", "Created (UTC)", "Size", "History entries", "Documents"]]
    rows += [[b["name"], b["reason"], b["created"], f"{b['size']:,}",
              str(b["history_entries"]), str(b["documents"])] for b in found]
    _table(rows, out)
    out.write(f"{len(found)} backup(s) in {paths.backups}\n")
    return OK


def cmd_restore(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .paths import RegisterPaths
    from .store.backups import find_backup, restore

    paths = RegisterPaths(root)
    backup = find_backup(paths, args.backup)
    aside = restore(paths, backup)
    kept = f"; the database it replaced is kept in {aside}" if aside else ""
    out.write(f"Restored {backup.name}{kept}\n")
    with _open(root, err, write=True) as reg:  # upgrades an older backup's schema
        from .store.verify import verify

        findings, _ = verify(reg)
    for f in findings:
        err.write(f"calnet-desk-cli: after restore: {f.check}: {f.message}\n")
    return PROBLEM if findings else OK


def _request_kind(text: str) -> Kind:
    from .policy.requests import UsageError, request_kind

    try:
        return request_kind(text)
    except UsageError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def cmd_request_check(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .policy.deadlines import RuleBook
    from .policy.requests import check_request, elements

    kind: Kind = args.kind
    with _open(root, err, write=False) as reg:
        record = reg.get(kind, args.key)
        if record is None:
            raise CliError(f"no {kind.singular} {args.key} in the register")
        rules = RuleBook(reg).common
        result = check_request(record, kind, args.key, rules)
        needed = [e for e in elements(rules, kind) if e.applies(record)]
    code = OK if result["complete"] else PROBLEM
    if args.json:
        _print_json(result, out)
        return code
    source = rules.requests.get(kind.name, {}).get("citation", "")
    title = f"{kind.singular.capitalize()} request {args.key} ({record.get('project')})"
    if result["complete"]:
        out.write(f"{title}: complete, all {len(needed)} elements given [{source}]\n")
        return code
    missing = {m["element"] for m in result["missing"]}
    out.write(f"{title}: incomplete, {len(missing)} of {len(needed)} elements missing:\n")
    for e in needed:
        if e.code in missing:
            out.write(f"  {e.code}: {e.label}  [{e.citation}]\n")
            out.write(f"      {'; '.join(e.problems(record))}\n")
    return code


def cmd_request_packet(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO
                       ) -> int:
    from .exchange.packet import write_packet

    kind: Kind = args.kind
    target: Path = args.output
    if target.is_dir():
        raise CliError(f"{target} is a folder; give a file name, e.g. "
                       f"{target / (args.key + '.pdf')}")
    _target(target)
    with _open(root, err, write=False) as reg:
        try:
            result = write_packet(reg, kind, args.key, target)
        except OSError as e:
            raise CliError(f"{target}: {e.strerror or e}; nothing was written") from e
    missing = (f"{len(result.missing)} element(s) marked MISSING: {', '.join(result.missing)}"
               if result.missing else "every element given")
    out.write(f"Wrote {target} ({result.pages} page(s), {result.size:,} bytes); {missing}\n")
    return OK


def _dollars(text: str) -> int:
    from .policy.ipr import IprUsageError, parse_dollars

    try:
        return parse_dollars(text)
    except IprUsageError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def cmd_ipr(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .policy.ipr import IprUsageError, calculate, make_input, money_text, save_calculation

    rules = _rules_for(root)
    try:
        ipr = make_input(rules, args.calnet_cost, args.alternative_cost, args.months,
                         args.checklist.split(","), args.attest_network)
    except IprUsageError as e:
        err.write(f"calnet-desk-cli ipr: error: {e}\n")
        return USAGE
    result = calculate(rules, ipr)
    saved = ""
    if args.save_to is not None:
        with _open(root, err, write=True) as reg:
            action = save_calculation(reg, args.save_to, ipr, args.reason)
        saved = (f"The calculation saved with exemption {args.save_to} was already this one"
                 if action == "unchanged" else
                 f"Saved the calculation with exemption {args.save_to}; its request packet "
                 "shows it")
    if args.json:
        _print_json(result, out)
        if saved:
            err.write(saved + "\n")
        return OK
    saving = args.calnet_cost - args.alternative_cost
    out.write(f"Saving: {money_text(saving)} ({result['saving_percent']:.2f} % of the CALNET "
              f"cost); alternative / CALNET {result['ratio']:.4f}\n")
    out.write(f"Checklist complete: {'yes' if result['checklist_complete'] else 'no'}\n")
    out.write(f"Meets the IPR guide (advisory): {'yes' if result['meets_guide'] else 'no'}  "
              f"[{result['citation']}]\n{result['explanation']}\n")
    if saved:
        out.write(saved + "\n")
    return OK


def cmd_findings(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .policy.deadlines import us_date
    from .policy.findings import SEVERITIES, findings

    today = args.today or dt.date.today()
    with _open(root, err, write=False) as reg:
        found = findings(reg, today)
    code = PROBLEM if found else OK
    if args.json:
        _print_json([f.as_dict() for f in found], out)
        return code
    for f in found:
        out.write(f"{f.severity:<7}  {f.code}  {f.kind} {f.key}  [{f.citation}]\n"
                  f"         {f.message}\n")
    if not found:
        out.write(f"No findings as of {us_date(today)}\n")
        return code
    counts = ", ".join(f"{sum(f.severity == s for f in found)} {s}" for s in SEVERITIES)
    out.write(f"{len(found)} finding(s) as of {us_date(today)}: {counts}\n")
    return code


def cmd_demo(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from . import demo
    from .paths import RegisterPaths

    def report(message: str) -> None:
        err.write(f"demo: {message}\n")
        err.flush()

    if RegisterPaths(root).exists():
        with _open(root, err, write=False) as reg:
            demo.check_empty(reg)  # refused before anything is opened for writing
        reg = _open(root, err, write=True)
    else:
        reg = Register.create(root, agency=demo.DEMO_AGENCY, agency_class=demo.DEMO_CLASS,
                              billing_code=demo.DEMO_BILLING_CODE)
    with reg:
        counts = demo.fill_demo(reg, orders=args.orders, seed=args.seed,
                                report=report if args.orders >= 10_000 else None)
        agency = reg.agency().get("name")
    made = ", ".join(f"{n:,} {kind}" for kind, n in counts.items())
    out.write(f"Filled the register of {agency} in {root} with demo data (seed {args.seed}): "
              f"{made}. Try:\n  calnet-desk-cli --data-dir \"{root}\" list orders\n")
    return OK


def _bundle_scope(text: str) -> Any:
    from .exchange.bundle import ScopeSyntax, parse_scope

    try:
        return parse_scope(text)
    except ScopeSyntax as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _chain_head(text: str) -> str:
    head = text.strip().lower()
    if len(head) != 64 or any(c not in "0123456789abcdef" for c in head):
        raise argparse.ArgumentTypeError(f"{text!r} is not a chain head (64 hex digits)")
    return head


def cmd_export_bundle(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .exchange.bundle import export_bundle, parse_scope

    target: Path = args.output
    if target.is_dir():
        raise CliError(f"{target} is a folder; give a file name, e.g. {target / 'bundle.zip'}")
    _target(target)
    scope = parse_scope(args.scope) if isinstance(args.scope, str) else args.scope
    with _open(root, err, write=False) as reg:
        first = reg.first_entry_at()
        if args.as_of is not None and first and args.as_of.isoformat() < first[:10]:
            raise CliError(f"--as-of {args.as_of.isoformat()} is before the register's first "
                           f"history entry ({first[:10]}); give that date or a later one. "
                           "Nothing was written")
        try:
            result = export_bundle(reg, target, scope, args.as_of, redact=args.redact,
                                   today=args.today)
        except OSError as e:
            raise CliError(f"{target}: {e.strerror or e}; nothing was written") from e
    out.write(f"Wrote {target} (scope {scope.text}{', redacted' if args.redact else ''}): "
              f"{result.records:,} record(s), {result.documents:,} document(s), "
              f"{result.entries:,} history entries; {result.size:,} bytes\n"
              f"History chain head: {result.head}\n"
              "(send the head separately from the bundle, e.g. by e-mail; the recipient "
              "checks it with verify-bundle BUNDLE --expect-head HEAD)\n")
    return OK


def cmd_verify_bundle(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .exchange.bundle import verify_bundle

    problems = verify_bundle(args.bundle, args.expect_head)
    for problem in problems:
        out.write(f"PROBLEM  {problem}\n")
    if problems:
        out.write(f"{args.bundle}: {len(problems)} problem(s); the bundle is not sound\n")
        return PROBLEM
    out.write(f"{args.bundle}: sound (every file matches its manifest; the history links to "
              "its chain and explains the records, documents and links"
              f"{'; the chain ends at the expected head' if args.expect_head else ''})\n")
    return OK


def cmd_merge_bundle(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .exchange.merge import merge_bundle

    with _open(root, err, write=not args.dry_run) as reg:
        result = merge_bundle(reg, args.bundle, dry_run=args.dry_run, prefer=args.prefer,
                              allow_other_agency=args.allow_other_agency)
    if args.json:
        _print_json(result.as_dict(), out)
    for problem in result.problems:
        err.write(f"{args.bundle}: {problem}\n")
    if result.problems:
        err.write(f"{args.bundle}: {len(result.problems)} problem(s); nothing was merged\n")
        return PROBLEM
    if args.json:
        return OK
    added, skipped = sum(result.added.values()), sum(result.skipped.values())
    kept = "taken from the bundle" if args.prefer == "bundle" else "kept as the register's"
    verb = "Would merge" if args.dry_run else "Merged"
    out.write(f"{verb} {args.bundle} (SHA-256 {result.sha256}): {added} added, {skipped} "
              f"identical skipped, {len(result.conflicts)} conflict(s) {kept}; "
              f"{result.documents_added} document(s) added, {result.links_added} link(s) "
              f"added{' (dry run: nothing was written)' if args.dry_run else ''}\n")
    for c in result.conflicts:
        fields = "; ".join(f"{name}: register {json.dumps(a, ensure_ascii=False)}, bundle "
                           f"{json.dumps(b, ensure_ascii=False)}"
                           for name, (a, b) in c.fields.items())
        out.write(f"CONFLICT {c.kind} {c.key}: {fields}\n")
    return OK


def _money(cents: int) -> str:
    from .policy.reconcile import money_text

    return money_text(cents)


def cmd_import_billing(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .exchange.billing import import_statement
    from .policy.reconcile import resolve_contractor

    name = str(args.file)
    if not args.contractor.strip():
        raise CliError("--contractor is blank; give the contractor's name")
    rules = _rules_for(root)
    with _open(root, err, write=not args.dry_run) as reg:
        contractor = resolve_contractor(reg, rules, args.contractor)
        result = import_statement(reg, args.file, contractor, args.month,
                                  dry_run=args.dry_run, replace=args.replace, name=name)
    for line in result.errors:
        err.write(line + "\n")
    what = f"{contractor} {args.month}"
    if result.status == "refused":
        return PROBLEM
    if result.errors:
        err.write(f"{name}: {len(result.errors)} problem(s); nothing was imported\n")
        return PROBLEM
    summary = (f"{result.lines} lines, MRC {_money(result.total_mrc)}, NRC "
               f"{_money(result.total_nrc)}, SHA-256 {result.sha256}")
    if result.status == "unchanged":
        out.write(f"{name}: the statement of {what} is already this file ({summary}); "
                  "nothing changed\n")
    elif result.status == "checked":
        out.write(f"{name}: the statement of {what} is good ({summary}); nothing was written "
                  "(dry run)\n")
    else:
        verb = "Replaced" if result.status == "replaced" else "Imported"
        out.write(f"{verb} the statement of {what} from {name}: {summary}\n")
    return OK


def cmd_billing(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .policy.reconcile import dollars
    from .store.billing import statements

    with _open(root, err, write=False) as reg:
        found = statements(reg)
    if args.json:
        _print_json([{"contractor": s.contractor, "month": s.month, "lines": s.lines,
                      "total_mrc": dollars(s.total_mrc), "sha256": s.sha256}
                     for s in found], out)
        return OK
    if not found:
        out.write("No statements imported; import one with import-billing FILE --contractor "
                  "NAME --month YYYY-MM\n")
        return OK
    rows = [["Contractor", "Month", "Lines", "Total MRC", "File", "SHA-256"]]
    rows += [[s.contractor, s.month, f"{s.lines:,}", _money(s.total_mrc), s.name,
              s.sha256[:12]] for s in found]
    _table(rows, out)
    return OK


def cmd_reconcile(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .policy.reconcile import reconcile, resolve_contractor, totals

    rules = _rules_for(root)
    with _open(root, err, write=False) as reg:
        contractor = (resolve_contractor(reg, rules, args.contractor)
                      if args.contractor is not None else None)
        found = reconcile(reg, rules, args.month, contractor)
    code = PROBLEM if any(f.open for f in found) else OK
    if args.json:
        _print_json([f.as_dict() for f in found], out)
        return code
    for f in found:
        mark = f"  [{f.mark.mark}]" if f.mark else ""
        out.write(f"{f.month}  {f.contractor}  {f.code}  {f.line}  "
                  f"{_money(f.monthly_amount)}/month{mark}\n         {f.message}\n")
    t = totals(found)
    opened = sum(f.open for f in found)
    out.write(f"{len(found)} finding(s), {opened} open: {_money(t.monthly_at_stake)} a month "
              f"({_money(t.annual_at_stake)} a year) at stake; disputed {_money(t.disputed)} "
              f"a month; recovered {_money(t.recovered)}\n")
    return code


def cmd_reconcile_mark(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .policy.reconcile import mark_finding, resolve_contractor

    rules = _rules_for(root)
    with _open(root, err, write=True) as reg:
        contractor = resolve_contractor(reg, rules, args.contractor)
        action = mark_finding(reg, rules, args.month, contractor, args.code, args.line,
                              args.as_, args.amount, args.note)
    if action == "unchanged":
        out.write(f"{args.code} {args.line} of {contractor} {args.month} was already marked "
                  f"{args.as_}; nothing changed\n")
    else:
        amount = f" ({_money(args.amount)})" if args.amount is not None else ""
        out.write(f"Marked {args.code} {args.line} of {contractor} {args.month} as "
                  f"{args.as_}{amount}\n")
    return OK


def _output_target(target: Path, suffixes: tuple[str, ...]) -> None:
    if target.is_dir() or not target.parent.is_dir():
        raise CliError(f"{target}: give a file name in an existing folder; nothing was written")
    if target.suffix.lower() not in suffixes:
        raise CliError(f"{target}: the file name must end in {' or '.join(suffixes)}; nothing "
                       "was written")


def cmd_reconcile_report(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO
                         ) -> int:
    from .exchange.billing_report import write_report
    from .policy.reconcile import reconcile, totals

    target: Path = args.output
    _output_target(target, (".xlsx", ".pdf"))
    rules = _rules_for(root)
    with _open(root, err, write=False) as reg:
        found = reconcile(reg, rules, args.month)
        agency = str(reg.agency().get("name") or "")
    try:
        what = write_report(target, found, args.month, agency, args.today or dt.date.today())
    except OSError as e:
        raise CliError(f"{target}: {e.strerror or e}; nothing was written") from e
    t = totals(found)
    out.write(f"Wrote the {what} {target}: {len(found)} finding(s) for {args.month}, "
              f"{_money(t.monthly_at_stake)} a month ({_money(t.annual_at_stake)} a year) at "
              "stake\n")
    return OK


def cmd_dispute_list(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .exchange.billing_report import dispute_rows, write_dispute_list
    from .policy.reconcile import reconcile, resolve_contractor

    target: Path = args.output
    _output_target(target, (".csv",))
    rules = _rules_for(root)
    with _open(root, err, write=False) as reg:
        contractor = resolve_contractor(reg, rules, args.contractor)
        rows = dispute_rows(reconcile(reg, rules, args.month, contractor), rules)
    try:
        write_dispute_list(target, rows)
    except OSError as e:
        raise CliError(f"{target}: {e.strerror or e}; nothing was written") from e
    total = sum(round(float(r[2]) * 100) for r in rows)
    out.write(f"Wrote {target}: {len(rows)} line(s) to dispute with {contractor} for "
              f"{args.month}, {_money(total)} a month\n")
    return OK


def cmd_toll_free(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .exchange.billing import write_toll_free
    from .policy.reconcile import toll_free

    rules = _rules_for(root)
    target: Path | None = args.output
    if target is not None and (target.is_dir() or not target.parent.is_dir()):
        raise CliError(f"{target}: give a file name in an existing folder; nothing was written")
    with _open(root, err, write=False) as reg:
        found = toll_free(reg, rules)
    if target is not None:
        try:
            write_toll_free(target, found)
        except OSError as e:
            raise CliError(f"{target}: {e.strerror or e}; nothing was written") from e
    if args.json:
        _print_json([t.as_dict() for t in found], out)
    else:
        rows = [["Number", "Contractor", "BAN", "Monthly cost", "Sources"]]
        rows += [[t.number, t.contractor or "", t.ban or "",
                  "" if t.monthly_cost is None else _money(t.monthly_cost),
                  ", ".join(sorted(t.sources))] for t in found]
        _table(rows, out)
        out.write(f"{len(found)} toll-free number(s)\n")
    if target is not None:
        (err if args.json else out).write(f"Wrote {len(found)} number(s) to {target}\n")
    return OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Path, TextIO, TextIO], int]] = {
    "init": cmd_init, "import": cmd_import, "export": cmd_export, "list": cmd_list,
    "show": cmd_show, "history": cmd_history, "delete": cmd_delete, "verify": cmd_verify,
    "demo": cmd_demo, "attach": cmd_attach, "detach": cmd_detach,
    "documents": cmd_documents, "open": cmd_open, "search": cmd_search,
    "backup": cmd_backup, "backups": cmd_backups, "restore": cmd_restore,
    "rules": cmd_rules, "check-purchase": cmd_check_purchase, "deadlines": cmd_deadlines,
    "ack": cmd_ack, "snooze": cmd_snooze, "set-ladder": cmd_set_ladder,
    "request-check": cmd_request_check, "findings": cmd_findings,
    "request-packet": cmd_request_packet, "ipr": cmd_ipr,
    "export-ics": cmd_export_ics,
    "export-bundle": cmd_export_bundle, "verify-bundle": cmd_verify_bundle,
    "merge-bundle": cmd_merge_bundle,
    "rebuild-search": cmd_rebuild_search, "clean-up": cmd_clean_up,
    "import-billing": cmd_import_billing, "billing": cmd_billing,
    "reconcile": cmd_reconcile, "reconcile-mark": cmd_reconcile_mark,
    "toll-free": cmd_toll_free, "reconcile-report": cmd_reconcile_report,
    "dispute-list": cmd_dispute_list,
}

# Commands after which the once-a-day backup is taken (the work is done, output given).
DAILY_BACKUP_AFTER = {"import", "export", "list", "show", "history", "delete", "verify",
                      "attach", "detach", "documents", "open", "search"}


def _daily_backup(root: Path, err: TextIO) -> None:
    from .paths import RegisterPaths
    from .store.backups import backed_up_today, daily_backup

    try:
        if backed_up_today(RegisterPaths(root).backups):
            return  # the usual case: no need to open (and check) the register again
        with Register.open(root, write=False) as reg:
            daily_backup(reg)
    except (StoreError, RegisterLocked, OSError) as e:
        err.write(f"calnet-desk-cli: warning: the daily backup was not made ({e})\n")


class Terminated(KeyboardInterrupt):
    """SIGTERM (a shutdown, `kill`): ends the command as Ctrl-C does, rolling back."""


def _on_sigterm() -> Any:
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def terminate(signum: int, frame: Any) -> None:
        raise Terminated

    try:
        return signal.signal(signal.SIGTERM, terminate)
    except (ValueError, OSError):
        return None


def _restore_sigterm(previous: Any) -> None:
    import signal

    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def _kept() -> str:
    """What the command had saved for good before it stopped, truthfully."""
    from .store.saved import SAVED

    if not SAVED:
        return "nothing was written; the register is as it was."
    shown = "; ".join(SAVED[:5]) + (f"; and {len(SAVED) - 5} more" if len(SAVED) > 5 else "")
    return (f"what it had saved before stopping is kept ({shown}); what it had not yet saved "
            "was rolled back.")


def _interrupted(e: BaseException, root: Path) -> str:
    from .paths import RegisterPaths
    from .store.workspace import restore_pending

    how = "terminated (SIGTERM)" if isinstance(e, Terminated) else "interrupted"
    pending = ""
    try:
        if restore_pending(RegisterPaths(root)):
            pending = (" The restore had begun replacing the database: it is completed the "
                       "next time the register is opened.")
    except OSError:
        pass
    return f"{how}; {_kept()}{pending}"


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    root = resolve_data_dir(args.data_dir or args.data_dir_after)
    from .store.saved import SAVED

    SAVED.clear()
    previous = _on_sigterm()
    try:
        code = COMMANDS[args.command](args, root, out, err)
        if code == OK and args.command in DAILY_BACKUP_AFTER:
            _daily_backup(root, err)
        return code
    except (CliError, StoreError, RegisterLocked, RulesError) as e:
        err.write(f"calnet-desk-cli: {e}\n")
        return PROBLEM
    except KeyboardInterrupt as e:
        err.write(f"calnet-desk-cli: {_interrupted(e, root)}\n")
        return PROBLEM
    except BrokenPipeError:  # output piped into `head` and the like
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - quiet the exit-time flush
        except OSError:
            pass
        return PROBLEM
    except STORAGE_ERRORS as e:  # the disk's and the database's own errors
        from .store.errors import describe, what_to_do

        err.write(f"calnet-desk-cli: {describe(e)}. The command stopped: {_kept()} "
                  f"{what_to_do(e)}\n")
        return PROBLEM
    finally:
        _restore_sigterm(previous)


if __name__ == "__main__":
    raise SystemExit(main())
