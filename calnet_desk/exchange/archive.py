"""Archive guards: open a bundle (a zip or an unzipped folder) without trusting it.

A zip is checked whole before a byte is extracted: every entry's name (no ``..``, no
absolute, drive or UNC path, no backslash, no control character, no ``:``), its type (a
regular file or a folder; no link, device or pipe), no encryption, no two names that are
the same on a case-insensitive file system, at most ``max_entries`` entries, all under one
top folder. Then it is extracted into a temporary folder, the bytes counted while they are
decompressed (the sizes in the zip's headers are never trusted), and extraction stops as
soon as an entry or the whole passes the size or compression-ratio limits. The temporary
folder is always removed; a killed process's is removed later: a writer (merge) unpacks in
the register's temp folder, which the next writer sweeps, and a reader (verify-bundle)
in the system's, holding a lock on ``.in-use`` there so that the next one to unpack removes
the folders whose lock is free.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import stat
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20
GiB = 1 << 30
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_COMPRESSIONS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                 zipfile.ZIP_LZMA}
_UNIX = 3  # ZipInfo.create_system of a Unix zip: external_attr's high 16 bits are st_mode


class UnsafeArchive(Exception):
    """A bundle refused before (or while) unpacking it; the message names the entry."""


@dataclass(frozen=True)
class Limits:
    max_entries: int = 200_000
    max_total_bytes: int = 50 * GiB  # uncompressed, all entries together
    max_entry_bytes: int = 20 * GiB  # uncompressed, one entry
    # uncompressed / compressed, of each compressed entry and of the compressed entries
    # together; enforced once an entry (or the whole) has given ratio_floor_bytes, so a
    # small, very repetitive file (an empty JSON array) is not taken for a bomb.
    max_ratio: int = 200
    ratio_floor_bytes: int = 1 << 20


def _name_problem(name: str) -> str | None:
    if not name:
        return "has an empty name"
    if "\\" in name:
        return "has a backslash in its name"
    if _CONTROL.search(name):
        return "has a control character in its name"
    if name.startswith("/"):
        return "is an absolute path"
    if _DRIVE.match(name):
        return "is a drive path"
    if ":" in name:
        return "has a ':' in its name"
    parts = name.rstrip("/").split("/")
    if any(p in ("..", ".") for p in parts):
        return "has a '..' or '.' in its path"
    if any(p == "" for p in parts):
        return "has an empty folder name in its path"
    return None


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def check_zip(zf: zipfile.ZipFile, limits: Limits) -> tuple[str, list[zipfile.ZipInfo]]:
    """Every check made before extracting: (the top folder, the file entries)."""
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise UnsafeArchive(f"the archive has {len(infos):,} entries, more than the limit of "
                            f"{limits.max_entries:,}")
    seen: dict[str, str] = {}
    files: list[zipfile.ZipInfo] = []
    folders: dict[str, str] = {}  # folded folder paths implied by the entries: as spelled
    tops: set[str] = set()
    for info in infos:
        name = info.filename
        problem = _name_problem(name)
        if problem:
            raise UnsafeArchive(f"entry {name!r} {problem}")
        if info.flag_bits & 0x1:
            raise UnsafeArchive(f"entry {name!r} is encrypted")
        is_dir = name.endswith("/")
        mode = info.external_attr >> 16
        if info.create_system == _UNIX and stat.S_IFMT(mode):  # no type bits: a file
            if stat.S_ISLNK(mode):
                raise UnsafeArchive(f"entry {name!r} is a symbolic link")
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise UnsafeArchive(f"entry {name!r} is not a regular file or folder")
            if stat.S_ISDIR(mode) and not is_dir:
                raise UnsafeArchive(f"entry {name!r} is a folder without a trailing '/'")
        if info.compress_type not in _COMPRESSIONS:
            raise UnsafeArchive(f"entry {name!r} uses an unsupported compression "
                                f"({info.compress_type})")
        path = name.rstrip("/")
        folded = _fold(path)
        if folded in seen:
            raise UnsafeArchive(f"entry {name!r} has the same name as {seen[folded]!r} "
                                "(letter case ignored)")
        seen[folded] = name
        parts = path.split("/")
        tops.add(parts[0])
        if len(tops) > 1:
            raise UnsafeArchive(f"entry {name!r} is outside the bag's folder: a bundle holds "
                                "exactly one top folder")
        if not is_dir and len(parts) == 1:
            raise UnsafeArchive(f"entry {name!r} is not inside the bag's folder")
        for i in range(1, len(parts) + is_dir):
            folder = "/".join(parts[:i])
            spelled = folders.setdefault(_fold(folder), folder)
            if spelled != folder:
                raise UnsafeArchive(f"entry {name!r}: folder {folder!r} is also spelled "
                                    f"{spelled!r} (letter case ignored)")
        if not is_dir:
            if info.file_size > limits.max_entry_bytes:
                raise UnsafeArchive(f"entry {name!r} says it holds {info.file_size:,} bytes, "
                                    f"more than the limit of {limits.max_entry_bytes:,}")
            files.append(info)
    for info in files:
        if _fold(info.filename) in folders:
            raise UnsafeArchive(f"entry {info.filename!r} is both a file and a folder")
    if not files:
        raise UnsafeArchive("the archive holds no files")
    top = infos[0].filename.split("/")[0]
    return top, files


def _extract(zf: zipfile.ZipFile, files: list[zipfile.ZipInfo], dest: Path, limits: Limits,
             archive_size: int, digests: dict[str, str] | None = None) -> None:
    """Unpack the entries under the guards; with ``digests``, each entry's SHA-256 by its
    name is taken on the way (so a verifier need not read the files again)."""
    total = 0
    compressed_out = 0  # uncompressed bytes of compressed entries
    compressed_in = 0  # their compressed sizes
    for info in files:
        name = info.filename
        target = dest.joinpath(*name.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        packed = info.compress_type != zipfile.ZIP_STORED
        size_in = max(info.compress_size, 1)
        if packed:
            compressed_in += size_in
        written = 0
        digest = hashlib.sha256() if digests is not None else None
        with zf.open(info) as src, open(target, "xb") as out:
            while chunk := src.read(CHUNK):
                n = len(chunk)
                written += n
                total += n
                if written > limits.max_entry_bytes:
                    raise UnsafeArchive(f"entry {name!r} unpacks to more than the limit of "
                                        f"{limits.max_entry_bytes:,} bytes")
                if total > limits.max_total_bytes:
                    raise UnsafeArchive(f"the archive unpacks to more than the limit of "
                                        f"{limits.max_total_bytes:,} bytes (at entry {name!r})")
                if packed:
                    compressed_out += n
                    if (written > limits.ratio_floor_bytes
                            and written > limits.max_ratio * size_in):
                        raise UnsafeArchive(
                            f"entry {name!r} unpacks to more than {limits.max_ratio} times "
                            "its compressed size (a zip bomb?)")
                    if (compressed_out > limits.ratio_floor_bytes
                            and compressed_out > limits.max_ratio * min(compressed_in,
                                                                        archive_size)):
                        raise UnsafeArchive(
                            f"the archive unpacks to more than {limits.max_ratio} times its "
                            f"compressed size (at entry {name!r}; a zip bomb?)")
                out.write(chunk)
                if digest is not None:
                    digest.update(chunk)
        if digests is not None and digest is not None:
            digests[name] = digest.hexdigest()  # whole: the zip's CRC was checked at its end


def _has_symlink(folder: Path) -> Path | None:
    for base, dirs, names in os.walk(folder, followlinks=False):
        for n in (*dirs, *names):
            p = Path(base) / n
            if p.is_symlink() or (p.exists() and not (p.is_dir() or p.is_file())):
                return p
    return None


def bag_root(folder: Path) -> Path:
    """The bag in a folder: the folder itself when it holds bagit.txt, else the one bag
    folder in it (the unzipped bundle's top folder). A folder that is neither is taken as
    the bag itself, for verification to say what it lacks."""
    if folder.is_symlink():
        raise UnsafeArchive(f"{folder} is a symbolic link")
    root = folder
    if not (folder / "bagit.txt").exists():
        children = sorted(folder.iterdir())
        subdirs = [c for c in children if c.is_dir() and not c.is_symlink()]
        bags = [c for c in subdirs if (c / "bagit.txt").exists()]
        if len(bags) > 1:
            raise UnsafeArchive(f"{folder} holds more than one bag "
                                f"({', '.join(b.name for b in bags)})")
        if len(children) == 1 and len(subdirs) == 1:
            root = subdirs[0]
        elif len(bags) == 1 and not (folder / "data").exists():
            root = bags[0]
    link = _has_symlink(root)
    if link is not None:
        raise UnsafeArchive(f"{link} is a link or not a regular file")
    return root


@contextlib.contextmanager
def open_bundle(path: Path, limits: Limits | None = None,
                digests: dict[str, str] | None = None, work: Path | None = None
                ) -> Iterator[Path]:
    """The bag root of a bundle (a zip, unpacked into a temporary folder removed after
    the block, or a folder), refused with UnsafeArchive when it breaks a guard. With
    ``digests``, a zip's files get their SHA-256 taken while they are unpacked, by their
    path inside the bag root (nothing for a folder). ``work``: where to unpack (a writer
    passes the register's temp folder, which the next writer sweeps after a kill); else
    the system's temporary folder."""
    limits = limits or Limits()
    if path.is_dir():
        yield bag_root(path)
        return
    if not path.is_file():
        raise UnsafeArchive(f"{path}: no such file or folder")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise UnsafeArchive(f"{path} is not a readable zip archive ({e})") from None
    if work is None:
        sweep_stale_unpacked(Path(tempfile.gettempdir()))
    tmp = Path(tempfile.mkdtemp(prefix=UNPACKED_PREFIX, dir=work))
    in_use = _InUse(tmp) if work is None else None
    try:
        with zf:
            top, files = check_zip(zf, limits)
            unpacked: dict[str, str] | None = {} if digests is not None else None
            try:
                _extract(zf, files, tmp, limits, path.stat().st_size, unpacked)
            except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError) as e:
                raise UnsafeArchive(f"{path} is damaged ({e})") from None
        if digests is not None and unpacked is not None:
            digests.update((name[len(top) + 1:], sha) for name, sha in unpacked.items()
                           if name.startswith(top + "/"))
        from .. import faults

        faults.point("bundle-unpacked")
        yield tmp / top
    finally:
        if in_use is not None:
            in_use.release()
        shutil.rmtree(tmp, ignore_errors=True)


UNPACKED_PREFIX = "calnet-bundle-"
IN_USE = ".in-use"


class _InUse:
    """An OS lock on ``.in-use`` in an unpacking folder, held while it is used; the OS
    releases it when the process dies, even by kill -9."""

    def __init__(self, folder: Path) -> None:
        from ..store.lock import default_locker

        self.locker = default_locker()
        self.fd: int | None = os.open(folder / IN_USE, os.O_RDWR | os.O_CREAT, 0o600)
        if not self.locker.try_lock(self.fd):  # a new file: no one else has it
            self.release()

    def release(self) -> None:
        if self.fd is not None:
            try:
                self.locker.unlock(self.fd)
            except OSError:
                pass
            os.close(self.fd)
            self.fd = None


def sweep_stale_unpacked(parent: Path) -> list[Path]:
    """Remove the unpacking folders in ``parent`` that a killed process left: those whose
    ``.in-use`` lock is free (a running verification holds its own). Returns them."""
    from ..store.lock import default_locker

    locker = default_locker()
    removed: list[Path] = []
    try:
        candidates = sorted(parent.glob(UNPACKED_PREFIX + "*"))
    except OSError:
        return removed
    for folder in candidates:
        try:
            fd = os.open(folder / IN_USE, os.O_RDWR)
        except OSError:
            continue  # no lock file: not one of ours, or being made or removed
        try:
            free = locker.try_lock(fd)
            if free:
                locker.unlock(fd)
        except OSError:
            free = False
        finally:
            os.close(fd)
        if free:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def sha256_file(path: Path) -> str:
    from ..store.documents import hash_file

    return hash_file(path)[0]


def bundle_sha256(path: Path) -> str:
    """What names a bundle: the zip file's SHA-256; for a folder, its tag manifest's."""
    if path.is_dir():
        return sha256_file(bag_root(path) / "tagmanifest-sha256.txt")
    return sha256_file(path)
