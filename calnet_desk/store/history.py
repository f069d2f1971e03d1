"""The history: every change to a record, chained by SHA-256.

Chain version 2 (registers migrated by ``0007_history_chain_v2``; docs/history-chain.md
says the same for auditors) links each entry by a digest that can be recomputed without
the entry's content, so a bundle that leaves entries out, or hides personal values, still
proves every link:

* every entry has a random ``salt`` (32 hex digits). Its *leaves*, in chain order: ``user``,
  ``reason``, then each changed field by name, old then new (``changes/FIELD/0`` and
  ``/1``). A leaf whose value is a text or a list is *committed*: the i-th committed leaf
  gets the leaf salt ``SHAKE-256(ASCII(salt))`` bytes ``32*i`` to ``32*i+32`` and is
  written as its commitment, the hex ``SHA-256(leaf salt + UTF-8(canonical_json(value)))``;
  null, numbers and booleans (which cannot hold a name) stay in plain;
* the scope references (``SCOPE_REFS``: an order's exemption and delegation, an
  exemption's General Delegation) are not leaves: they stay in plain in ``refs``
  ``{field: [old, new]}`` so a verifier can tell which records a scope holds;
* ``body`` = hex SHA-256 of ``canonical_json({"changes": {FIELD: [old, new]}, "reason": …,
  "user": …})`` with every leaf written as above (refs left out of changes);
* ``digest`` = hex SHA-256 of ``canonical_json({"action", "at", "body", "id", "key",
  "kind", "refs"})``;
* ``hash`` = hex SHA-256 of the ASCII text ``prev + digest`` (``prev``: the previous entry's
  hash, 64 zeros for entry 1).

A bundle gives, for every entry, ``id, at, kind, key, action, refs, body, prev, hash``
(so each link is recomputed) and, for the entries in scope, their content with the salt
(or, redacted, a leaf salt for each shown value and the commitment of each hidden one).

Chain version 1 (before the migration), still recomputable from the entries' content:

* Each entry is the JSON object with exactly these keys: ``id`` (integer, 1, 2, 3, …),
  ``at`` (UTC, ``YYYY-MM-DDTHH:MM:SSZ``), ``user`` (OS user name), ``kind`` (``orders``,
  ``agency``, …), ``key`` (the record's key), ``action`` (``insert``, ``update`` or
  ``delete``), ``changes`` (an object ``{field: [old, new]}``; money in integer cents,
  yes/no as booleans, lists as arrays, empty as null), ``reason`` (text or null) and
  ``prev`` (the previous entry's hash; 64 zeros for the first entry).
* Its canonical form is ``json.dumps(entry, sort_keys=True, separators=(",", ":"),
  ensure_ascii=False)`` encoded as UTF-8.
* ``hash`` is the lower-case hex SHA-256 of the canonical form.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..records import Record

if TYPE_CHECKING:
    import hashlib
else:
    class _Hashlib:
        """hashlib, imported when first used: the store is imported at every start of the
        desktop, which reads the register before it writes (OpenSSL's _hashlib is ~2.5 ms
        of the cold start, issue 16 item 15). The first use puts the module itself in
        this module's globals, so later calls find hashlib as if imported above."""

        def __getattr__(self, name: str) -> Any:
            import hashlib

            globals()["hashlib"] = hashlib
            return getattr(hashlib, name)

    hashlib = _Hashlib()

GENESIS = "0" * 64
CHAIN_VERSION = 2
# References that say which records a bundle scope holds: kept in plain in each entry's
# digest, so a verifier recomputes the scope from the chain alone.
SCOPE_REFS: dict[str, tuple[str, ...]] = {
    "orders": ("delegation_id", "exemption_id"),
    "exemptions": ("general_delegation_id",),
    "statements": ("sha256",),  # a contractor's statement names its source file
}
Clock = Callable[[], dt.datetime]
_REFS_JSON = {kind: frozenset(json.dumps(n) for n in names) for kind, names in SCOPE_REFS.items()}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False), made once
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_json_text = json.encoder.encode_basestring  # how that encoder writes a str


def canonical_json(obj: Any) -> str:
    return _CANONICAL.encode(obj)


