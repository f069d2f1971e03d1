"""Deadlines: list, export to iCalendar, acknowledge, snooze, set a reminder ladder."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TextIO

from .common import (
    KINDS_HELP,
    OK,
    USAGE,
    AddParser,
    CliError,
    Command,
    date_arg,
    kind_arg,
    open_register,
    output_file,
    print_json,
    table,
)


def declare_deadlines(add: AddParser) -> None:
    p = add("deadlines", "every deadline with the rule it comes from")
    p.add_argument("--today", type=date_arg, metavar="YYYY-MM-DD", help="default: today")
    p.add_argument("--within", type=int, metavar="DAYS",
                   help="only those due within DAYS (overdue included)")
    p.add_argument("--json", action="store_true")


def cmd_deadlines(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..policy.deadlines import deadlines

    today = args.today or dt.date.today()
    with open_register(root, err, write=False) as reg:
        found = deadlines(reg, today, args.within)
    if args.json:
        print_json([d.as_dict() for d in found], out)
        return OK
    from ..policy.deadlines import us_date

    rows = [["Date", "Days", "Status", "Deadline", "Record", "Source"]]
    rows += [[us_date(d.date), str(d.days_left), d.status, d.kind,
              f"{d.record_kind} {d.key}", d.citation] for d in found]
    table(rows, out)
    out.write(f"{len(found)} deadline(s) as of {us_date(today)}\n")
    return OK


def declare_export_ics(add: AddParser) -> None:
    p = add("export-ics", "write every deadline to an iCalendar (.ics) file: all-day events "
                          "with one reminder, updated in place when imported again")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--today", type=date_arg, metavar="YYYY-MM-DD",
                   help="the export date stamped in the file (default: today)")
    p.add_argument("--from", dest="start", type=date_arg, metavar="YYYY-MM-DD",
                   help="the first deadline date (default: 30 days before --today)")
    p.add_argument("--to", dest="end", type=date_arg, metavar="YYYY-MM-DD",
                   help="the last deadline date (default: no end)")


def cmd_export_ics(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..exchange.calendar import export_ics

    target: Path = args.file
    today = args.today or dt.date.today()
    if args.start and args.end and args.start > args.end:
        err.write(f"calnet-desk-cli export-ics: error: --from {args.start.isoformat()} is "
                  f"after --to {args.end.isoformat()}\n")
        return USAGE
    with open_register(root, err, write=False) as reg:
        output_file(target)
        try:
            n = export_ics(reg, target, today, args.start, args.end)
        except OSError as e:
            raise CliError(f"{target}: {e.strerror or e}; nothing was written") from e
    out.write(f"Wrote {n} event(s) to {target}\n")
    return OK


def declare_ack(add: AddParser) -> None:
    p = add("ack", "acknowledge a deadline (until its date changes)")
    p.add_argument("kind", type=kind_arg, metavar="KIND", help=KINDS_HELP)
    p.add_argument("key", metavar="KEY")
    p.add_argument("deadline_kind", metavar="DEADLINE_KIND")
    p.add_argument("--reason", metavar="TEXT")


def cmd_ack(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..policy.deadlines import mark_deadline, us_date

    with open_register(root, err, write=True) as reg:
        raw = mark_deadline(reg, args.kind.name, args.key, args.deadline_kind, "acknowledged",
                            reason=args.reason)
    out.write(f"Acknowledged {raw.kind} of {args.kind.singular} {args.key} "
              f"({us_date(raw.date)}); it comes back if that date changes\n")
    return OK


def declare_snooze(add: AddParser) -> None:
    p = add("snooze", "snooze a deadline until a date (until its date changes)")
    p.add_argument("kind", type=kind_arg, metavar="KIND", help=KINDS_HELP)
    p.add_argument("key", metavar="KEY")
    p.add_argument("deadline_kind", metavar="DEADLINE_KIND")
    p.add_argument("--until", required=True, type=date_arg, metavar="YYYY-MM-DD")
    p.add_argument("--reason", metavar="TEXT")


def cmd_snooze(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..policy.deadlines import mark_deadline, us_date

    with open_register(root, err, write=True) as reg:
        raw = mark_deadline(reg, args.kind.name, args.key, args.deadline_kind, "snoozed",
                            until=args.until, reason=args.reason)
    out.write(f"Snoozed {raw.kind} of {args.kind.singular} {args.key} until "
              f"{us_date(args.until)}\n")
    return OK


def declare_set_ladder(add: AddParser) -> None:
    p = add("set-ladder", "set one record's reminder ladder (days before, e.g. 120,60,14)")
    p.add_argument("kind", type=kind_arg, metavar="KIND", help=KINDS_HELP)
    p.add_argument("key", metavar="KEY")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("ladder", nargs="?", metavar="DAYS")
    g.add_argument("--clear", action="store_true", help="back to the kind's ladder")


def cmd_set_ladder(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..policy.deadlines import parse_ladder, set_ladder

    try:
        ladder = None if args.clear else parse_ladder(args.ladder)
    except ValueError as e:
        err.write(f"calnet-desk-cli set-ladder: error: {e}\n")
        return USAGE
    with open_register(root, err, write=True) as reg:
        set_ladder(reg, args.kind.name, args.key, ladder)
    shown = "the kind's ladder" if ladder is None else ", ".join(map(str, ladder)) + " days"
    out.write(f"{args.kind.singular} {args.key} now reminds at {shown}\n")
    return OK


COMMANDS = (
    Command('deadlines', declare_deadlines, cmd_deadlines),
    Command('export-ics', declare_export_ics, cmd_export_ics),
    Command('ack', declare_ack, cmd_ack),
    Command('snooze', declare_snooze, cmd_snooze),
    Command('set-ladder', declare_set_ladder, cmd_set_ladder),
)
