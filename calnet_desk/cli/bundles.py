"""Audit bundles: export, verify, merge."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from .common import (
    OK,
    PROBLEM,
    AddParser,
    CliError,
    Command,
    date_arg,
    open_register,
    output_file,
    print_json,
)


def _bundle_scope(text: str) -> Any:
    from ..exchange.bundle import ScopeSyntax, parse_scope

    try:
        return parse_scope(text)
    except ScopeSyntax as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _chain_head(text: str) -> str:
    head = text.strip().lower()
    if len(head) != 64 or any(c not in "0123456789abcdef" for c in head):
        raise argparse.ArgumentTypeError(f"{text!r} is not a chain head (64 hex digits)")
    return head


def declare_export_bundle(add: AddParser) -> None:
    p = add("export-bundle", "export an audit bundle for the CALNET Program (STMM 501.0, "
                             "3-502.0): a BagIt bag in a zip with the records, documents, "
                             "history and a PDF summary; the same as-of date and --today "
                             "give the same bytes")
    p.add_argument("output", type=Path, metavar="OUT.zip")
    p.add_argument("--scope", type=_bundle_scope, default="all", metavar="SCOPE",
                   help="all (default), exemption:KEY, delegation:KEY, ato:KEY or "
                        "since:YYYY-MM-DD")
    p.add_argument("--as-of", type=date_arg, metavar="YYYY-MM-DD",
                   help="the report date (default: --today)")
    p.add_argument("--today", type=date_arg, metavar="YYYY-MM-DD",
                   help="the day the bag is made, its Bagging-Date (default: today)")
    p.add_argument("--redact", action="store_true",
                   help="drop personal names, e-mail, phone and user names (a Public "
                        "Records Act copy)")


def cmd_export_bundle(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..exchange.bundle import export_bundle, parse_scope

    target: Path = args.output
    if target.is_dir():
        raise CliError(f"{target} is a folder; give a file name, e.g. {target / 'bundle.zip'}")
    output_file(target)
    scope = parse_scope(args.scope) if isinstance(args.scope, str) else args.scope
    with open_register(root, err, write=False) as reg:
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


def declare_verify_bundle(add: AddParser) -> None:
    p = add("verify-bundle", "check an audit bundle (zip or unzipped folder): the bag, every "
                             "file against its manifest, the history against its chain")
    p.add_argument("bundle", type=Path, metavar="BUNDLE")
    p.add_argument("--expect-head", type=_chain_head, metavar="HASH",
                   help="the history chain head printed when the bundle was made (received "
                        "separately): the bundle must end at it")


def cmd_verify_bundle(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..exchange.bundle import verify_bundle

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


def declare_merge_bundle(add: AddParser) -> None:
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


def cmd_merge_bundle(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..exchange.merge import merge_bundle

    with open_register(root, err, write=not args.dry_run) as reg:
        result = merge_bundle(reg, args.bundle, dry_run=args.dry_run, prefer=args.prefer,
                              allow_other_agency=args.allow_other_agency)
    if args.json:
        print_json(result.as_dict(), out)
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


COMMANDS = (
    Command('export-bundle', declare_export_bundle, cmd_export_bundle),
    Command('verify-bundle', declare_verify_bundle, cmd_verify_bundle),
    Command('merge-bundle', declare_merge_bundle, cmd_merge_bundle),
)
