"""One function per thing a person does to the register, for the CLI and the desktop alike:
create a register, save a record (refused when it changed since it was opened), undo the
last save, import a spreadsheet, attach and detach documents, delete with a reason, create
a request from the procurement check, acknowledge deadlines together (and undo that).

Each is one transaction (one history entry per change), takes plain ``progress`` and
``cancelled`` callbacks (see calnet_desk.progress) and raises ``Cancelled`` when stopped.
The desktop runs them on its writer thread (ui/worker.py); nothing here knows about Qt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .policy.catalog import completer_for
from .progress import IsCancelled, Progress, check, reporting
from .records import KINDS, Kind, Record
from .store import RecordError, Register
from .store import documents as docs
from .store.errors import printable
from .store.keys import lone_surrogate
from .store.register import Changes
from .store.tracked import (
    DEADLINE_MARKS,
    REMINDER_LADDERS,
    current_state,
    delete_row,
    get_row,
    put_row,
)

if TYPE_CHECKING:
    from .exchange.importer import ColumnMap, ImportResult
    from .policy.deadlines import Target

SAVE_MODES = ("new", "edit", "duplicate")


def create_register(root: Path, agency: str, agency_class: str, billing_code: str | None = None,
                    catr_name: str | None = None, catr_email: str | None = None) -> None:
    """A new register (first run, ``init``), seeded with the CALNET contracts named in public
    records (policy/seeds.py), with the agency's CATR when one is named."""
    from .policy.seeds import seed_register

    with Register.create(root, agency=agency, agency_class=agency_class,
                         billing_code=billing_code) as reg:
        seed_register(reg)
        if catr_name:
            with reg.transaction("first run") as tx:
                tx.put(KINDS["people"], {"person_id": "CATR-1", "name": catr_name,
                                         "role": "catr", "active": True, "email": catr_email})


@dataclass(frozen=True)
class SavedEdit:
    """What a save changed, so that it can be undone: the values before it (None for a new
    record), the ladder before it, and the history entry the save wrote."""

    kind: str
    key: str
    previous: Record | None
    previous_ladder: str | None
    ladder_changed: bool
    entry_id: int | None
    reason: str


def current_ladder(reg: Register, kind: str, key: str) -> str | None:
    """A record's own reminder ladder, or None when it follows the rule set's."""
    row = current_state(reg, REMINDER_LADDERS).get(f"{kind}:{key}")
    return str(row["ladder"]) if row else None


def _set_ladder(tx: Changes, kind: str, key: str, ladder: str | None) -> None:
    keys = {"record_kind": kind, "key": key}
    if ladder is None:
        if current_ladder(tx.register, kind, key) is not None:
            delete_row(tx, REMINDER_LADDERS, keys)
    else:
        put_row(tx, REMINDER_LADDERS, {**keys, "ladder": ladder})


def save_record(reg: Register, kind: Kind, record: Record, mode: str,
                expected_entry: int | None, ladder: str | None = None,
                set_ladder: bool = False, reason: str = "",
                progress: Progress | None = None, cancelled: IsCancelled | None = None
                ) -> SavedEdit:
    """Save one record (and its ladder) in one transaction. ``mode`` "new" or "duplicate"
    refuses a key in use; "edit" refuses a record whose newest history entry is no longer
    ``expected_entry`` (it changed since it was opened)."""
    check(cancelled)
    key = kind.record_key(record)
    with reg.transaction(reason) as tx:
        old = reg.get(kind, key)
        if mode != "edit" and old is not None:
            raise RecordError(f"{kind.singular} {key} is already in the register; "
                              "give another " + kind.key_label.lower())
        if mode == "edit" and reg.last_entry_id(kind.name, key) != expected_entry:
            raise RecordError(f"{kind.singular} {key} was changed elsewhere since the "
                              "editor opened it; nothing was saved. Close and reopen it.")
        old_ladder = current_ladder(reg, kind.name, key)
        tx.put(kind, record, complete=completer_for(reg, kind.name))
        changed = set_ladder and ladder != old_ladder
        if changed:
            _set_ladder(tx, kind.name, key, ladder)
    return SavedEdit(kind.name, key, old, old_ladder, changed,
                     reg.last_entry_id(kind.name, key), reason)


