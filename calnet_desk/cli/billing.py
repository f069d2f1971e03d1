"""Billing: import statements, reconcile them against the orders, mark findings, reports,
dispute lists, toll-free numbers."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TextIO

from ..policy.billing_codes import CODES as RECONCILE_CODES
from ..policy.billing_codes import MARKS as RECONCILE_MARKS
from .common import (
    OK,
    PROBLEM,
    AddParser,
    CliError,
    Command,
    date_arg,
    money,
    month_arg,
    open_register,
    output_target,
    print_json,
    rules_for,
    table,
)


def _mark_dollars(text: str) -> int:
    from ..values import BadValue, parse_money

    try:
        cents = parse_money(text)
    except BadValue as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    if not isinstance(cents, int) or cents < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount in dollars (0 or more)")
    return cents


def declare_import_billing(add: AddParser) -> None:
    p = add("import-billing", "import a contractor's monthly statement (CSV or XLSX; all "
                              "lines or none); the file is kept as a document")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--contractor", required=True, metavar="NAME")
    p.add_argument("--month", required=True, type=month_arg, metavar="YYYY-MM")
    p.add_argument("--dry-run", action="store_true", help="check only; write nothing")
    p.add_argument("--replace", action="store_true",
                   help="replace a statement already imported for that contractor and month")


def cmd_import_billing(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..exchange.billing import import_statement
    from ..policy.reconcile import resolve_contractor

    name = str(args.file)
    if not args.contractor.strip():
        raise CliError("--contractor is blank; give the contractor's name")
    rules = rules_for(root)
    with open_register(root, err, write=not args.dry_run) as reg:
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
    summary = (f"{result.lines} lines, MRC {money(result.total_mrc)}, NRC "
               f"{money(result.total_nrc)}, SHA-256 {result.sha256}")
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


def declare_billing(add: AddParser) -> None:
    p = add("billing", "the imported statements by contractor and month")
    p.add_argument("--json", action="store_true")


def cmd_billing(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..policy.reconcile import dollars
    from ..store.billing import statements

    with open_register(root, err, write=False) as reg:
        found = statements(reg)
    if args.json:
        print_json([{"contractor": s.contractor, "month": s.month, "lines": s.lines,
                      "total_mrc": dollars(s.total_mrc), "sha256": s.sha256}
                     for s in found], out)
        return OK
    if not found:
        out.write("No statements imported; import one with import-billing FILE --contractor "
                  "NAME --month YYYY-MM\n")
        return OK
    rows = [["Contractor", "Month", "Lines", "Total MRC", "File", "SHA-256"]]
    rows += [[s.contractor, s.month, f"{s.lines:,}", money(s.total_mrc), s.name,
              s.sha256[:12]] for s in found]
    table(rows, out)
    return OK


def declare_reconcile(add: AddParser) -> None:
    p = add("reconcile", "the statements against the orders: lines billed after a "
                         "disconnect, not in the register, at the wrong rate, twice, unused, "
                         "and orders not billed; exit 1 while any finding is open")
    p.add_argument("--month", type=month_arg, metavar="YYYY-MM",
                   help="one month (default: every imported month)")
    p.add_argument("--contractor", metavar="NAME")
    p.add_argument("--json", action="store_true")


def cmd_reconcile(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..policy.reconcile import reconcile, resolve_contractor, totals

    rules = rules_for(root)
    with open_register(root, err, write=False) as reg:
        contractor = (resolve_contractor(reg, rules, args.contractor)
                      if args.contractor is not None else None)
        found = reconcile(reg, rules, args.month, contractor)
    code = PROBLEM if any(f.open for f in found) else OK
    if args.json:
        print_json([f.as_dict() for f in found], out)
        return code
    for f in found:
        mark = f"  [{f.mark.mark}]" if f.mark else ""
        out.write(f"{f.month}  {f.contractor}  {f.code}  {f.line}  "
                  f"{money(f.monthly_amount)}/month{mark}\n         {f.message}\n")
    t = totals(found)
    opened = sum(f.open for f in found)
    out.write(f"{len(found)} finding(s), {opened} open: {money(t.monthly_at_stake)} a month "
              f"({money(t.annual_at_stake)} a year) at stake; disputed {money(t.disputed)} "
              f"a month; recovered {money(t.recovered)}\n")
    return code


def declare_reconcile_mark(add: AddParser) -> None:
    p = add("reconcile-mark", "mark a reconciliation finding (kept through re-runs and "
                              "re-imports)")
    p.add_argument("month", type=month_arg, metavar="MONTH")
    p.add_argument("contractor", metavar="CONTRACTOR")
    p.add_argument("code", choices=RECONCILE_CODES, metavar="CODE",
                   help=", ".join(RECONCILE_CODES))
    p.add_argument("line", metavar="LINE")
    p.add_argument("--as", dest="as_", required=True, choices=RECONCILE_MARKS)
    p.add_argument("--amount", type=_mark_dollars, metavar="DOLLARS",
                   help="with credited: the dollars recovered")
    p.add_argument("--note", metavar="TEXT")


def cmd_reconcile_mark(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..policy.reconcile import mark_finding, resolve_contractor

    rules = rules_for(root)
    with open_register(root, err, write=True) as reg:
        contractor = resolve_contractor(reg, rules, args.contractor)
        action = mark_finding(reg, rules, args.month, contractor, args.code, args.line,
                              args.as_, args.amount, args.note)
    if action == "unchanged":
        out.write(f"{args.code} {args.line} of {contractor} {args.month} was already marked "
                  f"{args.as_}; nothing changed\n")
    else:
        amount = f" ({money(args.amount)})" if args.amount is not None else ""
        out.write(f"Marked {args.code} {args.line} of {contractor} {args.month} as "
                  f"{args.as_}{amount}\n")
    return OK


def declare_reconcile_report(add: AddParser) -> None:
    p = add("reconcile-report", "the month's reconciliation as a workbook (summary per "
                                "contractor and BAN, a sheet per code) or a one-page PDF "
                                "for management")
    p.add_argument("--month", required=True, type=month_arg, metavar="YYYY-MM")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE",
                   help="FILE.xlsx (the workbook) or FILE.pdf (one page)")
    p.add_argument("--today", type=date_arg, metavar="YYYY-MM-DD",
                   help="the date printed on the PDF (default: today)")


def cmd_reconcile_report(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO
                         ) -> int:
    from ..exchange.billing_report import write_report
    from ..policy.reconcile import reconcile, totals

    target: Path = args.output
    output_target(target, (".xlsx", ".pdf"))
    rules = rules_for(root)
    with open_register(root, err, write=False) as reg:
        found = reconcile(reg, rules, args.month)
        agency = str(reg.agency().get("name") or "")
    try:
        what = write_report(target, found, args.month, agency, args.today or dt.date.today())
    except OSError as e:
        raise CliError(f"{target}: {e.strerror or e}; nothing was written") from e
    t = totals(found)
    out.write(f"Wrote the {what} {target}: {len(found)} finding(s) for {args.month}, "
              f"{money(t.monthly_at_stake)} a month ({money(t.annual_at_stake)} a year) at "
              "stake\n")
    return OK


def declare_dispute_list(add: AddParser) -> None:
    p = add("dispute-list", "the open findings to put to a contractor, as CSV: BAN, line, "
                            "amount, reason")
    p.add_argument("--contractor", required=True, metavar="NAME")
    p.add_argument("--month", required=True, type=month_arg, metavar="YYYY-MM")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.csv")


def cmd_dispute_list(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..exchange.billing_report import dispute_rows, write_dispute_list
    from ..policy.reconcile import reconcile, resolve_contractor

    target: Path = args.output
    output_target(target, (".csv",))
    rules = rules_for(root)
    with open_register(root, err, write=False) as reg:
        contractor = resolve_contractor(reg, rules, args.contractor)
        rows = dispute_rows(reconcile(reg, rules, args.month, contractor), rules)
    try:
        write_dispute_list(target, rows)
    except OSError as e:
        raise CliError(f"{target}: {e.strerror or e}; nothing was written") from e
    total = sum(round(float(r[2]) * 100) for r in rows)
    out.write(f"Wrote {target}: {len(rows)} line(s) to dispute with {contractor} for "
              f"{args.month}, {money(total)} a month\n")
    return OK


def declare_toll_free(add: AddParser) -> None:
    p = add("toll-free", "every toll-free number (800, 833, 844, 855, 866, 877, 888) in the "
                         "orders and statements: the list STMM 0507.0 asks agencies to keep")
    p.add_argument("--json", action="store_true")
    p.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="also write the list as CSV (or XLSX when FILE ends in .xlsx)")


def cmd_toll_free(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..exchange.billing import write_toll_free
    from ..policy.reconcile import toll_free

    rules = rules_for(root)
    target: Path | None = args.output
    if target is not None and (target.is_dir() or not target.parent.is_dir()):
        raise CliError(f"{target}: give a file name in an existing folder; nothing was written")
    with open_register(root, err, write=False) as reg:
        found = toll_free(reg, rules)
    if target is not None:
        try:
            write_toll_free(target, found)
        except OSError as e:
            raise CliError(f"{target}: {e.strerror or e}; nothing was written") from e
    if args.json:
        print_json([t.as_dict() for t in found], out)
    else:
        rows = [["Number", "Contractor", "BAN", "Monthly cost", "Sources"]]
        rows += [[t.number, t.contractor or "", t.ban or "",
                  "" if t.monthly_cost is None else money(t.monthly_cost),
                  ", ".join(sorted(t.sources))] for t in found]
        table(rows, out)
        out.write(f"{len(found)} toll-free number(s)\n")
    if target is not None:
        (err if args.json else out).write(f"Wrote {len(found)} number(s) to {target}\n")
    return OK


COMMANDS = (
    Command('import-billing', declare_import_billing, cmd_import_billing),
    Command('billing', declare_billing, cmd_billing),
    Command('reconcile', declare_reconcile, cmd_reconcile),
    Command('reconcile-mark', declare_reconcile_mark, cmd_reconcile_mark),
    Command('reconcile-report', declare_reconcile_report, cmd_reconcile_report),
    Command('dispute-list', declare_dispute_list, cmd_dispute_list),
    Command('toll-free', declare_toll_free, cmd_toll_free),
)
