"""Backups, thinning, restore and recovery.

A backup folder holds ``<UTC stamp>-<reason>/register.sqlite3`` (made with SQLite's backup
API, never a file copy) and ``manifest.json``; the documents it references are kept once,
content-addressed, in ``documents/`` beside the backup folders. Automatic backups are
thinned to 7 daily, 4 weekly and 12 monthly (rule set: retention, below).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..paths import RegisterPaths
from ..progress import Cancelled, IsCancelled, Progress
from .exceptions import StoreError
from .handles import OpenRegister
from .history import GENESIS, Clock, entry_hash, read_entries, utc_now
from .lock import WriterLock
from .workspace import BACKUP_LOCK

# Retention: design choice (DOMAIN.md "Nothing is lost"), not policy: a week of dailies, a
# month of weeklies, a year of monthlies.
KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY = 7, 4, 12
THINNED_REASONS = ("daily", "manual")
_NAME = re.compile(r"(\d{8}T\d{6}Z)-([a-z-]+?)(?:-(\d+))?")


class BackupError(StoreError):
    pass


@dataclass(frozen=True)
class Backup:
    path: Path
    created: dt.datetime
    reason: str

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def database(self) -> Path:
        return self.path / "register.sqlite3"

    @property
    def documents(self) -> Path:
        return self.path.parent / "documents"

    def manifest(self) -> dict[str, Any]:
        try:
            data = json.loads((self.path / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def as_dict(self) -> dict[str, Any]:
        m = self.manifest()
        size = self.database.stat().st_size if self.database.exists() else 0
        return {"name": self.name, "path": str(self.path), "reason": self.reason,
                "created": self.created.strftime("%Y-%m-%dT%H:%M:%SZ"), "size": size,
                "history_entries": m.get("history_entries"),
                "documents": len(m.get("documents", []))}


def _document_shas(conn: sqlite3.Connection) -> list[str]:
    """The documents a database references (none before schema 0002)."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'documents'").fetchone():
        return []
    return [r[0] for r in conn.execute("SELECT sha256 FROM documents ORDER BY sha256")]