def undo_save(reg: Register, saved: SavedEdit, progress: Progress | None = None,
              cancelled: IsCancelled | None = None) -> str:
    """Write back the values before ``saved`` (delete a new record), refused when anything
    changed the record since; returns its key."""
    check(cancelled)
    kind = KINDS[saved.kind]
    reason = "undo" if saved.previous is None else f"undo: {saved.reason}"
    with reg.transaction(reason) as tx:
        if reg.last_entry_id(saved.kind, saved.key) != saved.entry_id:
            raise RecordError(f"{kind.singular} {saved.key} changed since that save; "
                              "it was not undone.")
        if saved.ladder_changed or saved.previous is None:
            _set_ladder(tx, saved.kind, saved.key, saved.previous_ladder)
        if saved.previous is None:
            tx.delete(kind, saved.key)
        else:
            tx.put(kind, saved.previous)
    return saved.key


def undo_import(reg: Register, kind_name: str, name: str, entries: tuple[int, int],
                progress: Progress | None = None, cancelled: IsCancelled | None = None) -> int:
    """Undo a whole import (its history entries, ImportResult.entries) in one transaction:
    the records it added are deleted, those it updated get their values back; refused,
    with nothing changed, when any of them changed since. Returns the records restored."""
    check(cancelled)
    after, last = entries
    written = [e for e in reg.entries_between(after, last) if e["kind"] == kind_name]
    kind = KINDS[kind_name]
    for e in written:
        newest = reg.last_entry_id(e["kind"], e["key"])
        if newest is not None and newest > last:
            raise RecordError(f"{kind.singular} {e['key']} changed since the import of {name}; "
                              "nothing was undone.")
    with reg.transaction(f"undo: import {name}") as tx:
        for e in reversed(written):
            if e["action"] == "insert":
                tx.delete(kind, e["key"])
            elif e["action"] == "update":
                current = reg.get(kind, e["key"])
                if current is None:
                    continue
                tx.put(kind, {**current, **{f: old for f, (old, _) in e["changes"].items()}})
    return len(written)


@dataclass(frozen=True)
class ImportDone:
    """An import Edit > Undo can take back whole (its history entries, for undo_import).
    Here, not in the window's module: no dataclass is made before the desktop's first page
    that it does not need (each is compiled at import, ~0.6 ms)."""

    kind: str
    name: str
    entries: tuple[int, int]
    records: int


@dataclass(frozen=True)
class MarkedDeadlines:
    """Deadlines acknowledged together, so that Undo takes them back together: each mark's
    keys with the row it replaced (None: there was none), and the history entries written."""

    before: tuple[tuple[dict[str, str], dict[str, Any] | None], ...]
    entries: tuple[int, int]

    @property
    def count(self) -> int:
        return len(self.before)


def acknowledge_deadlines(reg: Register, targets: Sequence[Target], reason: str | None = None,
                          progress: Progress | None = None,
                          cancelled: IsCancelled | None = None) -> MarkedDeadlines:
    """Acknowledge several deadlines (record kind, key, deadline kind) as one change: one
    transaction with a history entry per mark, undone whole by undo_marks; refused, nothing
    written, when one of them is no longer a deadline."""
    from .policy.deadlines import put_marks

    check(cancelled)
    with reg.transaction(reason or f"acknowledge {len(targets)} deadline(s)") as tx:
        first = reg.newest_entry_id()
        keys = [{"record_kind": k, "key": key, "deadline_kind": d} for k, key, d in targets]
        before = tuple((k, get_row(tx, DEADLINE_MARKS, k)) for k in keys)
        put_marks(tx, targets, "acknowledged")
    return MarkedDeadlines(before, (first, reg.newest_entry_id()))


