"""The register's upkeep: verify, rebuild the search index, back up, list backups, restore."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from ..store import StoreError
from ..store.register import NoRegister
from .common import (
    OK,
    PROBLEM,
    AddParser,
    Command,
    open_register,
    print_json,
    table,
)


def declare_verify(add: AddParser) -> None:
    p = add("verify", "check the database, the history chain, and every record against "
                      "its history")
    p.add_argument("--json", action="store_true")


def cmd_verify(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..exchange.billing import check_statements
    from ..store.verify import verify

    with open_register(root, err, write=False) as reg:
        findings, counts = verify(reg)
        findings += check_statements(reg)
    if args.json:
        print_json({"ok": not findings, "findings": [f.as_dict() for f in findings],
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


def declare_rebuild_search(add: AddParser) -> None:
    add("rebuild-search", "re-create the schema's triggers and rebuild the search index from "
                          "the records (records and history are not changed)")


def cmd_rebuild_search(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    with open_register(root, err, write=True) as reg:
        n = reg.rebuild_search()
    out.write(f"Re-created the triggers and rebuilt the search index ({n:,} entries); records "
              "and history are unchanged\n")
    return OK


def declare_backup(add: AddParser) -> None:
    p = add("backup", "back the register and its documents up now")
    p.add_argument("--to", type=Path, metavar="DIR",
                   help="another folder, e.g. a second disk or a share (default: the "
                        "register's backups folder)")


def cmd_backup(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..store.backups import make_backup

    with open_register(root, err, write=False) as reg:
        made = make_backup(reg, "manual", args.to)
    out.write(f"Backed up to {made.path}\n")
    return OK


def declare_backups(add: AddParser) -> None:
    p = add("backups", "list the register's backups, newest first")
    p.add_argument("--json", action="store_true")


def cmd_backups(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..paths import RegisterPaths
    from ..store.backups import list_backups

    paths = RegisterPaths(root)
    if not paths.exists() and not paths.backups.is_dir():
        raise StoreError(str(NoRegister(root)))
    found = [b.as_dict() for b in list_backups(paths.backups)]
    if args.json:
        print_json(found, out)
        return OK
    rows = [["Name", "Reason", "Created (UTC)", "Size", "History entries", "Documents"]]
    rows += [[b["name"], b["reason"], b["created"], f"{b['size']:,}",
              str(b["history_entries"]), str(b["documents"])] for b in found]
    table(rows, out)
    out.write(f"{len(found)} backup(s) in {paths.backups}\n")
    return OK


def declare_restore(add: AddParser) -> None:
    p = add("restore", "put a backup in place (the current database is kept aside)")
    p.add_argument("backup", nargs="?", metavar="BACKUP",
                   help="a name from `backups` or a backup folder (default: the newest "
                        "good backup)")


def cmd_restore(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..paths import RegisterPaths
    from ..store.backups import find_backup, restore

    paths = RegisterPaths(root)
    backup = find_backup(paths, args.backup)
    aside = restore(paths, backup)
    kept = f"; the database it replaced is kept in {aside}" if aside else ""
    out.write(f"Restored {backup.name}{kept}\n")
    with open_register(root, err, write=True) as reg:  # upgrades an older backup's schema
        from ..store.verify import verify

        findings, _ = verify(reg)
    for f in findings:
        err.write(f"calnet-desk-cli: after restore: {f.check}: {f.message}\n")
    return PROBLEM if findings else OK


COMMANDS = (
    Command('verify', declare_verify, cmd_verify),
    Command('rebuild-search', declare_rebuild_search, cmd_rebuild_search),
    Command('backup', declare_backup, cmd_backup),
    Command('backups', declare_backups, cmd_backups),
    Command('restore', declare_restore, cmd_restore),
)
