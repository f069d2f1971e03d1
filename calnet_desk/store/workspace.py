"""The register's temporary work: one folder, ``temp/`` inside the register, swept by the
next writer.

Whatever a writer puts there (a document arriving, a backup being made, a restore being
prepared, a new register being created) is either moved into place or removed by that
writer; after a kill -9 or a power cut it stays until the next writer opens the register
and sweeps the folder. Nothing else is ever swept: editor drafts and the temporary file an
export writes beside its target live elsewhere.

A restore is journalled here too (``restore.json``): it names where the current database
goes; the next open completes an interrupted restore (the backup copy in ``temp/`` was
checked before the journal was written) so a kill between its two renames never leaves a
folder without a register.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

from ..paths import RegisterPaths

RESTORE_JOURNAL = "restore.json"
RESTORING = "restoring.sqlite3"
BACKUP_PREFIX = "backup-"  # a backup in the making: swept by the next backup (its own lock)
BACKUP_LOCK = "backup.lock"  # backups of one register run one at a time (backups._BackupLock)
DB_FILES = ("", "-wal", "-shm")


def temp_dir(paths: RegisterPaths) -> Path:
    paths.temp.mkdir(parents=True, exist_ok=True)
    return paths.temp


def remove_path(path: Path) -> None:
    """A file or a folder with all in it, read-only files too (Windows)."""
    def writable(func: Any, name: str, _exc: Any) -> None:
        os.chmod(name, stat.S_IWRITE | stat.S_IREAD)  # Windows: read-only files
        func(name)

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, onerror=writable)
    else:
        try:
            path.unlink()
        except PermissionError:
            os.chmod(path, stat.S_IWRITE | stat.S_IREAD)
            path.unlink()


def sweep_idle_backups(paths: RegisterPaths) -> None:
    """Remove a killed backup's leftovers from temp/ when no backup is running now (its
    lock is free: taken without waiting, as backups._BackupLock takes it). Here, not with
    the backups: every writer's open calls it, the desktop's before its first page, which
    does not otherwise need the backups module (issue 16 item 15)."""
    from .lock import default_locker

    locker = default_locker()
    try:
        fd = os.open(paths.root / BACKUP_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return  # a read-only folder: nothing to sweep either
    try:
        if not locker.try_lock(fd):
            return  # a backup is running: its work is not garbage
        try:
            sweep(paths, backups=True)
        except OSError:
            pass
        finally:
            locker.unlock(fd)
    finally:
        os.close(fd)


def sweep(paths: RegisterPaths, *, backups: bool = False) -> list[str]:
    """Remove what a dead writer left in temp/ (the writer lock is held); with backups=True
    (the backup lock is held) the backups in the making instead. Returns the names."""
    folder = paths.temp
    if not folder.is_dir():
        return []
    removed = []
    journalled = (folder / RESTORE_JOURNAL).is_file()
    for entry in sorted(folder.iterdir()):
        if journalled and entry.name in (RESTORE_JOURNAL, RESTORING):
            continue  # finish_restore's, not garbage
        if entry.name.startswith(BACKUP_PREFIX) != backups:
            continue
        try:
            remove_path(entry)
        except OSError:
            continue  # a later writer tries again
        removed.append(entry.name)
    return removed


def write_json_durably(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    sync_folder(path.parent)


def sync_folder(folder: Path) -> None:
    """fsync a folder so a rename in it survives a power cut (POSIX; Windows has none)."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def restore_pending(paths: RegisterPaths) -> bool:
    return (paths.temp / RESTORE_JOURNAL).is_file()


def begin_restore(paths: RegisterPaths, aside: Path) -> None:
    write_json_durably(paths.temp / RESTORE_JOURNAL, {"aside": str(aside),
                                                      "restoring": RESTORING})


def finish_restore(paths: RegisterPaths) -> Path | None:
    """Complete a journalled restore (the writer lock is held): move what is left of the
    current database aside, put the prepared copy in place, drop the journal. Returns the
    folder the replaced database went to (None when there was no journal)."""
    journal = paths.temp / RESTORE_JOURNAL
    try:
        data = json.loads(journal.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        data = {}
    aside = Path(str(data.get("aside") or paths.root / "replaced-interrupted"))
    prepared = paths.temp / RESTORING
    if prepared.is_file():
        present = [Path(str(paths.database) + s) for s in DB_FILES
                   if Path(str(paths.database) + s).exists()]
        if present:
            aside.mkdir(parents=True, exist_ok=True)
            for f in present:
                os.replace(f, aside / f.name)
        from .. import faults

        faults.point("restore-between-renames")
        os.replace(prepared, paths.database)
        sync_folder(paths.root)
        _restore_marker(paths)
    journal.unlink()
    return aside


def _restore_marker(paths: RegisterPaths) -> None:
    """The restored chain is shorter on purpose: say so in the heads file."""
    import sqlite3

    from . import heads

    try:
        conn = sqlite3.connect(paths.database.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            head = heads.current_head(conn)
        finally:
            conn.close()
    except sqlite3.Error:
        return
    heads.append(paths.root, head, "restore")
