"""The register's records: create a register (or a demo one), list, show, search, a record's
history, delete."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from ..records import AGENCY_CLASSES, KEY_SEPARATOR, STATEMENTS, Kind
from ..store import Register
from ..values import display
from .common import (
    KINDS_HELP,
    OK,
    AddParser,
    CliError,
    Command,
    kind_arg,
    open_register,
    positive_arg,
    print_json,
    record_json,
    rules_for,
    table,
)


def _search_kind(text: str) -> str:
    if text.strip().lower() in ("documents", "document"):
        return "documents"
    return kind_arg(text).name


def key_hint(kind: Kind) -> str:
    """How a record of a composite-keyed kind is named (nothing for the others)."""
    if not kind.composite:
        return ""
    parts = KEY_SEPARATOR.join(n.upper() for n in kind.key_names)
    example = (f", e.g. C4DNCS19{KEY_SEPARATOR}ETH-100" if kind.name == "catalog-items"
               else "")
    return f" (a {kind.singular} is named {parts}{example})"


def declare_init(add: AddParser) -> None:
    p = add("init", "create a register in the data folder")
    p.add_argument("--agency", required=True, metavar="NAME")
    p.add_argument("--agency-class", required=True, choices=AGENCY_CLASSES)
    p.add_argument("--billing-code", metavar="CODE")


def cmd_init(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..operations import create_register

    create_register(root, args.agency, args.agency_class, args.billing_code)
    out.write(f"Created the register of {args.agency} in {root}\n")
    return OK


def declare_demo(add: AddParser) -> None:
    p = add("demo", "fill a new or empty register with a generated demo agency (orders, "
                    "delegations, exemptions or ATOs as its class has them, documents…); the "
                    "same seed gives the same data")
    p.add_argument("--orders", type=positive_arg, default=250, metavar="N",
                   help="how many orders (default 250)")
    p.add_argument("--seed", type=int, default=2026, metavar="S",
                   help="the random seed (default 2026)")
    p.add_argument("--agency-class", choices=AGENCY_CLASSES, default=None,
                   help="the demo agency's class (default non-exempt-state; an existing "
                        "register keeps its own): exemptions only for a non-exempt state "
                        "agency, ATOs only for a non-state one")


def cmd_demo(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from .. import demo
    from ..paths import RegisterPaths

    def report(message: str) -> None:
        err.write(f"demo: {message}\n")
        err.flush()

    wanted = args.agency_class
    if RegisterPaths(root).exists():
        with open_register(root, err, write=False) as reg:
            demo.check_empty(reg)  # refused before anything is opened for writing
            held = reg.agency().get("agency_class")
        if wanted is not None and wanted != held:
            raise CliError(f"the register in {root} is of a {held} agency, not {wanted}; the "
                           "demo fills it as its own class, so nothing was changed. Leave out "
                           "--agency-class, or choose another folder: calnet-desk-cli "
                           f"--data-dir DIR demo --agency-class {wanted}")
        reg = open_register(root, err, write=True)
    else:
        reg = Register.create(root, agency=demo.DEMO_AGENCY,
                              agency_class=wanted or demo.DEMO_CLASS,
                              billing_code=demo.DEMO_BILLING_CODE)
    with reg:
        counts = demo.fill_demo(reg, orders=args.orders, seed=args.seed,
                                report=report if args.orders >= 10_000 else None)
        agency = reg.agency().get("name")
    made = ", ".join(f"{n:,} {kind}" for kind, n in counts.items())
    out.write(f"Filled the register of {agency} in {root} with demo data (seed {args.seed}): "
              f"{made}. Try:\n  calnet-desk-cli --data-dir \"{root}\" list orders\n")
    return OK


def declare_list(add: AddParser) -> None:
    p = add("list", "list the records of one kind")
    p.add_argument("kind", type=kind_arg, metavar="KIND", help=KINDS_HELP)
    p.add_argument("--json", action="store_true")


def cmd_list(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    kind: Kind = args.kind
    with open_register(root, err, write=False) as reg:
        records = reg.records(kind)
        look_alikes = reg.look_alike_keys(kind)
    for key, twin in look_alikes:  # kept from before the rule, reported until renamed
        from ..store.keys import unusual_characters

        err.write(f"calnet-desk-cli: warning: {kind.singular} {key}{unusual_characters(key)} "
                  f"and {twin}{unusual_characters(twin)} look the same on screen (found when "
                  "the register was upgraded; nothing was merged); rename one\n")
    if args.json:
        print_json([record_json(kind, r) for r in records], out)
        return OK
    shown = kind.fields[:6]
    rows = [[f.label for f in shown]]
    rows += [[display(f, r[f.name]) for f in shown] for r in records]
    table(rows, out)
    out.write(f"{len(records)} {kind.name}\n")
    return OK


def declare_show(add: AddParser) -> None:
    p = add("show", "show one record")
    p.add_argument("kind", type=kind_arg, metavar="KIND", help=KINDS_HELP)
    p.add_argument("key", metavar="KEY")
    p.add_argument("--json", action="store_true")


def cmd_show(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    kind: Kind = args.kind
    with open_register(root, err, write=False) as reg:
        record = reg.get(kind, args.key)
    if record is None:
        raise CliError(f"no {kind.singular} {args.key} in the register{key_hint(kind)}")
    if args.json:
        print_json(record_json(kind, record), out)
        return OK
    width = max(len(f.label) for f in kind.fields)
    for f in kind.fields:
        out.write(f"{f.label.ljust(width)}  {display(f, record[f.name])}\n")
    return OK


def _history_kind(text: str) -> Kind:
    """A record kind, or a contractor's statement (``statements``, key CONTRACTOR:MONTH)."""
    if text.strip().lower().replace("_", "-") in (STATEMENTS.name, STATEMENTS.singular):
        return STATEMENTS
    try:
        return kind_arg(text)
    except argparse.ArgumentTypeError as e:
        raise argparse.ArgumentTypeError(f"{e}, or {STATEMENTS.name} (KEY CONTRACTOR:MONTH)"
                                          ) from None