def list_backups(folder: Path) -> list[Backup]:
    """Complete backups in a folder, newest first (partial ones start with a dot)."""
    found = []
    if not folder.is_dir():
        return []
    for child in folder.iterdir():
        m = _NAME.fullmatch(child.name)
        if m and (child / "register.sqlite3").is_file():
            created = dt.datetime.strptime(m[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
            found.append(Backup(child, created, m[2]))
    return sorted(found, key=lambda b: (b.created, b.name), reverse=True)


def _copy_verified(src: Path, dest: Path, sha256: str, temp: Path | None = None) -> None:
    """Copy a document, checking its hash on the way; replace only when it matches. The
    copy is made in ``temp`` (the register's temp folder, swept after a crash) when given."""
    import hashlib

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = (temp / f"copy-{sha256}" if temp else dest.with_name(dest.name + ".partial"))
    digest = hashlib.sha256()
    try:
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            while chunk := fin.read(1 << 20):
                digest.update(chunk)
                fout.write(chunk)
            fout.flush()
            os.fsync(fout.fileno())
        if digest.hexdigest() != sha256:
            raise BackupError(f"document {sha256[:12]}… in {src.parent} does not match its "
                              "hash; run verify")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


class BackupBusy(BackupError):
    pass


BACKUP_WAIT = 120.0  # seconds a backup waits for another one to finish (design choice)


def _partial_tag(paths: RegisterPaths) -> str:
    """What names this register's backups in the making in a folder outside it (backup
    --to): a killed one is removed by this register's next backup there (backups of one
    register run one at a time), while another register's backup running into the same
    folder keeps its own."""
    import hashlib

    return hashlib.sha256(str(paths.root.resolve()).encode("utf-8")).hexdigest()[:12]


class _BackupLock:
    """Backups of one register run one at a time (an OS lock, released by a crash)."""

    def __init__(self, paths: RegisterPaths, wait: float = BACKUP_WAIT) -> None:
        self.path = paths.root / BACKUP_LOCK
        self.wait = wait
        self.fd: int | None = None

    def __enter__(self) -> _BackupLock:
        import time

        from .lock import default_locker

        locker = default_locker()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.wait
        while not locker.try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                raise BackupBusy("another backup of this register is still running; "
                                 "nothing was made. Try again when it has finished.")
            time.sleep(0.05)
        self.fd, self.locker = fd, locker
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            try:
                self.locker.unlock(self.fd)
            finally:
                os.close(self.fd)
                self.fd = None


def _check_database(database: Path) -> list[str]:
    """Integrity, identity and history chain of a backup's database."""
    from .schema import APPLICATION_ID

    try:
        conn = sqlite3.connect(database.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error as e:
        return [f"cannot open: {e}"]
    try:
        result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            return [f"integrity check: {'; '.join(map(str, result[:5]))}"]
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            return ["not a CALNET Desk register"]
        prev, expected = GENESIS, 1
        for entry in read_entries(conn):
            if entry["id"] != expected or entry["prev"] != prev or \
                    entry_hash(entry) != entry["hash"]:
                return [f"history chain broken at entry {entry['id']}"]
            prev, expected = entry["hash"], expected + 1
    except (sqlite3.DatabaseError, ValueError) as e:
        return [f"unreadable: {e}"]
    finally:
        conn.close()
    return []


def make_backup(reg: OpenRegister, reason: str, folder: Path | None = None,
                clock: Clock | None = None,
                progress: Progress | None = None,
                cancelled: IsCancelled | None = None) -> Backup:
    made = _make_backup(reg, reason, folder, clock, progress, cancelled)
    assert made is not None
    return made


def _make_backup(reg: OpenRegister, reason: str, folder: Path | None = None,
                 clock: Clock | None = None,
                 progress: Progress | None = None,
                 cancelled: IsCancelled | None = None,
                 only_if_none_today: bool = False) -> Backup | None:
    """Back the register up (database and the documents it references). Backups run one
    at a time; each gets a name no other has; it is published (renamed into place) only
    after its database passed integrity and chain checks. Progress counts documents; a
    cancel or a failure leaves no partial backup behind. With only_if_none_today, None when
    the folder has a backup of today already (the daily backup, raced by two commands)."""
    from .. import faults
    from .workspace import BACKUP_PREFIX, sweep, temp_dir

    root = folder or reg.paths.backups
    own = folder is None
    root.mkdir(parents=True, exist_ok=True)
    with _BackupLock(reg.paths):
        now = (clock or reg.clock)().astimezone(dt.UTC)
        if only_if_none_today and backed_up_today(root, lambda: now):
            return None
        mine = _partial_tag(reg.paths)
        if own:
            sweep(reg.paths, backups=True)  # a killed backup's leftovers (we hold the lock)
        else:  # this register's killed backups into that folder, never another's
            for old in root.glob(f".*.{mine}.partial"):
                shutil.rmtree(old, ignore_errors=True)
        base = f"{now.strftime('%Y%m%dT%H%M%SZ')}-{reason}"
        name, n = base, 2
        while (root / name).exists():  # never overwrite a backup
            name, n = f"{base}-{n}", n + 1
        temp = temp_dir(reg.paths)
        partial = (temp / f"{BACKUP_PREFIX}{name}" if own else
                   root / f".{name}.{mine}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        try:
            target = sqlite3.connect(str(partial / "register.sqlite3"))
            try:
                reg.conn.backup(target)
                target.execute("PRAGMA journal_mode = DELETE")
                shas = _document_shas(target)
                head = target.execute("SELECT id, hash FROM history ORDER BY id DESC LIMIT 1"
                                      ).fetchone()
            finally:
                target.close()
            from .documents import document_path

            missing = []
            for done, sha in enumerate(shas, start=1):
                if cancelled and cancelled():
                    raise Cancelled("the backup was cancelled; nothing was kept")
                dest = root / "documents" / sha[:2] / sha
                if not dest.exists():
                    src = document_path(reg.paths, sha)
                    if src.is_file():
                        _copy_verified(src, dest, sha, partial)
                    else:
                        missing.append(sha)
                faults.point("backup-documents")
                if progress:
                    progress(done, len(shas))
            problems = _check_database(partial / "register.sqlite3")
            if problems:
                raise BackupError(f"the backup failed its check ({'; '.join(problems)}); "
                                  "nothing was kept. Run verify.")
            manifest = {"created": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "reason": reason,
                        "agency": reg.agency().get("name"), "app_version": __version__,
                        "history_entries": head[0] if head else 0,
                        "history_head": head[1] if head else GENESIS, "documents": shas}
            if missing:
                manifest["missing_documents"] = missing
            with open(partial / "manifest.json", "w", encoding="utf-8") as fh:
                fh.write(json.dumps(manifest, indent=2))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(partial, root / name)
            from .saved import SAVED

            SAVED.append(f"backup {root / name}")
            faults.point("backup-published")
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    return Backup(root / name, now.replace(microsecond=0), reason)


def thin(folder: Path) -> list[Backup]:
    """Remove automatic backups beyond 7 daily, 4 weekly and 12 monthly; return them."""
    candidates = [b for b in list_backups(folder) if b.reason in THINNED_REASONS]
    keep: set[Path] = set()
    for period, count in ((lambda d: d.date(), KEEP_DAILY),
                          (lambda d: d.isocalendar()[:2], KEEP_WEEKLY),
                          (lambda d: (d.year, d.month), KEEP_MONTHLY)):
        seen: list[object] = []
        for b in candidates:  # newest first: the newest of each period is kept
            key = period(b.created)
            if key not in seen:
                seen.append(key)
                if len(seen) <= count:
                    keep.add(b.path)
    removed = [b for b in candidates if b.path not in keep]
    for b in removed:
        shutil.rmtree(b.path)
    if removed:
        _prune_documents(folder)
    return removed


def _prune_documents(folder: Path) -> None:
    """Drop backed-up documents that no remaining backup references."""
    docs = folder / "documents"
    if not docs.is_dir():
        return
    wanted: set[str] = set()
    for b in list_backups(folder):
        wanted.update(b.manifest().get("documents", []))
    for f in docs.glob("*/*"):
        if f.is_file() and f.name not in wanted and not f.name.endswith(".partial"):
            f.unlink()


def backed_up_today(folder: Path, clock: Clock = utc_now) -> bool:
    """Is there a backup of today's (UTC) date in the folder? (Cheap: names only.)"""
    today = clock().astimezone(dt.UTC).date()
    return any(b.created.date() == today for b in list_backups(folder))


def daily_backup(reg: OpenRegister, clock: Clock | None = None) -> Backup | None:
    """Once a day (UTC), after the register is in use: a backup, then thinning."""
    folder = reg.paths.backups
    if backed_up_today(folder, clock or reg.clock):
        return None
    made = _make_backup(reg, "daily", clock=clock, only_if_none_today=True)
    if made is not None:
        thin(folder)
    return made


# --- checking a backup --------------------------------------------------------------------


def check_backup(backup: Backup) -> list[str]:
    """Problems that make a backup unfit to restore: integrity, identity, chain, documents."""
    problems = _check_database(backup.database)
    if problems:
        return problems
    try:
        conn = sqlite3.connect(backup.database.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            shas = _document_shas(conn)
        finally:
            conn.close()
    except sqlite3.Error as e:
        return [f"unreadable: {e}"]
    for sha in shas:
        if not (backup.documents / sha[:2] / sha).is_file():
            problems.append(f"document {sha[:12]}… is missing from the backup")
    return problems


def newest_good_backup(folder: Path) -> Backup | None:
    for b in list_backups(folder):
        if not check_backup(b):
            return b
    return None


def find_backup(paths: RegisterPaths, name: str | None) -> Backup:
    """A backup by name (in the register's backups folder) or by path; default newest good."""
    if name is None:
        found = newest_good_backup(paths.backups)
        if found is None:
            raise BackupError(f"no good backup in {paths.backups}; nothing was changed")
        return found
    candidate = Path(name)
    if not candidate.is_dir():
        candidate = paths.backups / name
    for b in list_backups(candidate.parent):
        if b.path.resolve() == candidate.resolve():
            return b
    raise BackupError(f"no backup {name} (see `backups` for the list); nothing was changed")


# --- restore and recovery ------------------------------------------------------------------


def _aside_folder(paths: RegisterPaths, label: str, clock: Clock) -> Path:
    """A new dated folder name beside the database (not yet made)."""
    stamp = clock().astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = paths.root / f"{label}-{stamp}"
    n = 2
    while aside.exists():
        aside, n = paths.root / f"{label}-{stamp}-{n}", n + 1
    return aside


def _move_aside(paths: RegisterPaths, label: str, clock: Clock) -> Path | None:
    """Move the database and its -wal/-shm into a dated folder beside it; never delete."""
    files = [paths.database, *(Path(str(paths.database) + s) for s in ("-wal", "-shm"))]
    present = [f for f in files if f.exists()]
    if not present:
        return None
    aside = _aside_folder(paths, label, clock)
    aside.mkdir(parents=True)
    for f in present:
        os.replace(f, aside / f.name)
    return aside


def restore(paths: RegisterPaths, backup: Backup, clock: Clock = utc_now,
            progress: Callable[[str], None] | None = None) -> Path | None:
    """Put a checked backup in place. The current database is kept aside (returned), the
    backup itself is only read, documents missing from the register come back too."""
    problems = check_backup(backup)
    if problems:
        raise BackupError(f"backup {backup.name} failed its check ({'; '.join(problems)}); "
                          "nothing was changed. Choose another with `restore NAME`.")
    from .. import faults
    from .workspace import (
        RESTORING,
        begin_restore,
        finish_restore,
        sweep,
        sync_folder,
        temp_dir,
    )

    lock = WriterLock(paths.lock, paths.lock_info)
    lock.acquire()
    try:
        finish_restore(paths)  # an earlier one, interrupted
        sweep(paths)
        temp = temp_dir(paths)
        tmp = temp / RESTORING
        tmp.unlink(missing_ok=True)
        src = sqlite3.connect(backup.database.resolve().as_uri() + "?mode=ro", uri=True)
        dst = sqlite3.connect(str(tmp))
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
            src.close()
        conn = sqlite3.connect(str(tmp))
        try:
            shas = _document_shas(conn)
        finally:
            conn.close()
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        for sha in shas:
            dest = paths.documents / sha[:2] / sha
            if not dest.is_file():
                _copy_verified(backup.documents / sha[:2] / sha, dest, sha, temp)
        faults.point("restore-prepared")
        aside = _aside_folder(paths, "replaced", clock)
        begin_restore(paths, aside)  # from here the next open completes it
        finish_restore(paths)
        from .saved import SAVED

        SAVED.append(f"restore of {backup.name}")
        sync_folder(paths.root)
        if progress:
            progress(f"restored {backup.name}")
        return aside if aside.is_dir() else None
    finally:
        lock.release()


def move_corrupt_aside(paths: RegisterPaths, clock: Clock = utc_now) -> Path | None:
    return _move_aside(paths, "corrupt", clock)


def _counts(database: Path) -> dict[str, int] | None:
    """History entries and records per kind in a database file, read-only; None when it
    cannot be read (a damaged file may not be)."""
    from ..records import KINDS

    try:
        conn = sqlite3.connect(database.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        found: dict[str, int] = {}
        for kind in KINDS.values():
            try:
                found[kind.name] = int(conn.execute(
                    f"SELECT count(*) FROM {kind.table}").fetchone()[0])
            except sqlite3.Error:
                continue
        found["history entries"] = int(conn.execute(
            "SELECT coalesce(max(id), 0) FROM history").fetchone()[0])
        return found
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def compare_with_backup(database: Path, backup: Backup) -> str:
    """What a backup lacks compared with a (damaged, moved-aside) database, as far as that
    database can still be read: "" when nothing can be said."""
    mine, theirs = _counts(database), _counts(backup.database)
    if mine is None or theirs is None:
        return ""
    lacks = [f"{n - theirs.get(what, 0):,} {what}" for what, n in mine.items()
             if n > theirs.get(what, 0)]
    if not lacks:
        return (f"The backup holds at least as many history entries and records as the "
                f"damaged file ({mine['history entries']:,} history entries)")
    return (f"Compared with the damaged file the backup lacks {', '.join(lacks)} (the file "
            f"holds {mine['history entries']:,} history entries, the backup "
            f"{theirs['history entries']:,}): those changes are lost by restoring unless "
            "they are entered again, so keep the moved file")
