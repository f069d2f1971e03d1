"""Documents: attach, detach, list, open a copy, clean up unreferenced files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from ..records import Kind
from .common import (
    KINDS_HELP,
    OK,
    AddParser,
    CliError,
    Command,
    kind_arg,
    open_register,
    print_json,
    record_ref_arg,
    table,
)


def declare_attach(add: AddParser) -> None:
    p = add("attach", "store a document and link it to a record")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--to", required=True, type=record_ref_arg, metavar="KIND:KEY",
                   help="e.g. orders:HO-1 (order:HO-1 works too)")
    p.add_argument("--reason", metavar="TEXT")


def cmd_attach(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..operations import attach

    kind, key = args.to
    src: Path = args.file
    if not src.is_file():
        if src.is_dir():
            raise CliError(f"{src} is a folder, not a file; nothing was attached. Attach each "
                           "of its files")
        if src.exists():
            raise CliError(f"{src} is not a regular file (a named pipe or a device), so it was "
                           "not read; nothing was attached")
        raise CliError(f"{src}: no such file; nothing was attached")
    with open_register(root, err, write=True) as reg:
        [done] = attach(reg, [src], kind, key, args.reason)
    doc = done.document
    verb = "Attached" if done.linked else "Already attached:"
    out.write(f"{verb} {doc.name} ({doc.size:,} bytes, SHA-256 {doc.sha256}) to "
              f"{kind.singular} {key}\n")
    return OK


def declare_detach(add: AddParser) -> None:
    p = add("detach", "unlink a document from a record (the stored file is kept)")
    p.add_argument("sha256", metavar="SHA256")
    p.add_argument("--from", dest="from_", required=True, type=record_ref_arg,
                   metavar="KIND:KEY")
    p.add_argument("--reason", metavar="TEXT")


def cmd_detach(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..operations import detach

    kind, key = args.from_
    with open_register(root, err, write=True) as reg:
        doc = detach(reg, args.sha256, kind, key, args.reason)
    out.write(f"Detached {doc.name} from {kind.singular} {key}; the stored file is kept\n")
    return OK


def declare_documents(add: AddParser) -> None:
    p = add("documents", "list the documents linked to a record")
    p.add_argument("kind", type=kind_arg, metavar="KIND", help=KINDS_HELP)
    p.add_argument("key", metavar="KEY")
    p.add_argument("--json", action="store_true")


def cmd_documents(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..store import documents as docs

    kind: Kind = args.kind
    with open_register(root, err, write=False) as reg:
        if reg.get(kind, args.key) is None:
            raise CliError(f"no {kind.singular} {args.key} in the register")
        found = docs.documents_of(reg, kind, args.key)
    if args.json:
        print_json([d.as_dict() for d in found], out)
        return OK
    rows = [["Name", "Size", "Type", "Added (UTC)", "SHA-256"]]
    rows += [[d.name, f"{d.size:,}", d.media_type, d.added_at, d.sha256] for d in found]
    table(rows, out)
    out.write(f"{len(found)} document(s)\n")
    return OK


def declare_open(add: AddParser) -> None:
    p = add("open", "write a read-only copy of a document under its original name")
    p.add_argument("sha256", metavar="SHA256")
    p.add_argument("--to", required=True, type=Path, metavar="DIR")


def cmd_open(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..store import documents as docs

    with open_register(root, err, write=False) as reg:
        doc = docs.resolve_sha(reg, args.sha256)
        try:
            target = docs.export_copy(reg, doc, args.to)
        except OSError as e:
            from ..store.errors import describe

            raise CliError(f"cannot write a copy into {args.to}: {describe(e)}; nothing was "
                           "written. Give a folder you may write to") from e
    out.write(f"{target}\n")
    return OK


def declare_clean_up(add: AddParser) -> None:
    add("clean-up", "remove stored document files that no record and no history entry names "
                    "(verify lists them; a crash between storing and recording leaves them)")


def cmd_clean_up(args: argparse.Namespace, root: Path, out: TextIO, err: TextIO) -> int:
    from ..store.verify import orphan_documents
    from ..store.workspace import remove_path

    with open_register(root, err, write=True) as reg:
        found = orphan_documents(reg)
        for path in found:
            remove_path(path)
    for path in found:
        out.write(f"Removed {path}\n")
    out.write(f"{len(found)} unreferenced file(s) removed from the document store\n")
    return OK


COMMANDS = (
    Command('attach', declare_attach, cmd_attach),
    Command('detach', declare_detach, cmd_detach),
    Command('documents', declare_documents, cmd_documents),
    Command('open', declare_open, cmd_open),
    Command('clean-up', declare_clean_up, cmd_clean_up),
)