def undo_marks(reg: Register, marked: MarkedDeadlines, progress: Progress | None = None,
               cancelled: IsCancelled | None = None) -> int:
    """Put back the marks ``marked`` replaced, in one transaction; refused, nothing changed,
    when any of them changed since. Returns how many."""
    check(cancelled)
    after, last = marked.entries
    with reg.transaction(f"undo: acknowledge {marked.count} deadline(s)") as tx:
        for keys, _ in marked.before:
            newest = reg.last_entry_id(DEADLINE_MARKS.history_kind, DEADLINE_MARKS.key_of(keys))
            if newest is not None and newest > last:
                raise RecordError(f"the mark on {keys['record_kind']} {keys['key']} "
                                  f"({keys['deadline_kind']}) changed since; nothing was "
                                  "undone.")
        for keys, row in reversed(marked.before):
            if row is None:
                if get_row(tx, DEADLINE_MARKS, keys) is not None:
                    delete_row(tx, DEADLINE_MARKS, keys)
            else:
                put_row(tx, DEADLINE_MARKS, row)
    return marked.count


def import_spreadsheet(reg: Register, path: Path, kind: Kind, *, dry_run: bool = False,
                       name: str | None = None, mapping: ColumnMap | None = None,
                       progress: Progress | None = None,
                       cancelled: IsCancelled | None = None) -> ImportResult:
    """Import a CSV/XLSX of one kind: every row or none (see exchange.importer)."""
    from .exchange.importer import import_file

    return import_file(reg, path, kind, dry_run=dry_run, name=name,
                       progress=reporting(progress, cancelled), mapping=mapping)


@dataclass(frozen=True)
class Attached:
    document: docs.Document
    linked: bool  # False: it was linked to the record already


def attach(reg: Register, paths: Sequence[Path], kind: Kind, key: str,
           reason: str | None = None, progress: Progress | None = None,
           cancelled: IsCancelled | None = None) -> list[Attached]:
    """Store the files (each once, by content) and link them to the record, in one
    transaction. Progress counts the files stored."""
    if not reg.exists(kind, key):
        raise RecordError(f"no {kind.singular} {key} in the register; nothing was attached")
    for path in paths:  # before any file is stored: its name becomes the document's
        problem = lone_surrogate(path.name)
        if problem:
            raise RecordError(f"{printable(path)}: the file's name {problem}; the register "
                              "stores only whole characters, so nothing was attached. Rename "
                              "the file and attach it again")
    stored = []
    for done, path in enumerate(paths, start=1):
        check(cancelled, "cancelled; nothing was attached")
        stored.append((path.name, *docs.store_file(reg.paths, path)))
        if progress is not None:
            progress(done, len(paths))
    with reg.transaction(reason) as tx:
        return [Attached(docs.add_document(tx, sha, name, size), docs.link(tx, sha, kind, key))
                for name, sha, size in stored]


def detach(reg: Register, sha256: str, kind: Kind, key: str, reason: str | None = None,
           progress: Progress | None = None, cancelled: IsCancelled | None = None
           ) -> docs.Document:
    """Unlink a document (a SHA-256 or a unique prefix) from a record; the stored file
    stays (other records and backups may need it)."""
    check(cancelled)
    doc = docs.resolve_sha(reg, sha256)
    with reg.transaction(reason) as tx:
        docs.unlink(tx, doc.sha256, kind.name, key)
    return doc


def delete_record(reg: Register, kind: Kind, key: str, reason: str | None = None,
                  progress: Progress | None = None, cancelled: IsCancelled | None = None
                  ) -> None:
    """Delete one record (refused while others refer to it); its history stays."""
    check(cancelled)
    with reg.transaction(reason) as tx:
        tx.delete(kind, key)


def create_from_check(reg: Register, kind: Kind, record: Record, check_text: str | None = None,
                      progress: Progress | None = None, cancelled: IsCancelled | None = None
                      ) -> str:
    """Create the request (exemption, delegation) the procurement check says is needed;
    refused when its key is taken. ``check_text`` (policy.procurement.record_of_check), the
    check's answers and result, is kept as a document of the record, in the same
    transaction. Returns its key."""
    from .store import documents as docs

    check(cancelled)
    key = kind.record_key(record)
    if reg.get(kind, key) is not None:
        raise RecordError(f"{kind.singular} {key} is already in the register; "
                          "choose another id. Nothing was created.")
    stored = docs.store_bytes(reg.paths, check_text.encode("utf-8")) if check_text else None
    with reg.transaction("created from the procurement check") as tx:
        tx.put(kind, record)
        if stored is not None:
            docs.add_document(tx, stored[0], docs.safe_file_name(
                f"procurement check {key}.txt"), stored[1])
            docs.link(tx, stored[0], kind, key)
    return key
