"""One writer per register: an OS file lock plus a small file saying who holds it.

The OS releases the lock when the holding process dies, even by kill -9, so a crash never
leaves the register locked. ``locking_mode=EXCLUSIVE`` is not used: it would also shut out
readers, who may read while someone writes.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any, Protocol


def host_name() -> str:
    """socket.gethostname(): on POSIX the same name from uname(2), without importing
    socket (and selectors, select, array) on the desktop's way to its first page (issue 16
    item 15); Windows has no uname."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (service accounts, some containers)
        return f"uid-{os.getpid()}"


class RegisterLocked(Exception):
    def __init__(self, info: dict[str, Any]) -> None:
        self.info = info
        who = info.get("user", "someone")
        host = info.get("host", "another computer")
        pid = info.get("pid", "?")
        since = info.get("since", "an unknown time")
        super().__init__(
            f"the register is open for changes by {who} on {host} (process {pid}) since "
            f"{since} UTC; nothing was changed. Close CALNET Desk there, or wait, then try "
            "again. Reading still works."
        )


class FileLocker(Protocol):
    def try_lock(self, fd: int) -> bool: ...

    def unlock(self, fd: int) -> None: ...


class PosixLocker:
    def __init__(self, fcntl_module: Any = None) -> None:
        if fcntl_module is None:
            import fcntl

            fcntl_module = fcntl
        self.fcntl: Any = fcntl_module

    def try_lock(self, fd: int) -> bool:
        try:
            self.fcntl.flock(fd, self.fcntl.LOCK_EX | self.fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def unlock(self, fd: int) -> None:
        self.fcntl.flock(fd, self.fcntl.LOCK_UN)


class WindowsLocker:
    """msvcrt byte-range lock on the first byte of the lock file."""

    def __init__(self, msvcrt_module: Any = None) -> None:
        if msvcrt_module is None:
            import importlib

            msvcrt_module = importlib.import_module("msvcrt")  # Windows only
        self.msvcrt: Any = msvcrt_module

    def try_lock(self, fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            self.msvcrt.locking(fd, self.msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def unlock(self, fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        self.msvcrt.locking(fd, self.msvcrt.LK_UNLCK, 1)


def default_locker(platform: str = sys.platform) -> FileLocker:
    return WindowsLocker() if platform == "win32" else PosixLocker()


class WriterLock:
    def __init__(self, lock_path: Path, info_path: Path,
                 locker: FileLocker | None = None) -> None:
        self.lock_path = lock_path
        self.info_path = info_path
        self.locker = locker or default_locker()
        self.fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        if not self.locker.try_lock(fd):
            os.close(fd)
            raise RegisterLocked(self.holder())
        self.fd = fd
        info = {
            "host": host_name(),
            "pid": os.getpid(),
            "user": os_user(),
            "since": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
        }
        # the register's temp folder (swept by the next writer), not a file beside it
        temp = self.info_path.parent / "temp"
        try:
            temp.mkdir(exist_ok=True)
            tmp = temp / (self.info_path.name + ".tmp")
            tmp.write_text(json.dumps(info), encoding="utf-8")
            os.replace(tmp, self.info_path)
        except OSError:  # who holds the lock is advice only (a full disk must not stop it)
            pass

    def holder(self) -> dict[str, Any]:
        try:
            data = json.loads(self.info_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            self.info_path.unlink(missing_ok=True)
        except OSError:
            pass
        try:
            self.locker.unlock(self.fd)
        finally:
            os.close(self.fd)
            self.fd = None
