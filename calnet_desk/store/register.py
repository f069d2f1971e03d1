"""The register: one SQLite file in a folder, one writer, every change in the history."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any, cast

from ..paths import RegisterPaths
from ..progress import Progress
from ..records import (
    AGENCY_FIELDS,
    KINDS,
    Field,
    Kind,
    Record,
    UnknownKey,
    Value,
    order_problems,
)
from ..values import from_db, to_db
from . import schema
from .exceptions import RecordError, StoreError
from .history import (
    Clock,
    HistoryWriter,
    Sealer,
    canonical_value,
    diff,
    read_entries,
    utc_now,
)
from .keys import (
    LOOK_ALIKE,
    NOT_STORED,
    control_character,
    key_problem,
    lone_surrogate,
    look_alike_forms,
    look_alike_forms_many,
    nfc,
    unusual_characters,
)
from .location import Location, classify
from .lock import FileLocker, RegisterLocked, WriterLock, os_user
from .saved import SAVED
from .tracked import DOCUMENT_LINKS, delete_owned_rows, delete_row

AGENCY_KIND = "agency"
AGENCY_KEY = "agency"
BATCH = 1000  # records per write (and per progress report) in put_many
# Rows per INSERT statement: one statement per row would make the search triggers' FTS5
# table flush its pending index data at every row (its savepoint), many times slower.
ROWS_PER_STATEMENT = 1000
# The page cache of a bulk write (see Changes.start_background), in KiB as SQLite's negative
# cache_size: the history's index of hashes (random keys) and the search index's segments
# stay in memory instead of going out to the -wal and being read back (default: 2 MiB).
BULK_CACHE_KIB = 32 * 1024
_CONVERTED = ("list", "yesno")  # the field types whose stored form differs (values.to_db)
_COMPARISONS = {"=": "=", "!=": "IS NOT", ">=": ">="}  # records_where_any's terms


class NoRegister(StoreError):
    def __init__(self, root: Path) -> None:
        aside = _moved_aside(root)
        if aside is not None:
            super().__init__(
                f"no register database in {root}: it was moved, damaged, to {aside}. Restore "
                f"the newest good backup with: calnet-desk-cli --data-dir \"{root}\" restore "
                "(or `backups` to choose one); do not run init, which starts an empty one")
            return
        super().__init__(
            f"no register in {root}. Create one with: calnet-desk-cli --data-dir \"{root}\" "
            "init --agency NAME --agency-class non-exempt-state|exempt-state|non-state"
        )


def _moved_aside(root: Path) -> Path | None:
    """The newest folder a damaged database was moved to, if any."""
    try:
        found = sorted(p for p in root.glob("corrupt-*") if p.is_dir())
    except OSError:
        return None
    return found[-1] if found else None


def _backup_advice(paths: RegisterPaths) -> str:
    try:
        has = any(paths.backups.glob("*/register.sqlite3"))
    except OSError:
        has = False
    if not has:
        return ""
    return (f" If it should be this folder's register, restore a backup with: "
            f"calnet-desk-cli --data-dir \"{paths.root}\" restore (the file is kept aside)")


class RegisterExists(StoreError):
    pass


class TooNew(StoreError):
    pass


class NeedsUpgrade(StoreError):
    pass


class NotARegister(StoreError):
    pass


class NoFts5(StoreError):
    pass


def require_fts5() -> None:
    """Checked at every open: search and its triggers need SQLite's FTS5."""
    if not schema.fts5_available():
        raise NoFts5(schema.NO_FTS5_MESSAGE)


class Corrupt(StoreError):
    pass


class Unavailable(StoreError):
    """The register is there but cannot be used now: permission denied, read-only, held by
    another program, locked. Not damage: nothing is moved, nothing is changed."""


Locator = Callable[[Path], Location]
Probe = Callable[[Path, bool], None]


def probe_file(path: Path, write: bool) -> None:
    """Open the database file as SQLite is about to, so that a refusal shows as the OS error
    it is (permission denied, read-only, a Windows sharing violation) and not as damage."""
    with open(path, "r+b" if write else "rb"):
        pass


def unavailable(paths: RegisterPaths, e: BaseException, *, write: bool) -> Unavailable:
    from .errors import describe, what_to_do

    doing = "opened for changes" if write else "read"
    where = getattr(e, "filename", None) or paths.database
    reading = (" Reading may still work (list, show, verify)." if write and not
               isinstance(e, sqlite3.Error) else "")
    return Unavailable(
        f"the register in {paths.root} cannot be {doing}: {describe(e, where)}. This is "
        f"not damage: nothing was changed or moved. {what_to_do(e)}{reading}")


def _connect(path: Path, *, readonly: bool, wal: bool = True) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True,
                               isolation_level=None)
    else:
        # used by one thread at a time, but not always the one that opened it: a large
        # import's statements run on a thread of their own (see _Background)
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 5000")
        if not readonly:
            # WAL needs shared memory a network share does not give: rollback journal there.
            conn.execute(f"PRAGMA journal_mode = {'WAL' if wal else 'DELETE'}")
            conn.execute("PRAGMA synchronous = FULL")
    except BaseException:
        conn.close()
        raise
    return conn


def quick_check(conn: sqlite3.Connection) -> str | None:
    """SQLite's quick_check: None when sound, else what it found."""
    result = [str(r[0]) for r in conn.execute("PRAGMA quick_check")]
    return None if result == ["ok"] else "; ".join(result[:5])


def _corrupt(paths: RegisterPaths, problem: str, lock: WriterLock | None,
             locker: FileLocker | None, clock: Clock) -> Corrupt:
    """Move a damaged database aside (never delete it) and say what to do next, and what
    the backup to restore lacks compared with the file moved aside."""
    from .backups import compare_with_backup, move_corrupt_aside, newest_good_backup
    from .errors import reason

    held = lock
    left = "another program has the register open"
    if held is None:
        held = WriterLock(paths.lock, paths.lock_info, locker)
        try:
            held.acquire()
        except RegisterLocked:
            held = None
        except OSError as e:
            held, left = None, reason(e)
    aside = None
    try:
        if held is not None:
            try:
                aside = move_corrupt_aside(paths, clock)
            except OSError as e:
                left = reason(e)
    finally:
        if held is not None and held is not lock:
            held.release()
    good = newest_good_backup(paths.backups)
    kept = (f"It was moved, with its -wal and -shm files, to {aside} (nothing was deleted)."
            if aside else f"It was left in place ({left}).")
    advice = (f"Restore the newest good backup ({good.name}) with: calnet-desk-cli "
              f"--data-dir \"{paths.root}\" restore" if good else
              "No good backup was found in the register's backups folder; if you keep "
              "backups elsewhere, restore one with: calnet-desk-cli restore PATH")
    lacks = compare_with_backup(aside / paths.database.name if aside else paths.database,
                                good) if good else ""
    return Corrupt(f"the register database {paths.database} is damaged ({problem}). "
                   f"{kept} {advice}{'. ' + lacks if lacks else ''}")