def _statement_key(reg: Register, root: Path, key: str) -> str:
    """A statement's history key, CONTRACTOR:MONTH, with the contractor spelled as the
    register spells it (the rule set's aliases and letter case, as import-billing does)."""
    from ..exchange.billing import BadMonth, parse_month
    from ..policy.reconcile import resolve_contractor

    contractor, sep, month = key.rpartition(":")
    try:
        if not sep or not contractor.strip():
            raise BadMonth(f"{key!r} is not CONTRACTOR:MONTH (e.g. AT&T:2026-01)")
        month = parse_month(month)
    except BadMonth as e:
        raise CliError(f"history statements: {e}") from None
    return f"{resolve_contractor(reg, rules_for(root), contractor.strip())}:{month}"


def declare_history(add: AddParser) -> None:
    p = add("history", "show the changes of one record (or of a contractor's statement: "
                       "history statements CONTRACTOR:MONTH)")
    p.add_argument("kind", type=_history_kind, metavar="KIND",
                   help=f"{KINDS_HELP}, {STATEMENTS.name}")
    p.add_argument("key", metavar="KEY")
    p.add_argument("--json", action="store_true")


def cmd_history(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    kind: Kind = args.kind
    with open_register(root, err, write=False) as reg:
        key = _statement_key(reg, root, args.key) if kind is STATEMENTS else args.key
        entries = reg.history(kind.name, key)
    if not entries:
        raise CliError(f"no history for {kind.singular} {key}{key_hint(kind)}")
    if args.json:
        print_json(entries, out)
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


def declare_delete(add: AddParser) -> None:
    p = add("delete", "delete one record (the history keeps it)")
    p.add_argument("kind", type=kind_arg, metavar="KIND", help=KINDS_HELP)
    p.add_argument("key", metavar="KEY")
    p.add_argument("--reason", metavar="TEXT")


def cmd_delete(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    kind: Kind = args.kind
    from ..operations import delete_record

    with open_register(root, err, write=True) as reg:
        delete_record(reg, kind, args.key, args.reason)
    out.write(f"Deleted {kind.singular} {args.key}; its history is kept\n")
    return OK


def declare_search(add: AddParser) -> None:
    p = add("search", "full-text search over every record and document name")
    p.add_argument("text", metavar="TEXT")
    p.add_argument("--kind", type=_search_kind, help=KINDS_HELP + ", documents")
    p.add_argument("--limit", type=positive_arg, default=50, metavar="N")
    p.add_argument("--json", action="store_true")


def cmd_search(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..store.search import search

    with open_register(root, err, write=False) as reg:
        hits = search(reg, args.text, args.kind, args.limit)
    if args.json:
        print_json([h.as_dict() for h in hits], out)
        return OK
    rows = [["Kind", "Key", "Match"]] + [[h.kind, h.key, h.snippet] for h in hits]
    table(rows, out)
    out.write(f"{len(hits)} match(es)\n")
    return OK


COMMANDS = (
    Command('init', declare_init, cmd_init),
    Command('demo', declare_demo, cmd_demo),
    Command('list', declare_list, cmd_list),
    Command('show', declare_show, cmd_show),
    Command('history', declare_history, cmd_history),
    Command('delete', declare_delete, cmd_delete),
    Command('search', declare_search, cmd_search),
)
