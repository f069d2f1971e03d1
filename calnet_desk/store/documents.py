"""Documents: signed forms, approval letters, quotes. Stored content-addressed in the
register folder (documents/ab/abcdef…), hashed while streaming so a scan of hundreds of
MB is never read into memory whole, and linked to any number of records. Adding,
linking and unlinking go through the history (kinds "documents" and "document-links")."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import mimetypes
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..paths import RegisterPaths
from ..progress import Progress
from ..records import Kind
from .exceptions import RecordError
from .handles import Connected, OpenRegister, Transaction
from .tracked import DOCUMENT_LINKS, DOCUMENTS, delete_row, put_row

CHUNK = 1 << 20
_SHA = re.compile(r"[0-9a-f]{6,64}")

@dataclass(frozen=True)
class Document:
    sha256: str
    name: str
    size: int
    media_type: str
    added_at: str

    def as_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "name": self.name, "size": self.size,
                "media_type": self.media_type, "added_at": self.added_at}


def document_path(paths: RegisterPaths, sha256: str) -> Path:
    return paths.documents / sha256[:2] / sha256


class NotAFile(RecordError):
    """A stored document's place holds something other than a regular file (a named pipe,
    a device, a folder): opening a pipe with no writer waits for ever, so it is never
    opened."""


# Opening a stored document: read-only, binary (Windows translates nothing), and on POSIX
# non-blocking, so that a named pipe swapped in after the look opens at once and is found
# by fstat instead of waiting for a writer (Windows has no pipes in the file system and no
# O_NONBLOCK: its look before opening is the check).
_POSIX = os.name == "posix"


def open_stored(paths: RegisterPaths, sha256: str, name: str) -> io.FileIO:
    """A stored document opened for reading (unbuffered). Raises :class:`NotAFile` when its
    place holds anything but a regular file (looked at before opening and again on the
    open file) and RecordError when it is missing or cannot be opened; never waits."""
    path = document_path(paths, sha256)
    what = f"the stored file of {name} ({sha256[:12]}…)"
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise _not_a_file(what, path)
        flags = os.O_RDONLY | getattr(os, "O_BINARY", 0)
        if _POSIX:
            flags |= os.O_NONBLOCK
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise RecordError(f"{what} is missing; run verify, then restore it from a "
                          "backup") from None
    except OSError as e:
        raise RecordError(f"{what} cannot be read ({e.strerror or e}); run verify, then "
                          "restore it from a backup") from e
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped for a pipe after the look
            raise _not_a_file(what, path)
    except BaseException:
        os.close(fd)
        raise
    return io.FileIO(fd, "rb")


def _not_a_file(what: str, path: Path) -> NotAFile:
    return NotAFile(f"{what} is not a regular file ({path} holds a named pipe, a device or "
                    "a folder in its place), so it was not read; run verify, then restore it "
                    "from a backup")


def hash_file(path: Path, progress: Progress | None = None) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    total = path.stat().st_size
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if progress:
                progress(size, total)
    return digest.hexdigest(), size


def check_document(paths: RegisterPaths, sha256: str, progress: Progress | None = None
                   ) -> str:
    """Re-hash one stored document: "ok", "changed" (its bytes no longer hash to its
    name) or "missing"."""
    path = document_path(paths, sha256)
    if not path.is_file():
        return "missing"
    try:
        found, _ = hash_file(path, progress)
    except OSError:
        return "missing"
    return "ok" if found == sha256 else "changed"


def store_file(paths: RegisterPaths, src: Path, progress: Progress | None = None
               ) -> tuple[str, int]:
    """Copy src into the document store, hashing as it streams; returns (sha256, size).
    The stored file is made read-only; storing the same content twice keeps one copy."""
    return _store(paths, lambda: open(src, "rb"), src.stat().st_size, progress)


def store_bytes(paths: RegisterPaths, content: bytes) -> tuple[str, int]:
    """Store content made in memory (a generated form) exactly as store_file stores a
    file; returns (sha256, size)."""
    return _store(paths, lambda: io.BytesIO(content), len(content), None)


def _store(paths: RegisterPaths, source: Callable[[], BinaryIO], total: int,
           progress: Progress | None) -> tuple[str, int]:
    from .workspace import temp_dir

    paths.documents.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(prefix="incoming-", dir=temp_dir(paths))
    tmp = Path(tmp_name)
    try:
        with source() as fin, os.fdopen(fd, "wb") as fout:
            while chunk := fin.read(CHUNK):
                digest.update(chunk)
                fout.write(chunk)
                size += len(chunk)
                if progress:
                    progress(size, total)
            fout.flush()
            os.fsync(fout.fileno())
        from .. import faults

        faults.point("document-incoming")
        sha = digest.hexdigest()
        final = document_path(paths, sha)
        if final.exists():
            tmp.unlink()
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp, stat.S_IREAD | stat.S_IRGRP | stat.S_IROTH)
            os.replace(tmp, final)
        faults.point("document-stored")
        return sha, size
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _row(r: tuple[Any, ...]) -> Document:
    return Document(r[0], r[1], r[2], r[3], r[4])


def get_document(reg: OpenRegister, sha256: str) -> Document | None:
    row = reg.conn.execute("SELECT sha256, name, size, media_type, added_at FROM documents "
                           "WHERE sha256 = ?", (sha256,)).fetchone()
    return _row(row) if row else None


def resolve_sha(reg: OpenRegister, text: str) -> Document:
    """A document by its SHA-256 or a unique prefix of it (at least 6 hex digits)."""
    sha = text.strip().lower()
    if not _SHA.fullmatch(sha):
        raise RecordError(f"{text!r} is not a SHA-256 (64 hex digits, or at least the "
                          "first 6)")
    rows = reg.conn.execute("SELECT sha256, name, size, media_type, added_at FROM documents "
                            "WHERE sha256 >= ? AND sha256 < ? ORDER BY sha256 LIMIT 2",
                            (sha, sha + "g")).fetchall()
    if not rows:
        raise RecordError(f"no document {sha} in the register")
    if len(rows) > 1:
        raise RecordError(f"{sha} names more than one document; give more digits")
    return _row(rows[0])


def documents_of(reg: OpenRegister, kind: Kind, key: str) -> list[Document]:
    rows = reg.conn.execute(
        "SELECT d.sha256, d.name, d.size, d.media_type, d.added_at FROM document_links l "
        "JOIN documents d ON d.sha256 = l.sha256 WHERE l.kind = ? AND l.key = ? "
        "ORDER BY d.name, d.sha256", (kind.name, key)).fetchall()
    return [_row(r) for r in rows]


def links_of(reg: OpenRegister, sha256: str) -> list[tuple[str, str]]:
    return [(k, key) for k, key in reg.conn.execute(
        "SELECT kind, key FROM document_links WHERE sha256 = ? ORDER BY kind, key",
        (sha256,))]


def all_documents(reg: OpenRegister, newest_first: bool = False) -> list[Document]:
    """Every stored document, by SHA-256 (or newest first, then by name)."""
    order = "added_at DESC, name" if newest_first else "sha256"
    return [_row(r) for r in reg.conn.execute(
        f"SELECT sha256, name, size, media_type, added_at FROM documents ORDER BY {order}")]


def document_count(reg: OpenRegister) -> int:
    return int(reg.conn.execute("SELECT count(*) FROM documents").fetchone()[0])


def all_links(reg: OpenRegister) -> list[tuple[str, str, str]]:
    """Every link as (sha256, record kind, key), by SHA-256, then kind and key."""
    return [(str(sha), str(k), str(key)) for sha, k, key in reg.conn.execute(
        "SELECT sha256, kind, key FROM document_links ORDER BY sha256, kind, key")]


def linked_records(reg: Connected) -> set[tuple[str, str]]:
    """(kind, key) of every record with at least one document."""
    return {(str(k), str(key)) for k, key in reg.conn.execute(
        "SELECT DISTINCT kind, key FROM document_links")}


def is_linked(reg: OpenRegister, sha256: str, kind: Kind, key: str) -> bool:
    return reg.conn.execute("SELECT 1 FROM document_links WHERE sha256 = ? AND kind = ? AND "
                            "key = ?", (sha256, kind.name, key)).fetchone() is not None


def add_document(tx: Transaction, sha256: str, name: str, size: int) -> Document:
    """Register stored content (see store_file) under its original name, once."""
    existing = get_document(tx.register, sha256)
    if existing:
        return existing
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    added_at = tx.register.clock().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    doc = Document(sha256, name, size, media_type, added_at)
    put_row(tx, DOCUMENTS, doc.as_dict())
    return doc


def link(tx: Transaction, sha256: str, kind: Kind, key: str) -> bool:
    """Link a document to a record; False when it was linked already."""
    if tx.register.get(kind, key) is None:
        raise RecordError(f"no {kind.singular} {key} in the register")
    row = {"sha256": sha256, "kind": kind.name, "key": key}
    return put_row(tx, DOCUMENT_LINKS, row) == "insert"


def unlink(tx: Transaction, sha256: str, kind_name: str, key: str) -> None:
    """Remove a link; the stored file stays (other records and backups may need it)."""
    delete_row(tx, DOCUMENT_LINKS, {"sha256": sha256, "kind": kind_name, "key": key},
               missing=f"document {sha256[:12]}… is not linked to {kind_name} {key}")


_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f%]')


def safe_file_name(name: str) -> str:
    """A name every file system (Windows included) accepts."""
    cleaned = _UNSAFE.sub("_", name).strip().rstrip(". ") or "document"
    stem, dot, ext = cleaned.partition(".")
    if stem.upper() in _WINDOWS_RESERVED:
        cleaned = f"{stem}_{dot}{ext}"
    return cleaned[:180]


def export_copy(reg: OpenRegister, doc: Document, dest_dir: Path) -> Path:
    """A read-only copy under the original name (a number added if the name is taken):
    how a document is handed to the system viewer without risking the stored one."""
    with open_stored(reg.paths, doc.sha256, doc.name) as src:
        dest_dir.mkdir(parents=True, exist_ok=True)
        name = safe_file_name(doc.name)
        stem, suffix = Path(name).stem, Path(name).suffix
        target = dest_dir / name
        n = 2
        while target.exists():
            target = dest_dir / f"{stem} ({n}){suffix}"
            n += 1
        try:
            with open(target, "wb") as dest:
                shutil.copyfileobj(src, dest, CHUNK)
        except BaseException:
            target.unlink(missing_ok=True)  # no half copy
            raise
    os.chmod(target, stat.S_IREAD | stat.S_IRGRP | stat.S_IROTH)
    return target