def _finish_restore(paths: RegisterPaths, locker: FileLocker | None) -> None:
    """A restore was interrupted (killed between its renames): complete it, under the
    writer lock, before anything looks for the database."""
    from .workspace import finish_restore

    lock = WriterLock(paths.lock, paths.lock_info, locker)
    try:
        lock.acquire()
    except OSError as e:
        raise unavailable(paths, e, write=True) from e
    try:
        finish_restore(paths)
    except OSError as e:
        raise unavailable(paths, e, write=True) from e
    finally:
        lock.release()


class Register:
    """An open register. ``Register.open(root, write=True)`` holds the writer lock."""

    def __init__(self, paths: RegisterPaths, conn: sqlite3.Connection, *, writable: bool,
                 lock: WriterLock | None, clock: Clock, user: str) -> None:
        self.paths = paths
        self.conn = conn
        self._db: Any = None
        self.writable = writable
        self.lock = lock
        self.clock = clock
        self.user = user
        self._writing = False
        self._saving: str | None = None
        self.location = Location("local")
        self.warnings: list[str] = []
        conn.create_function(schema.WRITER_FUNCTION, 0, lambda: 1 if self._writing else 0,
                             deterministic=False)

    # --- opening -------------------------------------------------------------------

    @classmethod
    def create(cls, root: Path, *, agency: str, agency_class: str,
               billing_code: str | None = None, clock: Clock = utc_now,
               locker: FileLocker | None = None, locator: Locator | None = None) -> Register:
        paths = RegisterPaths(root)
        require_fts5()
        if paths.exists():
            raise RegisterExists(f"a register already exists in {root}; nothing was changed")
        from . import heads

        made_root = not root.exists()
        # what a refused or failed create takes away again: only what it made
        made = [p for p in (paths.lock, paths.lock_info, root / heads.HEADS, paths.temp)
                if not p.exists()]
        root.mkdir(parents=True, exist_ok=True)
        lock = WriterLock(paths.lock, paths.lock_info, locker)
        lock.acquire()
        try:
            if paths.exists():
                raise RegisterExists(f"a register already exists in {root}; nothing was changed")
            from .workspace import sweep, temp_dir

            sweep(paths)
            tmp = temp_dir(paths) / paths.database.name
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(str(tmp) + suffix).unlink(missing_ok=True)
            conn = _connect(tmp, readonly=False, wal=not (locator or classify)(root).shared)
            try:
                conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
                reg = cls(paths, conn, writable=True, lock=None, clock=clock, user=os_user())
                reg._migrate()
                with reg.transaction("register created") as tx:
                    tx.set_agency({"name": agency, "agency_class": agency_class,
                                   "billing_code": billing_code})
                heads.append(root, heads.current_head(conn), "restore")  # a new chain
            finally:
                conn.close()
            for suffix in ("-wal", "-shm"):
                Path(str(tmp) + suffix).unlink(missing_ok=True)
            tmp.replace(paths.database)  # the register appears whole or not at all
        except BaseException:
            kept: list[Path] = []
            if not paths.exists():  # not a register another create made meanwhile
                kept = _take_back(made)  # still under the lock: no other create has begun
            lock.release()
            if paths.lock in kept:  # Windows deletes no file open (ours was, until now);
                _take_back([paths.lock])  # one another create opens since stays there too
            if made_root:
                try:
                    root.rmdir()  # only if empty
                except OSError:
                    pass
            raise
        lock.release()
        return cls.open(root, write=True, clock=clock, locker=locker, locator=locator)

    @classmethod
    def open(cls, root: Path, *, write: bool = False, clock: Clock = utc_now,
             locker: FileLocker | None = None, locator: Locator | None = None,
             check: bool = True, probe: Probe = probe_file) -> Register:
        """Open a register: lock (for writing), check (quick_check; a corrupt database is
        moved aside; a file that cannot be opened is not corrupt and stays), refuse a newer
        schema, back up and migrate an older one."""
        from .errors import is_damage
        from .workspace import restore_pending

        paths = RegisterPaths(root)
        if restore_pending(paths):
            _finish_restore(paths, locker)
        if not paths.exists():
            raise NoRegister(root)
        require_fts5()
        location = (locator or classify)(root)
        lock = None
        if write:
            lock = WriterLock(paths.lock, paths.lock_info, locker)
            try:
                lock.acquire()
            except OSError as e:
                raise unavailable(paths, e, write=True) from e
        try:
            if write:
                from .workspace import sweep

                sweep(paths)  # what a killed writer left in temp/
                from .workspace import sweep_idle_backups

                sweep_idle_backups(paths)
            try:
                probe(paths.database, write)
            except OSError as e:
                raise unavailable(paths, e, write=write) from e
            conn: sqlite3.Connection | None = None
            try:
                conn = _connect(paths.database, readonly=not write, wal=not location.shared)
                # check=False: a second connection of a process that checked already, or
                # one whose caller runs quick_check behind its window; a file that is not
                # a database at all is still caught here, as damage
                problem = quick_check(conn) if check else None
                if not check:
                    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.DatabaseError as e:
                if conn is not None:
                    conn.close()
                if not is_damage(e):
                    raise unavailable(paths, e, write=write) from e
                conn, problem = None, str(e)
            if problem is not None:
                if conn is not None:
                    conn.close()
                raise _corrupt(paths, problem, lock, locker, clock)
            assert conn is not None
            reg = cls(paths, conn, writable=write, lock=lock, clock=clock, user=os_user())
            reg.location = location
            if location.shared:
                reg.warnings.append(location.warning(root))
            reg._check_identity()
            reg._check_schema()
            if write:
                reg._checkpoint_once()  # what a killed writer left only in the -wal
        except BaseException:
            if lock:
                lock.release()
            raise
        return reg

    def checkpoint(self, tries: int = 5) -> bool:
        """Copy every commit from the -wal into the main file (so deleting the -wal, as a
        sync or copy tool may, loses nothing), retrying while a reader pins a snapshot.
        True when the -wal is empty afterwards."""
        import time

        if not self.writable or self.conn.in_transaction:
            return False
        self.conn.execute("PRAGMA busy_timeout = 100")
        try:
            for attempt in range(tries):
                try:
                    busy, log, done = self.conn.execute(
                        "PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                except sqlite3.Error:
                    return False
                if not busy and (log == -1 or log == done):
                    return True
                if attempt + 1 < tries:
                    time.sleep(0.05 * (attempt + 1))
            return False
        finally:
            self.conn.execute("PRAGMA busy_timeout = 5000")

    def _checkpoint_once(self) -> None:
        try:
            # wal.run_checkpoint's one PASSIVE checkpoint; its result is not needed here, so
            # not its module either (nor its dataclass: the desktop's start, issue 16 item 15)
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:
            pass  # the next write command or the window's idle checkpoint tries again

    def close(self) -> None:
        if self.writable and self.lock is not None:
            self.checkpoint()  # after each write command: the main file holds every commit
        self.conn.close()
        if self.lock:
            self.lock.release()
            self.lock = None

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_identity(self) -> None:
        from .errors import is_damage

        try:
            app_id = self.conn.execute("PRAGMA application_id").fetchone()[0]
        except sqlite3.DatabaseError as e:
            if not is_damage(e):
                raise unavailable(self.paths, e, write=self.writable) from e
            raise NotARegister(f"{self.paths.database} is not a readable database ({e})") from e
        if app_id != schema.APPLICATION_ID:
            size = ""
            try:
                if self.paths.database.stat().st_size == 0:
                    size = " (it is empty: 0 bytes)"
            except OSError:
                pass
            raise NotARegister(f"{self.paths.database} is not a CALNET Desk register{size}; "
                               f"nothing was changed.{_backup_advice(self.paths)}")

    @property
    def db(self) -> Any:
        """sqlite-utils' view of the connection, made when first needed (migrations)."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn, execute_plugins=False)
        return self._db

    def applied_migrations(self) -> list[str]:
        try:
            rows = self.conn.execute("SELECT name FROM _sqlite_migrations WHERE "
                                     "migration_set = ? ORDER BY id", (schema.MIGRATION_SET,))
            return [r[0] for r in rows]
        except sqlite3.OperationalError:  # no migration has run yet
            return []

    def _check_schema(self) -> None:
        known_order = schema.known_migration_names()
        known = set(known_order)
        unknown = [n for n in self.applied_migrations() if n not in known]
        if unknown and self.writable:
            raise TooNew(
                f"{self.paths.database} was written by a newer CALNET Desk (schema changes "
                f"{', '.join(unknown)} are unknown to this version); it was not changed. "
                "Install the newer version, or open the register read-only."
            )
        applied = set(self.applied_migrations())
        pending = [n for n in known_order if n not in applied]
        later = [n for n in known_order[known_order.index(pending[0]):] if n in applied
                 ] if pending else []
        if later and not unknown:
            raise StoreError(
                f"{self.paths.database}: its record of schema changes lacks "
                f"{', '.join(pending)} while the later {', '.join(later)} is applied: the "
                "file was edited outside CALNET Desk. Nothing was changed and no upgrade was "
                "tried. Restore the newest good backup with: calnet-desk-cli --data-dir "
                f"\"{self.paths.root}\" restore")
        if pending and not unknown:
            if not self.writable:
                raise NeedsUpgrade(
                    f"{self.paths.database} needs an upgrade to this version's schema; open "
                    "it for writing once (any command that changes it) and it is upgraded, "
                    "after a backup."
                )
            import shutil

            from .backups import make_backup

            made = make_backup(self, "pre-migration")
            try:
                self._migrate()
            except sqlite3.Error as e:
                shutil.rmtree(made.path, ignore_errors=True)  # the same as the file: unneeded
                raise StoreError(
                    f"{self.paths.database} could not be upgraded ({e}): its record of "
                    "schema changes does not match its tables (edited outside CALNET Desk?). "
                    "Nothing was changed. Restore the newest good backup with: "
                    f"calnet-desk-cli --data-dir \"{self.paths.root}\" restore") from e

    def _migrate(self) -> None:
        with self._immediate():  # sqlite-utils' atomic() inside becomes a savepoint
            schema.migrations.apply(self.db)
            schema.install_triggers(self.db)

    @contextmanager
    def within(self, seconds: float) -> Iterator[None]:
        """SQLite's work on this connection inside the block is stopped once ``seconds`` have
        passed: the block then raises :class:`Interrupted`. For reads that may give up and be
        done again elsewhere (the first page's deadlines, ui.session)."""
        import time

        past = time.monotonic() + seconds
        # SQLite calls no progress handler while it waits for another connection's lock (a
        # register in a shared folder): that wait is held to the same time
        waits = self.conn.execute("PRAGMA busy_timeout").fetchone()[0]
        self.conn.execute(f"PRAGMA busy_timeout = {max(1, int(seconds * 1000))}")
        self.conn.set_progress_handler(lambda: time.monotonic() > past, 1000)
        try:
            yield
        except sqlite3.OperationalError as e:
            if "interrupt" not in str(e) and "locked" not in str(e):
                raise
            raise Interrupted(f"stopped after {seconds:g} s") from None
        finally:
            self.conn.set_progress_handler(None, 0)
            self.conn.execute(f"PRAGMA busy_timeout = {int(waits)}")

    @contextmanager
    def _immediate(self) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error; the guard triggers
        let writes through only inside it."""
        from .. import faults

        self.conn.execute("BEGIN IMMEDIATE")
        self._writing = True
        try:
            yield
            faults.point("commit")
            self.conn.execute("COMMIT")
            SAVED.append(self._saving or "a change")
            from . import heads

            heads.append(self.paths.root, heads.current_head(self.conn))
            faults.point("after-commit")
            # the main file holds the commit at once unless a reader pins an older snapshot
            # (then the end of the command, or the window's idle checkpoint, retries)
            self._checkpoint_once()
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        finally:
            self._writing = False

    # --- reading -------------------------------------------------------------------

    def agency(self) -> dict[str, Value]:
        row = self.conn.execute(
            "SELECT name, agency_class, billing_code FROM agency WHERE id = 1").fetchone()
        if row is None:
            return {f.name: None for f in AGENCY_FIELDS}
        return dict(zip([f.name for f in AGENCY_FIELDS], row, strict=True))

    def _rows(self, kind: Kind, where: str = "", params: tuple[Any, ...] = (),
              fields: Iterable[str] | None = None) -> Iterator[Record]:
        # only declared fields are named in the SQL, never text from outside
        chosen = (kind.fields if fields is None else [kind.by_name[n] for n in fields])
        names = [f.name for f in chosen]
        sql = (f"SELECT {', '.join(names)} FROM {kind.table} {where} "
               f"ORDER BY {', '.join(kind.key_names)}")
        # from_db returns the other types as stored (STRICT tables: text or integer)
        converted = [(f.name, f) for f in chosen if f.type in _CONVERTED]
        for row in self.conn.execute(sql, params):
            record: Record = dict(zip(names, row, strict=True))
            for name, f in converted:
                stored = record[name]
                if stored is not None:
                    record[name] = from_db(f, stored)
            yield record

    def records(self, kind: Kind, fields: Iterable[str] | None = None) -> list[Record]:
        """Every record of a kind in key order; with ``fields``, only those fields of each
        (reading 9 of the orders' 23 columns is half the time over 100,000 orders)."""
        return list(self._rows(kind, fields=fields))

    def records_where_any(self, kind: Kind, fields: Iterable[str],
                          conditions: Iterable[Iterable[tuple[str, str, Any]]],
                          unless: tuple[str, Value] | None = None) -> list[Record]:
        """The records of a kind (only ``fields``, in key order) that meet any of the
        conditions, each a group of terms that must all hold: ``(field, "present", None)``
        (not blank), ``(field, "blank", None)``, ``(field, "=", value)``, ``(field, "!=",
        value)`` (blank counts as different), ``(field, ">=", value)`` or ``(field, "in",
        values)``, values as stored; with ``unless=(field, value)``, none whose field holds
        that value. The checks pass over the records this leaves, so that a 100,000-order
        register is narrowed in SQLite, not in Python."""
        groups: list[str] = []
        params: list[Any] = []
        for group in conditions:
            terms: list[str] = []
            for name, op, value in group:
                column = kind.by_name[name].name  # a declared field, never outside text
                if op in ("present", "blank"):
                    terms.append(f"{column} IS {'NOT ' if op == 'present' else ''}NULL")
                    continue
                if op == "in":
                    terms.append(f"{column} IN (SELECT value FROM json_each(?))")
                    value = json.dumps(list(value))
                elif op in _COMPARISONS:
                    terms.append(f"{column} {_COMPARISONS[op]} ?")
                else:
                    raise ValueError(f"unknown condition {op!r}")
                params.append(value)
            groups.append(f"({' AND '.join(terms) or '1'})")
        where = f"WHERE ({' OR '.join(groups) or '0'})"
        if unless is not None:
            where += f" AND {kind.by_name[unless[0]].name} IS NOT ?"
            params.append(unless[1])
        return list(self._rows(kind, where, tuple(params), fields))

    def get(self, kind: Kind, key: str) -> Record | None:
        return next(self._rows(kind, *key_where(kind, key)), None)

    def count(self, kind: Kind) -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM {kind.table}").fetchone()[0])

    def keys(self, kind: Kind) -> set[str]:
        return {r[0] for r in self.conn.execute(
            f"SELECT {schema.key_sql(kind)} FROM {kind.table}")}

    def look_alike_keys(self, kind: Kind) -> list[tuple[str, str]]:
        """(key, twin): pairs of keys of a kind that look the same on screen, found when the
        register was upgraded to the look-alike rule (migration 0011) and both still there
        (new ones are refused). Reported by `list` and `verify`, never merged."""
        try:
            pairs = [(str(k), str(t)) for k, t in self.conn.execute(
                "SELECT key, twin FROM look_alike_keys WHERE kind = ? ORDER BY key",
                (kind.name,))]
        except sqlite3.OperationalError:  # a register read-only at an older schema
            return []
        if not pairs:
            return []
        keys = self.keys(kind)
        return [(k, t) for k, t in pairs if k in keys and t in keys]

    def exists(self, kind: Kind, key: str) -> bool:
        where, params = key_where(kind, key)
        return self.conn.execute(f"SELECT 1 FROM {kind.table} {where}",
                                 params).fetchone() is not None

    def keys_where(self, kind: Kind, field: str, value: Value) -> list[str]:
        """The keys of the records whose field holds this value, in key order."""
        name = kind.by_name[field].name  # a declared field, never text from outside
        return [str(r[0]) for r in self.conn.execute(
            f"SELECT {schema.key_sql(kind)} FROM {kind.table} WHERE {name} = ? "
            f"ORDER BY {', '.join(kind.key_names)}", (value,))]

    def distinct_values(self, kind: Kind, fields: Iterable[str]) -> set[Value]:
        """Every non-empty value held in these fields of a kind, as stored."""
        names = [kind.by_name[n].name for n in fields]
        if not names:
            return set()
        return {r[0] for r in self.conn.execute(" UNION ".join(
            f"SELECT {n} FROM {kind.table} WHERE {n} IS NOT NULL" for n in names))}

    def quick_check(self) -> str | None:
        """The database's own integrity check: None when sound, else what it found."""
        return quick_check(self.conn)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one state of the register (records, documents and history
        agree) although a writer goes on beside them."""
        began = not self.conn.in_transaction
        if began:
            self.conn.execute("BEGIN")
        try:
            yield
        finally:
            if began:
                self.conn.execute("COMMIT")

    # --- reading the history ---------------------------------------------------------

    def history(self, kind: str | None = None, key: str | None = None
                ) -> list[dict[str, Any]]:
        return list(self.iter_history(kind, key))

    def iter_history(self, kind: str | None = None, key: str | None = None
                     ) -> Iterator[dict[str, Any]]:
        """The entries, oldest first: all, of one kind, or of one record."""
        if kind is None:
            return read_entries(self.conn)
        if key is None:
            return read_entries(self.conn, "WHERE kind = ?", (kind,))
        return read_entries(self.conn, "WHERE kind = ? AND key = ?", (kind, key))

    def head(self) -> str:
        """The hash of the history's newest entry: the register's state (every change is
        an entry), so what is computed from it can be kept until the head moves."""
        from . import heads

        head = heads.current_head(self.conn)
        return f"{head.entries}:{head.hash}"

    def newest_entry_id(self) -> int:
        """The id of the newest history entry (0 for an empty history)."""
        row = self.conn.execute("SELECT max(id) FROM history").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def entries_between(self, after: int, last: int) -> list[dict[str, Any]]:
        """The history entries with ids after ``after`` up to ``last``, oldest first (one
        transaction's, when it wrote them all)."""
        return list(read_entries(self.conn, "WHERE id > ? AND id <= ?", (after, last)))

    def last_entry_id(self, kind: str, key: str) -> int | None:
        """The id of the newest history entry of one record (or tracked row)."""
        row = self.conn.execute("SELECT max(id) FROM history WHERE kind = ? AND key = ?",
                                (kind, key)).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def changed_since(self, day: str) -> set[tuple[str, str]]:
        """(kind, key) of every history entry made on or after an ISO date (UTC)."""
        return {(str(k), str(key)) for k, key in self.conn.execute(
            "SELECT DISTINCT kind, key FROM history WHERE substr(at, 1, 10) >= ?", (day,))}

    def rebuild_search(self) -> int:
        """Re-create the schema's triggers and refill the search index from the records
        (what verify advises when either is wrong); returns the index's size."""
        with self._immediate():
            schema.install_triggers(self.db)
            schema.rebuild_search_index(self.db)
        return int(self.conn.execute("SELECT count(*) FROM search_index").fetchone()[0])

    def first_entry_at(self) -> str | None:
        """The time ("at") of the history's first entry; None when it is empty."""
        row = self.conn.execute("SELECT min(at) FROM history").fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def first_change_at(self) -> dict[tuple[str, str], str]:
        """The time ("at") of the first history entry of every (kind, key)."""
        return {(str(kind), str(key)): str(at) for kind, key, at in self.conn.execute(
            "SELECT kind, key, MIN(at) FROM history GROUP BY kind, key")}

    def first_change_of(self, kind: str, keys: Iterable[str]) -> dict[str, str]:
        """The time ("at") of the first history entry of each of these keys of one kind
        (those that have one), through the history's (kind, key) index."""
        return {str(key): str(at) for key, at in self.conn.execute(
            "SELECT key, MIN(at) FROM history WHERE kind = ? AND key IN "
            "(SELECT value FROM json_each(?)) GROUP BY key", (kind, json.dumps(list(keys))))}

    def newest_change_by_key(self, kind: str) -> dict[str, str]:
        """The time ("at") of the newest entry of each key of one history kind."""
        return {str(key): str(at) for key, at in self.conn.execute(
            "SELECT key, max(at) FROM history WHERE kind = ? GROUP BY key", (kind,))}

    def newest_change_at(self, records: Iterable[tuple[str, str]] = (),
                         prefixes: Iterable[tuple[str, str]] = (),
                         kinds: Iterable[str] = ()) -> str | None:
        """The time of the newest entry about any of these (kind, key) pairs, any key of a
        kind starting with a prefix, or any entry of these kinds; None when there is none."""
        terms: list[str] = []
        params: list[Any] = []
        for kind, key in records:
            terms.append("(kind = ? AND key = ?)")
            params += [kind, key]
        for kind, prefix in prefixes:
            terms.append("(kind = ? AND substr(key, 1, ?) = ?)")
            params += [kind, len(prefix), prefix]
        kinds = list(kinds)
        if kinds:
            terms.append(f"kind IN ({', '.join('?' * len(kinds))})")
            params += kinds
        if not terms:
            return None
        row = self.conn.execute(f"SELECT max(at) FROM history WHERE {' OR '.join(terms)}",
                                params).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def referrers(self, kind: Kind, key: str) -> list[tuple[Kind, str]]:
        """The records whose reference fields name this one."""
        found: list[tuple[Kind, str]] = []
        for other in KINDS.values():
            for f in other.fields:
                if f.references == kind.name:
                    for (k,) in self.conn.execute(
                            f"SELECT {schema.key_sql(other)} FROM {other.table} "
                            f"WHERE {f.name} = ? ORDER BY {', '.join(other.key_names)}",
                            (key,)):
                        found.append((other, k))
        return found

    # --- writing -------------------------------------------------------------------

    @contextmanager
    def transaction(self, reason: str | None = None) -> Iterator[Changes]:
        """One ``BEGIN IMMEDIATE`` transaction; every change in it lands in the history."""
        if not self.writable:
            raise StoreError("the register is open read-only")
        problem = lone_surrogate(reason) if reason else None
        if problem:
            raise RecordError(f"the reason given {problem}; {NOT_STORED}")
        self._saving = reason
        with self._immediate():
            changes = Changes(self, reason)
            try:
                yield changes
            except BaseException:  # the writes thread ends before the rollback
                changes.end_background(quiet=True)
                raise
            changes.end_background()
            changes.history.flush()
            changes.restore_guards()  # never committed without them


class Changes:
    """The writes of one transaction. Obtain it from :meth:`Register.transaction`."""

    def __init__(self, register: Register, reason: str | None) -> None:
        self.register = register
        self.conn = register.conn
        self.reason = reason
        self.history = HistoryWriter(register.conn, register.user, register.clock)
        self.history.execute = self._execute
        self._background: _Background | None = None
        self._lifted: list[str] = []  # the SQL of guard triggers lifted (restore_guards)
        self._cache_size: int | None = None  # the page cache before a bulk write

    def set_agency(self, values: dict[str, Value]) -> None:
        old = self.register.agency() if self._agency_exists() else None
        new: Record = dict(old or {})
        new.update({k: v for k, v in values.items() if k in {f.name for f in AGENCY_FIELDS}})
        for f in AGENCY_FIELDS:
            if f.required and new.get(f.name) in (None, ""):
                raise RecordError(f"agency: {f.label} is required")
            value = new.get(f.name)
            if isinstance(value, str) and value != (old or {}).get(f.name):
                problem = lone_surrogate(value)
                if problem:
                    raise RecordError(f"agency: {f.label} {problem}; {NOT_STORED}")
                problem = control_character(value)
                if problem:  # it would print raw and break bag-info.txt's lines
                    raise RecordError(f"agency: {f.label} {problem}; nothing was written")
            if f.choices and new.get(f.name) not in f.choices:
                raise RecordError(f"agency: {f.label} must be one of {'|'.join(f.choices)}")
        changes = diff({k: v for k, v in (old or {}).items() if v is not None},
                       {k: v for k, v in new.items() if v is not None})
        if not changes:
            return
        self.conn.execute(
            "INSERT INTO agency (id, name, agency_class, billing_code) VALUES (1, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
            "agency_class = excluded.agency_class, billing_code = excluded.billing_code",
            (new.get("name"), new.get("agency_class"), new.get("billing_code")))
        self.history.append(AGENCY_KIND, AGENCY_KEY, "update" if old else "insert", changes,
                            self.reason)

    def _agency_exists(self) -> bool:
        return self.conn.execute("SELECT 1 FROM agency WHERE id = 1").fetchone() is not None

    def put(self, kind: Kind, record: Record,
            complete: Callable[[Record], None] | None = None) -> str:
        """Insert or update one record; returns insert, update or unchanged."""
        counts = self.put_many(kind, [record], complete=complete)
        return next(action for action, n in counts.items() if n)

    def put_many(self, kind: Kind, records: Iterable[Record],
                 progress: Progress | None = None, total: int = 0,
                 complete: Callable[[Record], None] | None = None,
                 background: bool = False, sealer: Sealer | None = None
                 ) -> dict[str, int]:
        """Upsert records by key. Fields absent from a record keep their stored value;
        a field present as None is emptied. Unchanged records write nothing. ``complete``
        sees each record as it is about to be written (its stored values with the new ones
        over them) and may fill it in, in place (an order takes its catalog item's status).
        With ``background``, many records are written on a thread of their own while the
        next are prepared (see :meth:`start_background`); ``complete`` must then not read
        the register. With a ``sealer``, the new records' history entries are sealed in its
        process while the next are checked (:class:`history.Sealer`)."""
        records = list(records)
        upsert = Upsert(self, kind, progress, total or len(records), complete=complete,
                        load_all=len(records) > 64, keys=records, background=background,
                        sealer=sealer)
        upsert.add(records)
        return upsert.finish()

    def upsert(self, kind: Kind, progress: Progress | None = None, total: int = 0,
               complete: Callable[[Record], None] | None = None,
               background: bool = False, sealer: Sealer | None = None) -> Upsert:
        """:meth:`put_many` in parts, for records that arrive in batches (a large import
        writing while it reads): ``add`` each batch, then ``finish``. The batches must not
        repeat a key (each record is compared with the register as it was before)."""
        return Upsert(self, kind, progress, total, complete=complete, load_all=True,
                      keep=False, background=background, sealer=sealer)

    def _execute(self, sql: str, params: list[object]) -> None:
        if self._background is not None:
            self._background.run(sql, params)
        else:
            self.conn.execute(sql, params)

    def start_background(self, kind: Kind) -> None:
        """Run this transaction's next statements on a thread of their own, in order
        (SQLite releases the GIL while it works, so the caller parses and seals the next
        records meanwhile), until :meth:`end_background`. The guards of the kind's table
        (a trigger per row calling back into Python) are lifted meanwhile: inside CALNET
        Desk's own transaction, which holds the write lock, and put back before it
        commits (a rollback puts them back too)."""
        if self._background is not None:
            return
        for op in ("insert", "update"):
            name = f"{kind.table}_guard_{op}"
            row = self.conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                                    "AND name = ?", (name,)).fetchone()
            if row is not None:
                self.conn.execute(f'DROP TRIGGER "{name}"')
                self._lifted.append(row[0])
        self._cache_size = int(self.conn.execute("PRAGMA cache_size").fetchone()[0])
        self.conn.execute(f"PRAGMA cache_size = {-BULK_CACHE_KIB}")
        self._background = _Background(self.conn, kind.name)

    def settle(self) -> None:
        """Wait for the statements queued on the writes thread (before the connection is
        used here); raises what one of them raised."""
        if self._background is not None:
            self._background.wait()

    def end_background(self, quiet: bool = False) -> None:
        """Wait for the writes thread and end it; raises what one of its statements
        raised, unless ``quiet`` (the transaction is failing already)."""
        background, self._background = self._background, None
        if background is not None:
            background.close(quiet)
        if self._cache_size is not None:  # a pragma: not undone by a rollback
            self.conn.execute(f"PRAGMA cache_size = {self._cache_size}")
            self._cache_size = None

    def restore_guards(self) -> None:
        for sql in self._lifted:
            self.conn.execute(sql)
        self._lifted.clear()

    def _write_batch(self, kind: Kind, batch: list[Sequence[object]],
                     settle: bool = True) -> None:
        """Upsert the rows (several per statement), then write their history entries
        (without ``settle``, those of a batch still being sealed are written later)."""
        if not batch:
            return
        cols = kind.columns
        limit = self.conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        per = max(1, min(ROWS_PER_STATEMENT, limit // len(cols)))
        one = f"({', '.join('?' * len(cols))})"
        head = f"INSERT INTO {kind.table} ({', '.join(cols)}) VALUES "
        keys = kind.key_names
        tail = (f" ON CONFLICT({', '.join(keys)}) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in cols if c not in keys))
        try:
            for start in range(0, len(batch), per):
                rows = batch[start:start + per]
                self._execute(head + ", ".join([one] * len(rows)) + tail,
                              [value for row in rows for value in row])
        except sqlite3.IntegrityError as e:
            raise RecordError(f"{kind.name}: {e}; nothing was written") from e
        batch.clear()
        self.history.flush(settle)

    def _check(self, kind: Kind, record: Record) -> None:
        _Checks(self, kind)(record)

    def _exists(self, kind: Kind, key: str) -> bool:
        return self.register.exists(kind, key)

    def delete(self, kind: Kind, key: str) -> None:
        old = self.register.get(kind, key)
        if old is None:
            raise RecordError(f"no {kind.singular} {key} in the register")
        referrers = self.register.referrers(kind, key)
        if referrers:
            names = ", ".join(f"{k.singular} {r}" for k, r in referrers[:10])
            more = f" and {len(referrers) - 10} more" if len(referrers) > 10 else ""
            raise RecordError(
                f"{kind.singular} {key} is referred to by {names}{more}; change those first. "
                "Nothing was deleted.")
        for (sha,) in self.conn.execute("SELECT sha256 FROM document_links WHERE kind = ? AND "
                                        "key = ? ORDER BY sha256", (kind.name, key)).fetchall():
            # the link goes; the document itself stays in the register
            delete_row(self, DOCUMENT_LINKS, {"sha256": sha, "kind": kind.name, "key": key})
        delete_owned_rows(self, kind.name, key)  # e.g. an exemption's IPR calculation
        where, params = key_where(kind, key)
        self.conn.execute(f"DELETE FROM {kind.table} {where}", params)
        self.history.append(kind.name, key, "delete", diff(_nonempty(old), None), self.reason)


class _Background:
    """A transaction's statements run in order on a thread of their own. Only one thread
    uses the connection at a time: the caller queues statements and waits for them all
    (:meth:`wait`, :meth:`close`) before it uses the connection itself."""

    def __init__(self, conn: sqlite3.Connection, kind: str) -> None:
        import queue  # only a bulk write's (not on the desktop's way to its first page)

        self.conn = conn
        self.kind = kind
        self.jobs: queue.Queue[tuple[str, list[object]] | None] = queue.Queue(maxsize=8)
        self.error: BaseException | None = None  # raised once, on the caller's thread
        self.failed = False
        self.thread = threading.Thread(target=self._work, name="calnet-desk-writes",
                                       daemon=True)
        self.thread.start()

    def _work(self) -> None:
        while True:
            job = self.jobs.get()
            try:
                if job is None:
                    return
                if not self.failed:  # after an error the rest is skipped: rolled back
                    self.conn.execute(*job)
            except BaseException as e:
                self.error, self.failed = e, True
            finally:
                self.jobs.task_done()

    def run(self, sql: str, params: list[object]) -> None:
        self._raise()
        self.jobs.put((sql, params))

    def wait(self) -> None:
        self.jobs.join()
        self._raise()

    def close(self, quiet: bool = False) -> None:
        self.jobs.put(None)
        self.thread.join()
        if not quiet:
            self._raise()

    def _raise(self) -> None:
        e = self.error
        if e is None:
            return
        self.error = None
        if isinstance(e, sqlite3.IntegrityError):
            raise RecordError(f"{self.kind}: {e}; nothing was written") from e
        raise e


class Interrupted(Exception):
    """Work stopped by :meth:`Register.within` when its time was up."""


def _take_back(made: list[Path]) -> list[Path]:
    """What a create that did not finish made (the lock file, the heads file, the temp
    folder with the half-made database), taken away while it still holds the lock (another
    create that tries meanwhile is told the register is in use, and one after it makes a
    new lock file): a refused ``init`` leaves the folder as it found it. Best effort: what
    cannot be removed stays (Windows keeps a file open elsewhere; a later ``init`` there
    sweeps it). Returns what stayed."""
    from .workspace import remove_path

    kept = []
    for path in made:
        try:
            remove_path(path)
        except FileNotFoundError:
            pass
        except OSError:
            kept.append(path)
    return kept


def key_where(kind: Kind, key: str) -> tuple[str, tuple[str, ...]]:
    """The WHERE clause (and its parameters) of the record a key text names; a text naming
    no record of a composite kind (no separator), or holding a lone surrogate (no stored
    text does; SQLite's binding would raise), matches nothing."""
    try:
        values = kind.key_values(key)
    except UnknownKey:
        return "WHERE 0", ()
    if lone_surrogate(key):
        return "WHERE 0", ()
    return "WHERE " + " AND ".join(f"{n} = ?" for n in values), tuple(values.values())


class Upsert:
    """The writing of :meth:`Changes.put_many`, kept between batches of records."""

    def __init__(self, changes: Changes, kind: Kind, progress: Progress | None, total: int,
                 *, load_all: bool, keys: list[Record] | None = None, keep: bool = True,
                 complete: Callable[[Record], None] | None = None,
                 background: bool = False, sealer: Sealer | None = None) -> None:
        self.changes = changes
        if sealer is not None:  # the history seals its batches of new records there
            changes.history.sealer = sealer
        self.kind = kind
        self.progress = progress
        self.total = total
        self.keep = keep  # remember each record written (a later one may repeat its key)
        self.complete = complete
        key_of = kind.record_key
        register = changes.register
        self.existing: dict[str, Record] = {}
        if not load_all:  # an edit: fetch just these; an import: read the kind once
            for r in keys or ():
                if kind.key_problem(r) is None:
                    old_row = register.get(kind, key_of(r))
                    if old_row is not None:
                        self.existing[key_of(old_row)] = old_row
        else:
            self.existing = {key_of(r): r for r in register._rows(kind)}
        self.counts = {"insert": 0, "update": 0, "unchanged": 0}
        self.defaults = {f.name: f.default for f in kind.fields}
        # The fields in a diff's (sorted) order, with their column positions and their
        # names as JSON text: the changes are written straight as their canonical JSON.
        self.in_order = sorted((f.name, i, canonical_value(f.name))
                               for i, f in enumerate(kind.fields))
        self.converted = [(i, f) for i, f in enumerate(kind.fields) if f.type in _CONVERTED]
        self.lists = [f.name for f in kind.fields if f.type == "list"]
        self.check = _Checks(changes, kind)
        self.background = background
        self.batch: list[Sequence[object]] = []
        self.done = 0
        self.folds: dict[str, str] | None = None  # look-alike form -> key, at the first new key
        # new records checked but not yet turned into rows and entries (a batch at a time)
        self.fresh: list[Record] = []
        self.fresh_keys: list[str] = []
        # a record's values in column order, as a tuple
        self.values_of: Callable[[Record], tuple[Any, ...]] = (
            itemgetter(*kind.columns) if len(kind.columns) > 1
            else lambda r: (r[kind.columns[0]],))

    def add(self, records: Iterable[Record]) -> None:
        changes, kind = self.changes, self.kind
        key_of = kind.record_key
        key_name = kind.key_names[0] if len(kind.key_names) == 1 else None
        names = kind.columns
        existing, in_order, converted = self.existing, self.in_order, self.converted
        defaults, check, batch, counts = self.defaults, self.check, self.batch, self.counts
        history, reason, progress = changes.history, changes.reason, self.progress
        complete, fresh, fresh_keys = self.complete, self.fresh, self.fresh_keys
        lists = self.lists
        as_json = canonical_value
        width = len(in_order)
        # the look-alike forms of the keys these records name, mapped together (a key that
        # NFC changes, or a composite one, is mapped when it is met)
        forms: dict[str, tuple[str, str]] = {}
        # every text of these records ASCII (so NFC changes none), checked at once
        ascii_only = isinstance(records, list) and "".join(
            [v for r in records for v in r.values() if type(v) is str]).isascii()
        if key_name is not None and isinstance(records, list):
            named = [k for k in (r.get(key_name) for r in records)
                     if type(k) is str and k not in existing]
            forms = dict(zip(named, look_alike_forms_many(named), strict=True))
        for record in records:
            if key_name is not None:  # kind.key_problem and record_key, inlined
                key = record.get(key_name)
                if type(key) is not str or not key:
                    raise RecordError(f"{kind.name}: {kind.key_problem(record)}")
            else:
                problem = kind.key_problem(record)
                if problem:
                    raise RecordError(f"{kind.name}: {problem}")
            if not ascii_only:
                texts = "".join([v for v in record.values() if type(v) is str])
                if not texts.isascii():
                    if lone_surrogate(texts):  # SQLite's binding would raise it raw
                        _refuse_lone_surrogate(kind, record)
                    record = {k: nfc(v) if isinstance(v, str) else v
                              for k, v in record.items()}
            for name in lists:
                items = record.get(name)
                if items and type(items) is list and lone_surrogate("".join(map(str, items))):
                    _refuse_lone_surrogate(kind, record)
            # record_key: a single key field's text as it is (a str, checked above)
            key = cast(str, record[key_name]) if key_name is not None else key_of(record)
            old = existing.get(key)
            if old is None:
                if self.folds is None:
                    changes.settle()
                    self.folds = {}
                    keys = [*changes.register.keys(kind), *map(str, existing)]
                    for k, both in zip(keys, look_alike_forms_many(keys), strict=True):
                        for form in both:
                            self.folds.setdefault(form, k)
                _check_new_key(kind, key, self.folds, forms.get(key))
            new = dict(defaults if old is None else old)
            new.update(record)
            if complete is not None:
                complete(new)
            check(new)
            # diff(_nonempty(old), _nonempty(new)) as (field, old, new) canonical JSON texts
            # in field order, knowing that new has every key of old, and the row to write,
            # in one pass over the fields
            pairs: list[tuple[str, str, str]] = []
            if len(new) != width:  # a key beyond the fields would not be stored
                unknown = sorted(set(new) - set(names))
                raise RecordError(f"{kind.singular} {key}: unknown field(s) "
                                  f"{', '.join(unknown)}; nothing was written")
            self.done += 1
            if old is None:  # its row and entry are made with the batch's (_add_fresh)
                fresh.append(new)
                fresh_keys.append(key)
                counts["insert"] += 1  # a new record has its key: never unchanged
                if self.keep:
                    existing[key] = new
            else:
                row: list[object] = [None] * width
                for name, i, json_name in in_order:
                    a, b = old.get(name), new[name]
                    row[i] = b
                    if a != b or type(a) is not type(b):
                        pairs.append((json_name, as_json(a), as_json(b)))
                if not pairs:
                    counts["unchanged"] += 1
                else:
                    counts["update"] += 1
                    for i, f in converted:
                        if row[i] is not None:
                            row[i] = to_db(f, new[f.name])
                    self._add_fresh()  # the rows and entries stay in the records' order
                    batch.append(row)
                    history.append_json(kind.name, key, "update",
                                        "{" + ",".join([f"{n}:[{a},{b}]"
                                                        for n, a, b in pairs]) + "}",
                                        reason, pairs)
                    if self.keep:
                        existing[key] = new
            if len(batch) + len(fresh) >= BATCH:
                self._add_fresh()
                if self.background:
                    changes.start_background(kind)
                changes._write_batch(kind, batch, settle=False)
            if progress and self.done % BATCH == 0:
                # a total of 0 is unknown (a bar shows it is busy); an estimate that
                # fell short is raised to what is done
                progress(self.done, max(self.total, self.done) if self.total else 0)

    def _add_fresh(self) -> None:
        """The rows and history entries of the new records held (see :meth:`add`): their
        values taken a column at a time, each written as canonical JSON, then sealed
        together (:meth:`HistoryWriter.append_inserts`)."""
        fresh = self.fresh
        if not fresh:
            return
        columns: list[Sequence[Any]] = list(zip(*map(self.values_of, fresh), strict=True))
        texts = [_json_texts(columns[i]) for _name, i, _json in self.in_order]
        stored = list(columns)
        for i, f in self.converted:
            stored[i] = [None if v is None else to_db(f, v) for v in columns[i]]
        self.batch.extend(zip(*stored, strict=True))
        self.changes.history.append_inserts(
            self.kind.name, self.fresh_keys, self.changes.reason,
            [json_name for _name, _i, json_name in self.in_order], texts)
        fresh.clear()
        self.fresh_keys.clear()

    def finish(self) -> dict[str, int]:
        self._add_fresh()
        self.changes._write_batch(self.kind, self.batch)  # the last batch sealed too
        self.changes.history.settle()  # a batch still in the sealer, linked from its answer
        self.changes.history.sealer = None
        self.changes.end_background()
        self.changes.restore_guards()
        if self.progress:
            self.progress(self.done, self.done)  # all done
        from .. import faults

        faults.point("import-batch")
        return self.counts


def _json_texts(values: Sequence[Any]) -> list[str | None]:
    """Each value as canonical JSON, None for None: a column of one type of text, whole
    number or yes/no (and blanks) by a table of its distinct values; any other column value
    by value (1 == 1.0 == True, 0.0 == -0.0 would merge distinct values in a table, and a
    NaN is not found in one)."""
    types = set(map(type, values))
    types.discard(type(None))
    if len(types) == 1:
        text_of = _JSON_OF.get(types.pop())
        if text_of is not None:
            table = {v: text_of(v) for v in set(values) if v is not None}
            return list(map(table.get, values))
    return [None if v is None else canonical_value(v) for v in values]


# how canonical_value writes a str, an int and a bool (the one-type columns of _json_texts)
_JSON_OF: dict[type, Callable[[Any], str]] = {
    str: json.encoder.encode_basestring, int: int.__repr__,
    bool: {True: "true", False: "false"}.__getitem__}


def _refuse_lone_surrogate(kind: Kind, record: Record) -> None:
    """Raise RecordError naming the record and the first field whose text cannot be stored
    (keys.lone_surrogate)."""
    from .errors import printable

    for f in kind.fields:
        value = record.get(f.name)
        text = "".join(map(str, value)) if isinstance(value, list) else value
        problem = lone_surrogate(text) if isinstance(text, str) else None
        if problem:
            raise RecordError(f"{kind.singular} {printable(kind.record_key(record))}: "
                              f"{f.label} {problem}; {NOT_STORED}")


def _check_new_key(kind: Kind, key: str, folds: dict[str, str],
                   forms: tuple[str, str] | None = None) -> None:
    """A new key: no invisible characters, and not the look-alike of a key already there
    (``forms``: its :func:`look_alike_forms`, when already known)."""
    problem = key_problem(key)
    if problem:
        from .errors import printable  # (imported when a key is refused: not per key)

        raise RecordError(f"{kind.singular} {printable(key)}: the {kind.key_label} {problem}; "
                          "nothing was written")
    if forms is None:
        forms = look_alike_forms(key)
    for form in forms:
        twin = folds.get(form)
        if twin is not None and twin != key:
            from .errors import printable

            raise RecordError(
                f"{kind.singular} {printable(key)}{unusual_characters(key)} looks the same "
                f"as {kind.singular} {printable(twin)}{unusual_characters(twin)} already in "
                f"the register ({LOOK_ALIKE}); use that key, or one that looks different. "
                "Nothing was written")
    for form in forms:
        folds[form] = key


class _Checks:
    """The checks of records of one kind before they are written (required fields,
    choices, references), with the constrained fields picked once and every reference
    found in the register remembered: within one put_many nothing is deleted."""

    def __init__(self, changes: Changes, kind: Kind) -> None:
        def exists(target: Kind, key: str) -> bool:
            changes.settle()  # the writes thread, if any, is done with the connection
            return changes._exists(target, key)

        self.exists = exists
        self.kind = kind
        self.rules = [(f, KINDS[f.references] if f.references else None)
                      for f in kind.fields
                      if f.required or f.choices or f.references or f.minimum is not None]
        self.found: set[tuple[str, str]] = set()
        self.ordered = any(f.later_than for f in kind.fields)

    def __call__(self, record: Record) -> None:
        kind = self.kind
        if self.ordered:
            for _name, problem in order_problems(kind, record):
                raise RecordError(f"{kind.singular} {kind.record_key(record)}: {problem}; "
                                  "nothing was written")
        for f, target in self.rules:
            v = record.get(f.name)
            if v is None:
                if f.required:
                    key = kind.record_key(record)
                    raise RecordError(f"{kind.singular} {key}: {f.label} is required")
                continue
            if f.choices and v not in f.choices:
                key = kind.record_key(record)
                raise RecordError(
                    f"{kind.singular} {key}: {f.label} must be one of {'|'.join(f.choices)}")
            if f.minimum is not None and isinstance(v, int) and v < f.minimum:
                key = kind.record_key(record)
                raise RecordError(f"{kind.singular} {key}: {f.label} must be at least "
                                  f"{f.minimum}, not {v}")
            if target is not None:
                ref = (target.name, str(v))
                if ref not in self.found:
                    if not self.exists(target, ref[1]):
                        key = kind.record_key(record)
                        raise RecordError(
                            f"{kind.singular} {key}: {f.label} {v} is not in the register")
                    self.found.add(ref)


def _nonempty(record: Record | None) -> Record | None:
    if record is None:
        return None
    return {k: v for k, v in record.items() if v is not None}


def field_of(kind: Kind, name: str) -> Field:
    return kind.by_name[name]


def today_local() -> dt.date:
    return dt.date.today()