def canonical_value(value: Any) -> str:
    """``canonical_json(value)``, with a short way for the common scalars."""
    kind = type(value)
    if kind is str:
        return _json_text(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)  # as the encoder writes an int
    if kind is bool:
        return "true" if value else "false"
    return _CANONICAL.encode(value)


def canonical_entry(entry_id: int, at: str, user: str, kind: str, key: str, action: str,
                    changes_json: str, reason: str | None, prev: str) -> str:
    """``canonical_json`` of the entry, built from its parts (the keys in sorted order)
    with ``changes`` already in canonical form: the same text, without encoding the
    changes twice."""
    c = canonical_value
    return (f'{{"action":{c(action)},"at":{c(at)},"changes":{changes_json},'
            f'"id":{c(entry_id)},"key":{c(key)},"kind":{c(kind)},"prev":{c(prev)},'
            f'"reason":{c(reason)},"user":{c(user)}}}')


def entry_hash_v1(entry: dict[str, Any]) -> str:
    body = {k: entry[k] for k in
            ("id", "at", "user", "kind", "key", "action", "changes", "reason", "prev")}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def entry_hash(entry: dict[str, Any]) -> str:
    """The entry's chain hash: version 2 when it has a salt, else version 1. A stored
    ``body`` that is not the content's gives an empty hash (the entry was altered)."""
    if not entry.get("salt"):
        return entry_hash_v1(entry)
    body = body_of(entry)
    if entry.get("body") not in (None, body):
        return ""
    return link_hash(entry["prev"], entry_digest(header_of(entry), body))


def new_salt() -> str:
    return os.urandom(16).hex()


def committed(value_json: str) -> bool:
    """Texts and lists (what may hold a personal value) are committed; null, numbers and
    booleans stay in plain."""
    return value_json[:1] in ('"', "[")


def leaf_salts(salt: str, n: int) -> bytes:
    """The leaf salts of an entry's n committed leaves, 32 bytes each, in chain order."""
    return hashlib.shake_256(salt.encode("ascii")).digest(32 * n) if n else b""


def commitment(leaf: bytes, value_json: str) -> str:
    """The hex commitment to a leaf value given as its canonical JSON text."""
    return hashlib.sha256(leaf + value_json.encode("utf-8")).hexdigest()


def leaves(entry: dict[str, Any]) -> tuple[list[str], list[tuple[str, str]]]:
    """(changed field names as JSON, [(path, value as canonical JSON)]) in chain order:
    user, reason, then each changed field but the refs, by name, old then new."""
    refs = SCOPE_REFS.get(entry["kind"], ())
    names: list[str] = []
    items = [("user", canonical_value(entry["user"])),
             ("reason", canonical_value(entry["reason"]))]
    for name, (old, new) in sorted(entry["changes"].items()):
        if name not in refs:
            names.append(canonical_value(name))
            items += [(f"changes/{name}/0", canonical_value(old)),
                      (f"changes/{name}/1", canonical_value(new))]
    return names, items


def body_text(names: list[str], rendered: list[str]) -> str:
    """hex SHA-256 of the body form, from each leaf rendered as its commitment (quoted)
    or its plain JSON, in chain order."""
    pairs = ",".join(f"{n}:[{rendered[2 + 2 * i]},{rendered[3 + 2 * i]}]"
                     for i, n in enumerate(names))
    text = f'{{"changes":{{{pairs}}},"reason":{rendered[1]},"user":{rendered[0]}}}'
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def body_of(entry: dict[str, Any]) -> str:
    """``body`` of an entry with its content and salt: its :func:`leaves` rendered with
    :func:`leaf_salts` and :func:`commitment` as :func:`body_text` writes them, in one pass
    (:func:`sealed_body`)."""
    c = canonical_value
    pairs = [(_json_text(name), c(old), c(new))
             for name, (old, new) in sorted(entry["changes"].items())]
    return sealed_body(entry["salt"], c(entry["user"]), c(entry["reason"]), pairs,
                       _REFS_JSON.get(entry["kind"], ()))[0]


