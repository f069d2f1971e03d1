"""The heads file: ``register.heads`` beside the database, one line per commit,
``ENTRIES HASH`` (the history's length and its head after the commit), appended and fsynced.

So `verify` knows how long the chain must be: the last history entry deleted together with
the row it created leaves a chain that links perfectly, but shorter than a head recorded
here. A restore shortens the chain on purpose and writes a ``restore ENTRIES HASH`` marker;
lines before the last marker no longer count. The threat is accidents and casual edits (a
sync tool, an SQLite browser), not someone who rewrites every file.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

HEADS = "register.heads"
COMPACT_AFTER = 10_000  # lines; then the file is rewritten with its last line


@dataclass(frozen=True)
class Head:
    entries: int
    hash: str


def heads_path(root: Path) -> Path:
    return root / HEADS


def current_head(conn: sqlite3.Connection) -> Head:
    row = conn.execute("SELECT id, hash FROM history ORDER BY id DESC LIMIT 1").fetchone()
    return Head(int(row[0]), str(row[1])) if row else Head(0, "0" * 64)


def append(root: Path, head: Head, marker: str = "") -> None:
    """Append a head and fsync. A failure to write it never undoes a commit: the commit is
    kept, and verify then knows a little less."""
    path = heads_path(root)
    line = f"{marker + ' ' if marker else ''}{head.entries} {head.hash}\n"
    try:
        with open(path, "a", encoding="ascii") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
            big = fh.tell() > COMPACT_AFTER * 80
        if big:
            tmp = path.with_name(HEADS + ".tmp")
            tmp.write_text(f"restore {head.entries} {head.hash}\n", encoding="ascii")
            os.replace(tmp, path)
    except OSError:
        pass


def recorded(root: Path) -> Head | None:
    """The longest head recorded since the last restore marker (None: nothing recorded)."""
    try:
        text = heads_path(root).read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    best: Head | None = None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "restore":
            parts = parts[1:]
            best = None
        if len(parts) != 2 or not parts[0].isdigit() or len(parts[1]) != 64:
            continue  # a torn last line (power cut mid-write): ignored
        head = Head(int(parts[0]), parts[1])
        if best is None or head.entries >= best.entries:
            best = head
    return best
