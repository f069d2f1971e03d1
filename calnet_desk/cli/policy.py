"""The rules and what they require: the rule sets, the procurement check, request
completeness and packets, IPR, findings."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any, TextIO

from ..records import AGENCY_CLASSES, CATALOG_STATUSES, GENERATIONS, Kind
from .common import (
    OK,
    PROBLEM,
    USAGE,
    AddParser,
    CliError,
    Command,
    date_arg,
    open_register,
    output_file,
    positive_arg,
    print_json,
    rules_for,
)


def _offering(text: str) -> str:
    from ..policy.procurement import OFFERINGS, RETIRED_OFFERINGS

    if text in RETIRED_OFFERINGS:
        raise argparse.ArgumentTypeError(RETIRED_OFFERINGS[text])
    if text not in OFFERINGS:
        raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(OFFERINGS)}")
    return text


def _cmd_rule_sources(rules: Any, as_json: bool, out: TextIO) -> int:
    from ..policy.provenance import by_source

    grouped = by_source(rules)
    if as_json:
        print_json({"name": rules.name, "generation": rules.generation,
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


def _request_kind(text: str) -> Kind:
    from ..policy.requests import UsageError, request_kind

    try:
        return request_kind(text)
    except UsageError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _dollars(text: str) -> int:
    from ..policy.ipr import IprUsageError, parse_dollars

    try:
        return parse_dollars(text)
    except IprUsageError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def declare_rules(add: AddParser) -> None:
    p = add("rules", "show every rule with its citation")
    p.add_argument("--generation", choices=GENERATIONS,
                   help="the rule set of one contract generation (default: the common one)")
    p.add_argument("--sources", action="store_true",
                   help="every source document with the rules resting on it and the sentence "
                        "each rests on")
    p.add_argument("--json", action="store_true")


def cmd_rules(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    rules = rules_for(root, args.generation)
    if args.sources:
        return _cmd_rule_sources(rules, args.json, out)
    if args.json:
        print_json({"name": rules.name, "generation": rules.generation,
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


def declare_check_purchase(add: AddParser) -> None:
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


def cmd_check_purchase(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..policy.procurement import Purchase, UsageError, check_purchase

    agency_class = args.agency_class
    if agency_class is None:
        with open_register(root, err, write=False) as reg:
            agency_class = str(reg.agency()["agency_class"])
    if args.offering is None:
        err.write("calnet-desk-cli check-purchase: error: --offering is required\n")
        return USAGE
    purchase = Purchase(agency_class, args.offering, args.catalog_status,
                        args.delegation_flag, args.buy_outside, args.ato_term_active)
    try:
        result = check_purchase(rules_for(root), purchase)
    except UsageError as e:
        err.write(f"calnet-desk-cli check-purchase: error: {e}\n")
        return USAGE
    if args.json:
        print_json(result, out)
        return OK
    from ..policy.procurement import result_lines

    for line in result_lines(result):
        out.write(line + "\n")
    return OK


def declare_request_check(add: AddParser) -> None:
    p = add("request-check", "is an exemption or delegation request complete? (the elements "
                             "STMM 501.0 / 3-502.0 ask for, from the rule set)")
    p.add_argument("kind", type=_request_kind, metavar="KIND",
                   help="exemptions or delegations (singular accepted)")
    p.add_argument("key", metavar="KEY")
    p.add_argument("--json", action="store_true")


def cmd_request_check(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..policy.deadlines import RuleBook
    from ..policy.requests import check_request, elements

    kind: Kind = args.kind
    with open_register(root, err, write=False) as reg:
        record = reg.get(kind, args.key)
        if record is None:
            raise CliError(f"no {kind.singular} {args.key} in the register")
        rules = RuleBook(reg).common
        result = check_request(record, kind, args.key, rules)
        needed = [e for e in elements(rules, kind) if e.applies(record)]
    code = OK if result["complete"] else PROBLEM
    if args.json:
        print_json(result, out)
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


def declare_request_packet(add: AddParser) -> None:
    p = add("request-packet", "lay an exemption or delegation request out as a PDF letter "
                              "for the AIO/CIO's signature, every element in order and the "
                              "missing ones marked")
    p.add_argument("kind", type=_request_kind, metavar="KIND",
                   help="exemptions or delegations (singular accepted)")
    p.add_argument("key", metavar="KEY")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.pdf")


def cmd_request_packet(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO
                       ) -> int:
    from ..exchange.packet import write_packet

    kind: Kind = args.kind
    target: Path = args.output
    if target.is_dir():
        raise CliError(f"{target} is a folder; give a file name, e.g. "
                       f"{target / (args.key + '.pdf')}")
    output_file(target)
    with open_register(root, err, write=False) as reg:
        try:
            result = write_packet(reg, kind, args.key, target)
        except OSError as e:
            raise CliError(f"{target}: {e.strerror or e}; nothing was written") from e
    missing = (f"{len(result.missing)} element(s) marked MISSING: {', '.join(result.missing)}"
               if result.missing else "every element given")
    out.write(f"Wrote {target} ({result.pages} page(s), {result.size:,} bytes); {missing}\n")
    return OK


def declare_ipr(add: AddParser) -> None:
    p = add("ipr", "Individual Price Reduction: is the alternative about 20 percent below CALNET, "
                   "with comparable service? (STMM 501.0; advisory)")
    p.add_argument("--calnet-cost", required=True, type=_dollars, metavar="DOLLARS",
                   help="the CALNET total over the term")
    p.add_argument("--alternative-cost", required=True, type=_dollars, metavar="DOLLARS",
                   help="the alternative's total over the same term")
    p.add_argument("--months", type=positive_arg, metavar="N", help="the term both totals cover")
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


def cmd_ipr(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..policy.ipr import IprUsageError, calculate, make_input, money_text, save_calculation

    rules = rules_for(root)
    try:
        ipr = make_input(rules, args.calnet_cost, args.alternative_cost, args.months,
                         args.checklist.split(","), args.attest_network)
    except IprUsageError as e:
        err.write(f"calnet-desk-cli ipr: error: {e}\n")
        return USAGE
    result = calculate(rules, ipr)
    saved = ""
    if args.save_to is not None:
        with open_register(root, err, write=True) as reg:
            action = save_calculation(reg, args.save_to, ipr, args.reason)
        saved = (f"The calculation saved with exemption {args.save_to} was already this one"
                 if action == "unchanged" else
                 f"Saved the calculation with exemption {args.save_to}; its request packet "
                 "shows it")
    if args.json:
        print_json(result, out)
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


def declare_findings(add: AddParser) -> None:
    p = add("findings", "what is wrong in the register (expired exemptions, missing "
                        "delegations, CATR/ATR problems, incomplete requests…), with the rule")
    p.add_argument("--today", type=date_arg, metavar="YYYY-MM-DD", help="default: today")
    p.add_argument("--json", action="store_true")


def cmd_findings(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..policy.deadlines import us_date
    from ..policy.findings import SEVERITIES, findings

    today = args.today or dt.date.today()
    with open_register(root, err, write=False) as reg:
        found = findings(reg, today)
    code = PROBLEM if found else OK
    if args.json:
        print_json([f.as_dict() for f in found], out)
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


COMMANDS = (
    Command('rules', declare_rules, cmd_rules),
    Command('check-purchase', declare_check_purchase, cmd_check_purchase),
    Command('request-check', declare_request_check, cmd_request_check),
    Command('request-packet', declare_request_packet, cmd_request_packet),
    Command('ipr', declare_ipr, cmd_ipr),
    Command('findings', declare_findings, cmd_findings),
)