def sealed_body(salt: str, user_json: str, reason_json: str,
                pairs: list[tuple[str, str, str]], refs: frozenset[str] | tuple[()]
                ) -> tuple[str, list[str]]:
    """(body, the refs' ``name:[old,new]`` parts) of an entry given as canonical JSON texts:
    its user, its reason and (field name, old, new) in name order; ``refs`` the scope
    references' names as JSON (kept in plain, out of the body). Every committed leaf is
    hashed as it is met, its leaf salt taken from one SHAKE-256 output long enough for all
    of them (an XOF's shorter outputs are prefixes of its longer ones): the same as
    :func:`leaves`, :func:`leaf_salts`, :func:`commitment` and :func:`body_text`."""
    sha256 = hashlib.sha256
    stream = hashlib.shake_256(salt.encode("ascii")).digest(64 + 64 * len(pairs))
    leaf = 0
    shown: list[str] = []
    for value in (user_json, reason_json):
        if value[0] in '"[':  # committed(value), inlined
            shown.append('"' + sha256(stream[leaf:leaf + 32] + value.encode("utf-8")
                                      ).hexdigest() + '"')
            leaf += 32
        else:
            shown.append(value)
    changed: list[str] = []
    ref_parts: list[str] = []
    for name_json, old, new in pairs:
        if refs and name_json in refs:
            ref_parts.append(f"{name_json}:[{old},{new}]")
            continue
        if old[0] in '"[':
            old = '"' + sha256(stream[leaf:leaf + 32] + old.encode("utf-8")).hexdigest() + '"'
            leaf += 32
        if new[0] in '"[':
            new = '"' + sha256(stream[leaf:leaf + 32] + new.encode("utf-8")).hexdigest() + '"'
            leaf += 32
        changed.append(f"{name_json}:[{old},{new}]")
    body = sha256(f'{{"changes":{{{",".join(changed)}}},"reason":{shown[1]},'
                  f'"user":{shown[0]}}}'.encode()).hexdigest()
    return body, ref_parts


def sealed_inserts(salts: list[str], user_json: str, reason_json: str, names: list[str],
                   columns: list[list[str | None]], refs: frozenset[str] | tuple[()]
                   ) -> list[tuple[str, str, str]]:
    """(changes as canonical JSON, body, refs as canonical JSON) of ``insert`` entries, one
    per salt: ``names`` the fields as JSON in name order, ``columns`` each field's new
    values as canonical JSON, an entry's value at its salt's position (None: the field is
    left out, as a diff leaves out a field empty on both sides). The same as
    :func:`sealed_body` of each entry's (name, "null", value) texts, with what does not
    depend on the salt (each field's ``name:[null,value]`` text, a committed value's bytes)
    made once per distinct value of a column; the leaf salts come from one SHAKE-256 output
    long enough for every field (its shorter outputs are prefixes)."""
    sha256, shake = hashlib.sha256, hashlib.shake_256
    count = len(salts)
    changes_columns: list[list[str | None]] = []
    ref_columns: list[list[str | None]] = []
    quoted: list[str] = []  # each field's text before a commitment
    body_columns: list[Sequence[str | bytes | None]] = []  # a part as is, or a value to commit
    for name, column in zip(names, columns, strict=True):
        plain = name + ":[null,"
        table: dict[str | None, str] = {v: plain + v + "]" for v in set(column) if v}
        parts = list(map(table.get, column))
        changes_columns.append(parts)
        if name in refs:
            ref_columns.append(parts)
            continue
        quoted.append(name + ':[null,"')
        if any(v and v[0] in '"[' for v in table):  # committed(v)
            items: dict[str | None, str | bytes] = {
                v: v.encode("utf-8") if v and v[0] in '"[' else part
                for v, part in table.items()}
            body_columns.append(list(map(items.get, column)))
        else:
            body_columns.append(parts)

    def joined(cols: list[list[str | None]]) -> list[str]:
        if not cols:
            return ["{}"] * count
        return ["{" + ",".join(filter(None, row)) + "}" for row in zip(*cols, strict=True)]

    lead = [(value, value.encode("utf-8") if value[0] in '"[' else None)
            for value in (user_json, reason_json)]
    bound = 32 * (2 + len(body_columns))
    rows = zip(*body_columns, strict=True) if body_columns else [()] * count
    bodies: list[str] = []
    append = bodies.append
    for salt, row in zip(salts, rows, strict=True):
        stream = shake(salt.encode("ascii")).digest(bound)
        leaf = 0
        shown = []
        for text, encoded in lead:
            if encoded is None:
                shown.append(text)
            else:
                shown.append('"' + sha256(stream[leaf:leaf + 32] + encoded).hexdigest() + '"')
                leaf += 32
        changed: list[str] = []
        for head, item in zip(quoted, row, strict=True):
            if item is None:
                continue
            if type(item) is str:
                changed.append(item)
            else:
                changed.append(head + sha256(stream[leaf:leaf + 32] + item).hexdigest() + '"]')
                leaf += 32
        append(sha256(('{"changes":{' + ",".join(changed) + '},"reason":' + shown[1]
                       + ',"user":' + shown[0] + "}").encode()).hexdigest())
    return list(zip(joined(changes_columns), bodies, joined(ref_columns), strict=True))


