"""The -wal file: commits SQLite has made but not yet copied into the main file.

In WAL mode a commit lands in ``register.sqlite3-wal`` first; a checkpoint copies it into
``register.sqlite3``. A reader that holds a snapshot (a long read, another program's open
transaction) stops a checkpoint at that snapshot, so while it reads the main file can lag
behind by whole imports. A copy or sync tool that leaves the -wal behind (or deletes it)
then loses them. So:

- every write command checkpoints when it ends (``Register.close``) and a writer
  checkpoints when it opens (what a killed writer left);
- the window checkpoints when it goes idle, retrying while a reader pins a snapshot
  (``checkpoint`` here, run by the window's one background mechanism);
- ``verify`` reports history entries that only the -wal holds (``only_in_wal``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Checkpoint:
    complete: bool  # the main file holds every commit
    frames: int  # frames in the -wal (-1: not in WAL mode)
    copied: int  # of them, already in the main file


def run_checkpoint(conn: sqlite3.Connection) -> Checkpoint:
    """One PASSIVE checkpoint on an open connection: never waits for a reader or a writer;
    copies what it can (up to the oldest snapshot a reader holds)."""
    busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return Checkpoint(not busy and frames == copied, int(frames), int(copied))


def checkpoint(database: Path) -> Checkpoint:
    """Copy the register's committed -wal frames into its main file without waiting, on a
    connection of its own (any thread: the window runs it in the background while its
    writer and readers keep theirs). When nothing is left, the -wal is also emptied
    (TRUNCATE), unless a reader is using it. No lock is needed: a checkpoint changes no
    data, and SQLite serialises it with writers."""
    # mode=rw: never creates a database that is not there (it raises instead)
    conn = sqlite3.connect(database.resolve().as_uri() + "?mode=rw", uri=True,
                           isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 0")
        done = run_checkpoint(conn)
        if done.complete and done.frames > 0:
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            except sqlite3.Error:
                pass  # a reader or writer came in between: the frames are copied already
        return done
    finally:
        conn.close()


def main_file_entries(database: Path) -> int | None:
    """The history's length as the main file alone holds it (what is left if the -wal is
    lost): read with ``immutable=1``, which makes SQLite ignore the -wal and the -shm.
    None when it cannot be told (no such table yet, a checkpoint writing meanwhile)."""
    uri = database.resolve().as_uri() + "?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT max(id) FROM history").fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return int(row[0]) if row and row[0] is not None else 0


def wal_has_frames(database: Path) -> bool:
    """A -wal file with at least one frame beside the database (its header is 32 bytes)."""
    try:
        return Path(str(database) + "-wal").stat().st_size > 32
    except OSError:
        return False


def only_in_wal(database: Path, entries: int) -> tuple[int, int] | None:
    """The history entries (first, last) that a snapshot of ``entries`` entries sees but
    the main file does not: they exist only in the -wal. None when the main file holds
    them all. Called inside the reader's snapshot, after it has read the history."""
    if entries == 0 or not wal_has_frames(database):
        return None
    alone = main_file_entries(database)
    if alone is None or alone >= entries:
        return None
    # confirm: a checkpoint running meanwhile may have been caught half-way
    again = main_file_entries(database)
    if again is None or again >= entries:
        return None
    return min(alone, again) + 1, entries
