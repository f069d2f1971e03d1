"""Is the register on a network drive or in a synced folder?

SQLite's WAL needs shared memory that network file systems do not provide, and sync
clients (OneDrive, Dropbox…) copy files mid-write. Such a register is warned about and
opened with a rollback journal. Every OS call here is injectable, so Linux tests cover the
Windows branches.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath, PureWindowsPath

NETWORK_FS = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "sshfs", "fuse.sshfs", "9p", "afs", "ceph",
    "glusterfs", "fuse.glusterfs", "lustre", "davfs", "fuse.davfs2", "fuse.rclone",
    "fuse.s3fs", "ncpfs", "coda", "gpfs", "beegfs",
})
SYNC_FOLDER_NAMES = ("onedrive", "dropbox", "google drive", "googledrive", "icloud drive",
                     "iclouddrive", "box sync", "nextcloud", "owncloud")
SYNC_ENV = ("OneDrive", "OneDriveCommercial", "OneDriveConsumer")
DRIVE_REMOTE = 4  # GetDriveTypeW


@dataclass(frozen=True)
class Location:
    kind: str  # local | network | synced
    reason: str = ""

    @property
    def shared(self) -> bool:
        return self.kind != "local"

    def warning(self, root: Path) -> str:
        return (f"the register in {root} is {self.reason}. CALNET Desk opens it with a "
                "rollback journal instead of WAL, which is slower and less safe if the "
                "connection drops; keep the register on a local disk and back it up to the "
                "share with `backup --to` instead.")


def _windows_drive_type(root: str) -> int:
    import ctypes

    windll = getattr(ctypes, "windll")  # noqa: B009 - Windows only
    return int(windll.kernel32.GetDriveTypeW(root))


def _linux_mounts() -> list[tuple[str, str]]:
    try:
        text = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    mounts = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            mounts.append((parts[1].replace("\\040", " "), parts[2]))
    return mounts


def _synced_reason(parts: Iterable[str], path_text: str,
                   environ: Mapping[str, str]) -> str | None:
    folded = path_text.casefold()
    for var in SYNC_ENV:
        base = environ.get(var)
        if base and folded.startswith(base.rstrip("\\/").casefold()):
            return f"in a OneDrive folder ({base})"
    for part in parts:
        low = part.casefold()
        for name in SYNC_FOLDER_NAMES:
            if low == name or low.startswith(name + " -") or low.startswith(name + "-"):
                return f"in a synced folder ({part})"
    return None


def classify(path: Path | str, *, platform: str = sys.platform,
             environ: Mapping[str, str] | None = None,
             drive_type: Callable[[str], int] | None = None,
             mounts: Callable[[], list[tuple[str, str]]] | None = None) -> Location:
    env = os.environ if environ is None else environ
    text = str(path)
    if platform == "win32":
        wp = PureWindowsPath(text)
        if text.startswith(("\\\\", "//")):
            return Location("network", f"on a network share ({wp.anchor.rstrip(chr(92))})")
        if wp.drive:
            kind = (drive_type or _windows_drive_type)(wp.drive + "\\")
            if kind == DRIVE_REMOTE:
                return Location("network", f"on a mapped network drive ({wp.drive})")
        synced = _synced_reason(wp.parts, text, env)
        return Location("synced", synced) if synced else Location("local")
    p = PurePath(os.path.abspath(text))
    best, fstype = "", ""
    for mountpoint, fs in (mounts or _linux_mounts)():
        mp = mountpoint.rstrip("/") or "/"
        if (str(p) == mp or str(p).startswith(mp.rstrip("/") + "/")) and len(mp) >= len(best):
            best, fstype = mp, fs
    if fstype in NETWORK_FS:
        return Location("network", f"on a network file system ({fstype} at {best})")
    synced = _synced_reason(p.parts, str(p), env)
    return Location("synced", synced) if synced else Location("local")