SealJob = tuple[list[str], str, str, list[str], list[list[str | None]],
                frozenset[str] | tuple[()]]  # the arguments of sealed_inserts


def _seal_worker(conn: Any) -> None:
    """The sealer process's loop: a batch's :func:`sealed_inserts` arguments in, its result
    out, until None or the parent is gone (Ctrl-C is the parent's to handle)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        conn.send(READY)  # the parent sends no batch before it hears this
    except (EOFError, OSError):
        return
    while True:
        try:
            job = conn.recv()
            if job is None:
                return
            conn.send(sealed_inserts(*job))
        except (EOFError, OSError):  # the parent ended
            return


@contextmanager
def _no_ctrl_c() -> Iterator[None]:
    """SIGINT held back in this thread while the sealer process starts: the process keeps
    it blocked (a signal mask survives exec), so a Ctrl-C to the terminal's process group
    while Python starts in it no longer prints its KeyboardInterrupt traceback; this
    process gets the Ctrl-C once the start is done. POSIX only: Windows has no signal masks
    (its console sends Ctrl-C to every process on it; the worker ignores SIGINT once it
    runs)."""
    import signal

    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


READY = "ready"  # the sealer process's first word: it reads batches from now on
# How long a batch may take in the sealer process before it is sealed here instead (a
# design choice: a batch of 1,000 entries takes about 20 ms there; a process that hangs,
# started but never answering, must not hold the import for ever).
SEAL_WAIT_S = 60.0


class Sealer:
    """:func:`sealed_inserts` in a process of its own, beside a large write: an entry's
    body does not depend on the chain (only its link does), so the bodies of one batch are
    hashed there while this process reads and checks the next; the links are made here,
    in order (:meth:`HistoryWriter.settle`). One batch is in flight at a time, and each
    side reads before it writes again, so neither can block the other on a full pipe.

    The process is started with ``spawn`` (no copy of this process's threads and open
    register; the frozen build calls ``multiprocessing.freeze_support()``). If it cannot
    be started, dies, answers wrongly or not within ``SEAL_WAIT_S`` (then it is ended),
    the batch is sealed here instead: the same
    entries (``sealed_inserts`` is a function of its arguments), only slower."""

    def __init__(self, worker: Callable[[Any], None] = _seal_worker) -> None:
        self.sealed = 0  # batches the process sealed
        self.ready = False  # the process said it reads batches
        self.busy = False
        self.broken = False
        self._conn: Any = None
        self._process: Any = None
        try:
            import multiprocessing

            context = multiprocessing.get_context("spawn")
            self._conn, child = context.Pipe()
            self._process = context.Process(target=worker, args=(child,),
                                            name="calnet-desk-sealer", daemon=True)
            with _no_ctrl_c():
                self._process.start()
            child.close()
        except Exception:  # no process here (a locked-down machine): seal in this one
            self.broken = True

    def submit(self, job: SealJob) -> bool:
        """Send a batch to the process; False when it cannot take it (seal it here)."""
        if self.broken or self.busy or not (self.ready or self._started()):
            return False
        try:
            self._conn.send(job)
        except Exception:
            self.broken = True
            return False
        self.busy = True
        return True

    _NO_ANSWER = object()

    def _answer(self) -> Any:
        """What the process says next, waiting ``SEAL_WAIT_S`` at most; ``_NO_ANSWER`` when
        it says nothing in time, has ended, or its pipe fails."""
        try:
            from multiprocessing.connection import wait

            if self._conn in wait([self._conn, self._process.sentinel], SEAL_WAIT_S):
                return self._conn.recv()
        except Exception:
            pass
        return self._NO_ANSWER

    def _started(self) -> bool:
        """Wait for the process to say it reads batches: a batch is larger than a pipe
        holds (8 KiB on Windows), so sending one to a process that never reads would wait
        for ever. False (and broken) when it does not."""
        self.ready = self._answer() == READY
        self.broken = not self.ready
        return self.ready

    def result(self, job: SealJob) -> list[tuple[str, str, str]]:
        """The sealed batch sent last (``job``), from the process or, failing that, here."""
        self.busy = False
        if not self.broken:
            sealed = self._answer()
            if isinstance(sealed, list) and len(sealed) == len(job[0]):
                self.sealed += 1
                return sealed
            self.broken = True
        return sealed_inserts(*job)

    def close(self) -> None:
        """End the process (a batch still in flight is dropped: its transaction failed)."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if self.busy or self.broken:
                process.kill()
            else:
                self._conn.send(None)
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join(5)
        except Exception:
            pass
        finally:
            self._conn.close()
            self.busy, self.broken = False, True


