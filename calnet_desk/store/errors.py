"""What went wrong with a file, in words: the OS and SQLite errors a register meets.

Only proven damage (SQLite says the file is corrupt or not a database, or quick_check finds
a problem) may move a database aside. Permission denied, a read-only folder or file system,
a file another program holds (a Windows sharing violation), a lock, a full disk: none of
these is damage, and each gets its own sentence. Windows errors are recognised by their
``winerror`` so the tests cover them on Linux by injecting such errors.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

# Windows error codes (winerror.h)
ERROR_ACCESS_DENIED = 5
ERROR_SHARING_VIOLATION = 32
ERROR_LOCK_VIOLATION = 33
ERROR_HANDLE_DISK_FULL = 39
ERROR_DISK_FULL = 112
ERROR_WRITE_PROTECT = 19

_SQLITE_DAMAGE = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
# What a command may meet from the disk and the database (outside the store nothing names
# SQLite's own exception types): described by describe() and what_to_do().
STORAGE_ERRORS: tuple[type[Exception], ...] = (OSError, sqlite3.Error)


def sqlite_code(e: BaseException) -> int | None:
    """The primary SQLite result code of an error (None when it carries none)."""
    code = getattr(e, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def is_damage(e: BaseException) -> bool:
    """Does this error prove the database file is damaged (not merely unreachable)?"""
    code = sqlite_code(e)
    if code is not None:
        return code in _SQLITE_DAMAGE
    text = str(e).lower()
    return "malformed" in text or "not a database" in text


def os_reason(e: OSError) -> str:
    """A short reason for an OS error: "permission denied", "the disk is full", …"""
    win = getattr(e, "winerror", None)
    if win in (ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION):
        return ("another program has the file open (a sharing violation: a backup, "
                "antivirus or sync tool, or Excel)")
    if win in (ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL) or e.errno == errno.ENOSPC:
        return "the disk is full"
    if e.errno == getattr(errno, "EDQUOT", -1):
        return "the disk quota is used up"
    if win == ERROR_WRITE_PROTECT or e.errno == errno.EROFS:
        return "the file system is read-only"
    if win == ERROR_ACCESS_DENIED or e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied (your account may not use this file or folder)"
    if e.errno == errno.ENOENT:
        return "no such file or folder"
    if e.errno == errno.EISDIR:
        return "it is a folder"
    if e.errno == errno.ENOTDIR:
        return "a part of the path is not a folder"
    if e.errno == errno.EIO:
        return "an input/output error (the disk or the connection to it failed)"
    return (e.strerror or str(e) or type(e).__name__).rstrip(".")


def sqlite_reason(e: BaseException) -> str:
    """A short reason for a SQLite error that is not damage."""
    code = sqlite_code(e)
    if code == sqlite3.SQLITE_FULL:
        return "the disk is full"
    if code == sqlite3.SQLITE_READONLY:
        return "the register is read-only here (the file, its folder or the file system)"
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return "another program holds the database (it is locked)"
    if code in (sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH, sqlite3.SQLITE_CANTOPEN):
        return "the database cannot be opened (permission denied, or the folder is missing)"
    if code == sqlite3.SQLITE_IOERR:
        return "an input/output error (the disk is full, removed or failing)"
    return str(e)


def reason(e: BaseException) -> str:
    if isinstance(e, OSError):
        return os_reason(e)
    return sqlite_reason(e)


def is_disk_full(e: BaseException) -> bool:
    if isinstance(e, OSError):
        return os_reason(e) in ("the disk is full", "the disk quota is used up")
    return sqlite_code(e) == sqlite3.SQLITE_FULL


def what_to_do(e: BaseException) -> str:
    if is_disk_full(e):
        return "Free some space on that disk, then try again."
    if isinstance(e, OSError) and getattr(e, "winerror", None) in (
            ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION):
        return "Close the program that holds it, then try again."
    code = sqlite_code(e)
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return "Close the other program, or wait, then try again."
    if code == sqlite3.SQLITE_IOERR or (isinstance(e, OSError) and e.errno == errno.EIO):
        return ("If the disk is full, free some space; if it is removable or on a network, "
                "check it is connected; then try again.")
    return ("Ask whoever manages that folder for access, or copy the register folder to a "
            "place where you may write, then try again.")


def describe(e: BaseException, where: Path | str | None = None) -> str:
    """One sentence about a failed file operation: where, and why."""
    place = where if where is not None else getattr(e, "filename", None)
    why = reason(e)
    return f"{place}: {why}" if place else why


class TargetError(Exception):
    """An output path that cannot take a file (a folder, a device, no such folder)."""


def check_output_target(path: Path) -> None:
    """Refuse an output path that is a folder, a device node, a pipe or another non-regular
    file (as root, writing "onto" /dev/full replaced the device), or whose folder is
    missing. Raises TargetError with the sentence to show."""
    import stat as st

    try:
        info = path.stat()
    except FileNotFoundError:
        info = None
    except OSError as e:
        raise TargetError(f"{describe(e, path)}; nothing was written") from e
    if info is not None:
        if st.S_ISDIR(info.st_mode):
            raise TargetError(f"{path} is a folder; give a file name, e.g. "
                              f"{path / ('export' + (path.suffix or '.out'))}; nothing was "
                              "written")
        if not st.S_ISREG(info.st_mode):
            raise TargetError(f"{path} is not a regular file (a device, a pipe or a socket); "
                              "give the name of a file to write; nothing was written")
    if not path.parent.is_dir():
        raise TargetError(f"{path.parent} is not a folder; nothing was written")


def printable(text: object, limit: int | None = 80, keep: str = "") -> str:
    """Text as it may be printed to a terminal or shown in a message: control, format and
    line-separator characters escaped (ESC, CR, U+202E… never reach the screen raw), and
    past ``limit`` characters (None: no limit) shortened with the full length said.
    ``keep``: characters left as they are (the line ends of a whole printed text). The one
    helper for printed text: messages, and everything the command line prints for people
    (cli.printed_stream)."""
    import unicodedata

    s = str(text)
    long = limit is not None and len(s) > limit
    if long:
        s = s[:limit]
    if s.isascii() and s.isprintable():  # most text: nothing to escape
        shown = s
    else:
        out = []
        for ch in s:
            if ch in keep:
                out.append(ch)
            elif ch == "\t" or unicodedata.category(ch) in _ESCAPED:
                out.append(ch.encode("unicode_escape").decode("ascii") if ord(ch) < 0x10000
                           else f"\\U{ord(ch):08x}")
            else:
                out.append(ch)
        shown = "".join(out)
    return f"{shown}… ({len(str(text)):,} characters)" if long else shown


_ESCAPED = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co"})