def leaf_salt_map(entry: dict[str, Any]) -> dict[str, bytes]:
    """path -> leaf salt of each committed leaf."""
    _names, items = leaves(entry)
    paths = [p for p, v in items if committed(v)]
    stream = leaf_salts(entry["salt"], len(paths))
    return {p: stream[32 * i:32 * i + 32] for i, p in enumerate(paths)}


def refs_of(changes: dict[str, Any], kind: str) -> dict[str, Any]:
    refs = SCOPE_REFS.get(kind, ())
    return {name: pair for name, pair in changes.items() if name in refs}


def header_of(entry: dict[str, Any]) -> dict[str, Any]:
    """What a bundle shows of every entry, in or out of scope (body and hashes aside)."""
    return {"id": entry["id"], "at": entry["at"], "kind": entry["kind"], "key": entry["key"],
            "action": entry["action"], "refs": refs_of(entry["changes"], entry["kind"])}


def entry_digest(header: dict[str, Any], body: str) -> str:
    return hashlib.sha256(canonical_json({**header, "body": body}).encode("utf-8")).hexdigest()


def header_digest(action: str, at: str, body: str, entry_id: int, key: str, kind: str,
                  refs_json: str) -> str:
    """:func:`entry_digest` from the header's parts, ``refs`` given as its canonical JSON
    text: the canonical form put together in key order (the same text, built directly)."""
    j = _json_text
    return hashlib.sha256(
        f'{{"action":{j(action)},"at":{j(at)},"body":"{body}","id":{int.__repr__(entry_id)},'
        f'"key":{j(key)},"kind":{j(kind)},"refs":{refs_json}}}'.encode()).hexdigest()


def link_hash(prev: str, digest: str) -> str:
    return hashlib.sha256((prev + digest).encode("ascii")).hexdigest()


def has_salt_column(conn: sqlite3.Connection) -> bool:
    return any(r[1] == "salt" for r in conn.execute("PRAGMA table_info(history)"))


def diff(old: Record | None, new: Record | None) -> dict[str, list[Any]]:
    """Field-level changes {field: [old, new]}; fields empty on both sides are left out."""
    old = old or {}
    new = new or {}
    changes: dict[str, list[Any]] = {}
    for name in old.keys() | new.keys():
        a, b = old.get(name), new.get(name)
        if a != b or type(a) is not type(b):
            changes[name] = [a, b]
    return dict(sorted(changes.items()))


class HistoryWriter:
    """Appends entries inside the caller's transaction, buffering them for executemany."""

    def __init__(self, conn: sqlite3.Connection, user: str, clock: Clock) -> None:
        self.conn = conn
        # how flush runs its statements (a transaction may queue them on a thread)
        self.execute: Callable[[str, list[Any]], object] = conn.execute
        self.user = user
        self.clock = clock
        row = conn.execute("SELECT id, hash FROM history ORDER BY id DESC LIMIT 1").fetchone()
        self.next_id = (row[0] + 1) if row else 1
        self.prev = row[1] if row else GENESIS
        self.v2 = has_salt_column(conn)  # False only inside a migration before 0007
        self.pending: list[tuple[Any, ...]] = []
        self._second: float | None = None  # the clock's last whole second (POSIX) …
        self._at = ""  # … as "at" text
        self._pool = ""  # random hex for salts (see _salt)
        self._pool_at = 0
        self._user_json = canonical_value(user)
        self._reason_json: dict[str | None, str] = {}
        # a large write's bodies may be sealed in another process (Sealer): the batch in
        # flight there, always the newest entries, linked by settle()
        self.sealer: Sealer | None = None
        self._flight: tuple[SealJob, str, str, list[str], str | None] | None = None

    def _now(self) -> str:
        now = self.clock().replace(microsecond=0)
        second = now.timestamp()
        if second != self._second:
            self._at = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            self._second = second
        return self._at

    def append(self, kind: str, key: str, action: str, changes: dict[str, list[Any]],
               reason: str | None) -> None:
        self.append_json(kind, key, action, canonical_json(changes), reason)

    def append_json(self, kind: str, key: str, action: str, changes_json: str,
                    reason: str | None,
                    pairs: list[tuple[str, str, str]] | None = None) -> None:
        """:meth:`append` with the changes given as their ``canonical_json`` text (and, to
        spare parsing it again, as (name, old, new) canonical JSON texts in name order)."""
        self.settle()  # the entries before it are linked first
        at = self._now()
        if not self.v2:
            text = canonical_entry(self.next_id, at, self.user, kind, key, action,
                                   changes_json, reason, self.prev)
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            self.pending.append((self.next_id, at, self.user, kind, key, action,
                                 changes_json, reason, self.prev, digest))
        else:
            if pairs is None:
                pairs = [(canonical_value(n), canonical_value(o), canonical_value(v))
                         for n, (o, v) in sorted(json.loads(changes_json).items())]
            digest, salt, body = self._seal_v2(at, kind, key, action, reason, pairs)
            self.pending.append((self.next_id, at, self.user, kind, key, action,
                                 changes_json, reason, self.prev, digest, salt, body))
        self.prev = digest
        self.next_id += 1

    def append_inserts(self, kind: str, keys: list[str], reason: str | None,
                       names: list[str], columns: list[list[str | None]]) -> None:
        """An ``insert`` entry for each key, as :meth:`append_json` appends them one by one:
        ``names`` the kind's fields as JSON in name order, ``columns`` each field's values
        as canonical JSON, in the keys' order (None where a record has none). The entries
        of a batch share one reading of the clock, and are sealed together
        (:func:`sealed_inserts`)."""
        if not keys:
            return
        if not self.v2:
            rows = zip(*columns, strict=True) if columns else [()] * len(keys)
            for key, row in zip(keys, rows, strict=True):
                pairs = [(n, "null", v) for n, v in zip(names, row, strict=True)
                         if v is not None]
                self.append_json(kind, key, "insert", "{" + ",".join(
                    [f"{n}:[{a},{b}]" for n, a, b in pairs]) + "}", reason, pairs)
            return
        self.settle()
        at = self._now()
        reason_json = self._reason_json.get(reason)
        if reason_json is None:
            reason_json = self._reason_json[reason] = canonical_value(reason)
        job: SealJob = ([self._salt() for _ in keys], self._user_json, reason_json, names,
                        columns, _REFS_JSON.get(kind, ()))
        if self.sealer is not None and self.sealer.submit(job):
            self._flight = (job, at, kind, list(keys), reason)  # linked by settle()
            return
        self._link_inserts(at, kind, keys, reason, job[0], sealed_inserts(*job))

    def settle(self) -> None:
        """Link the batch being sealed in the other process, if any (waiting for it)."""
        flight, self._flight = self._flight, None
        if flight is None:
            return
        job, at, kind, keys, reason = flight
        sealed = self.sealer.result(job) if self.sealer is not None else sealed_inserts(*job)
        self._link_inserts(at, kind, keys, reason, job[0], sealed)

    def _link_inserts(self, at: str, kind: str, keys: list[str], reason: str | None,
                      salts: list[str], sealed: list[tuple[str, str, str]]) -> None:
        """The digest and link of each sealed ``insert`` entry, appended in order."""
        sha256, user, pending = hashlib.sha256, self.user, self.pending
        kind_json = _json_text(kind)
        head = f'{{"action":"insert","at":{_json_text(at)},"body":"'
        entry_id, prev = self.next_id, self.prev
        for key, salt, (changes_json, body, refs_json) in zip(keys, salts, sealed,
                                                             strict=True):
            # header_digest, written out for the batch
            digest = sha256(f'{head}{body}","id":{int.__repr__(entry_id)},"key":'
                            f'{_json_text(key)},"kind":{kind_json},"refs":{refs_json}}}'
                            .encode()).hexdigest()
            link = sha256((prev + digest).encode("ascii")).hexdigest()
            pending.append((entry_id, at, user, kind, key, "insert", changes_json, reason,
                            prev, link, salt, body))
            prev = link
            entry_id += 1
        self.next_id, self.prev = entry_id, prev

    def _salt(self) -> str:
        """A new entry's salt: 16 random bytes as hex, drawn from a pool filled 256 salts
        at a time (one call into the OS instead of one per entry; the same bytes)."""
        if self._pool_at >= len(self._pool):
            self._pool = os.urandom(16 * 256).hex()
            self._pool_at = 0
        at = self._pool_at
        self._pool_at = at + 32
        return self._pool[at:at + 32]

    def _seal_v2(self, at: str, kind: str, key: str, action: str, reason: str | None,
                 pairs: list[tuple[str, str, str]]) -> tuple[str, str, str]:
        """(hash, salt, body) of a version 2 entry: the same computation as
        :func:`body_of`, :func:`entry_digest` and :func:`link_hash` (docs/history-chain.md),
        in one pass over the leaves (:func:`sealed_body`)."""
        salt = self._salt()
        reason_json = self._reason_json.get(reason)
        if reason_json is None:
            reason_json = self._reason_json[reason] = canonical_value(reason)
        body, ref_parts = sealed_body(salt, self._user_json, reason_json, pairs,
                                      _REFS_JSON.get(kind, ()))
        digest = header_digest(action, at, body, self.next_id, key, kind,
                               f'{{{",".join(ref_parts)}}}')
        return hashlib.sha256((self.prev + digest).encode("ascii")).hexdigest(), salt, body

    def flush(self, settle: bool = True) -> None:
        """Write the pending entries, many rows per INSERT (fewer round trips than one
        statement per row); without ``settle``, a batch still being sealed is left for
        the next flush (its rows are written in the same transaction, later)."""
        if settle:
            self.settle()
        if not self.pending:
            return
        width = len(self.pending[0])
        limit = self.conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        per = max(1, min(1000, limit // width))
        head = ("INSERT INTO history (id, at, user, kind, key, action, changes, reason, prev, "
                f"hash{', salt, body' if width == 12 else ''}) VALUES ")
        one = "(" + ",".join("?" * width) + ")"
        for start in range(0, len(self.pending), per):
            rows = self.pending[start:start + per]
            self.execute(head + ", ".join([one] * len(rows)),
                         [value for row in rows for value in row])
        self.pending.clear()


def read_entries(conn: sqlite3.Connection, where: str = "",
                 params: tuple[Any, ...] = ()) -> Iterator[dict[str, Any]]:
    """The entries in order; chain version 2 entries carry their ``salt`` and ``body``."""
    salt = ", salt, body" if has_salt_column(conn) else ""
    sql = ("SELECT id, at, user, kind, key, action, changes, reason, prev, hash" + salt
           + f" FROM history {where} ORDER BY id")
    for row in conn.execute(sql, params):
        entry = {"id": row[0], "at": row[1], "user": row[2], "kind": row[3], "key": row[4],
                 "action": row[5], "changes": json.loads(row[6]), "reason": row[7],
                 "prev": row[8], "hash": row[9]}
        if salt:
            entry["salt"], entry["body"] = row[10], row[11]
        yield entry
