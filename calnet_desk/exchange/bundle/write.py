"""Writing a bundle: the payload files of a Selection (scope.py), bag-info.txt and the
manifests, into a zip written to ``OUT.partial`` and put in place only when whole.

The same register, scope and as-of date give the same bytes: the central directory sorted
by name, fixed times and permissions, STORED entries, XLSX and PDF metadata set to the
as-of date. Documents are copied into the zip and hashed in one streaming pass through one
buffer (memory stays flat), on a thread of their own while the other files are made; they
come first in the zip. Exporting reads the register in one snapshot and writes nothing
into it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ... import __version__
from ...files import atomic_output
from ...progress import IsCancelled, Progress, check
from ...records import KINDS
from ...store import RecordError, Register
from ...store.documents import Document, open_stored
from ...store.history import CHAIN_VERSION
from .. import billing_bundle
from .columns import GUIDE, column_guide
from .handover import prompt_handover
from .layout import (
    BAGIT_TXT,
    BUNDLE_FORMAT_VERSION,
    PROFILE_IDENTIFIER,
    REDACTED,
    TAG_FILES,
    BundleError,
    bag_info_text,
    chain_csv,
    columns_csv,
    columns_json,
    columns_xlsx,
    document_names,
    entries_jsonl,
    record_columns,
)
from .redact import Redactor, personal_field_names
from .scope import Scope, Selection, select, select_at


def use_fast_crc32() -> bool:
    """zipfile's CRC-32 computed by zlib-ng's crc32, the same function and values, 3-4x
    zlib 1.2's speed (0.19 s of the documents' thread on issue 17's 500 MB at zlib's).
    zipfile calls its module's ``crc32`` for every write and read; without zlib-ng it
    keeps zlib's. True when zlib-ng's is used."""
    try:
        from zlib_ng import zlib_ng
    except ImportError:
        return False
    if zlib_ng.crc32(b"123456789") != 0xCBF43926:  # the CRC-32 check value
        return False
    setattr(zipfile, "crc32", zlib_ng.crc32)  # noqa: B010 - not in typeshed's zipfile
    return True


use_fast_crc32()

FILE_MODE = 0o100644 << 16  # a regular file (zipinfo: -rw-r--r--), not just permissions
UNIX = 3


def _catr_name(sel: Selection) -> str:
    return "; ".join(str(p.get("name")) for p in sel.catrs if p.get("name"))


def _bag_info(sel: Selection, scope: Scope, as_of: dt.date, today: dt.date, redact: bool,
              oxum: str, upto: int | None = None) -> bytes:
    agency = sel.agency
    head = sel.head
    lines = [
        ("Source-Organization", str(agency.get("name") or "")),
        ("Contact-Name", REDACTED if redact else (_catr_name(sel) or "(no active CATR)")),
    ]
    if not redact:
        for label, name in (("Contact-Email", "email"), ("Contact-Phone", "phone")):
            values = "; ".join(str(p[name]) for p in sel.catrs if p.get(name))
            if values:
                lines.append((label, values))
    lines += [
        ("Bagging-Date", today.isoformat()),  # the day the bag was made (RFC 8493)
        ("External-Description",
         f"CALNET records of {agency.get('name')} made available to the CALNET Program on "
         f"request (STMM 501.0, 3-502.0): scope {scope.text}, as of {as_of.isoformat()}"),
        ("Bag-Software-Agent", f"CALNET Desk {__version__}"),
        ("BagIt-Profile-Identifier", PROFILE_IDENTIFIER),
        ("Bundle-Scope", scope.text),
        *([("Register-As-Of", f"{as_of.isoformat()} (the register as it stood at the end of "
                              f"that day, local time: history entries 1 to {upto})")]
          if upto is not None else []),
        ("Agency-Class", str(agency.get("agency_class") or "")),
        ("Bundle-Format-Version", str(BUNDLE_FORMAT_VERSION)),
        ("History-Chain-Version", str(CHAIN_VERSION)),
        ("History-Chain-Head", head),
        ("History-Chain-Length", str(len(sel.chain))),
        ("History-Entries", str(len(sel.entries))),
        ("Redacted", "yes" if redact else "no"),
    ]
    if redact:
        lines.append(("Redaction",
                      "personal names, e-mail and phone (" + ", ".join(personal_field_names())
                      + ") set to null in the records; the history entries' user names and "
                      "personal values, and any text holding one, replaced by [redacted]; "
                      "each hidden value keeps its commitment and each shown one its salt, "
                      "so every entry still links to data/history/chain.csv; document "
                      "contents are not redacted"))
    lines.append(("Payload-Oxum", oxum))
    return bag_info_text(lines)


# --- writing the zip ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BundleResult:
    path: Path
    records: int
    documents: int
    entries: int
    size: int
    head: str  # the history chain head, to be sent separately (verify-bundle --expect-head)


@dataclass
class _Payload:
    """One payload file: bytes made here, or a stored document copied while streaming."""

    name: str  # under data/
    content: bytes | None = None
    document: Document | None = None

    @property
    def size(self) -> int:
        if self.content is not None:
            return len(self.content)
        assert self.document is not None
        return self.document.size


def _info(name: str, date_time: tuple[int, int, int, int, int, int], size: int
          ) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time)
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = UNIX
    info.external_attr = FILE_MODE
    info.file_size = size
    return info


def export_bundle(reg: Register, out: Path, scope: Scope | None = None,
                  as_of: dt.date | None = None, redact: bool = False,
                  progress: Progress | None = None, cancelled: IsCancelled | None = None,
                  *, today: dt.date | None = None) -> BundleResult:
    """Write the bundle to ``out`` (``out.partial`` first, then os.replace). Raises
    BundleError (nothing written) or Cancelled (the partial removed). ``today`` is the day
    the bag is made (its Bagging-Date, RFC 8493).

    The stored documents are copied into the zip on a thread of their own, from the moment
    the selection knows them, while the other files are made (hashing, the CRC and the
    writes release the GIL): the export takes about the longer of the two, not their sum.
    The zip holds the documents first; its central directory lists the entries by name."""
    scope = scope or Scope("all")
    today = today or dt.date.today()
    day = as_of or today
    bag = f"calnet-bundle-{day.isoformat()}"
    date_time = (day.year, day.month, day.day, 0, 0, 0)
    partial = out.with_name(out.name + ".partial")

    def check_cancel() -> None:
        check(cancelled, "the export was cancelled; nothing was written")

    # the documents' thread needs the GIL for a moment between its reads, hashes and writes:
    # handed over promptly, not after Python's 5 ms, while this thread makes the other files
    # (about ten times a document; every 0.1 ms, handover.SWITCH_INTERVAL, the export of
    # issue 17's register took 1.17-1.22 s, against 1.28-1.35 s at 0.5 ms)
    with prompt_handover(), atomic_output(out, partial) as tmp, \
            open(tmp, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as zf:
        copier = _Copier(reg, zf, fh, bag, date_time, check_cancel, progress)
        # a redacted bundle names some documents by what the whole selection holds
        early = None if redact else copier.start
        try:
            sel, upto = ((select(reg, scope, early), None) if as_of is None
                         else select_at(reg, scope, as_of, early))
            red = Redactor(redact, sel.personal_values)
            shown = {doc.sha256: red.document(doc) for doc, _ in sel.documents}
            names = document_names(shown.values())
            if not copier.started:
                copier.start(sel.documents, names)
            made = _payload(reg, sel, scope, day, red, shown, names, copier.check)
        except BaseException:
            copier.stop.set()
            raise
        finally:
            copier.join()
        copier.check()
        assert copier.names == names
        payload = sorted([*made, *copier.items], key=lambda p: p.name)
        total = sum(p.size for p in payload)
        oxum = f"{total}.{len(payload)}"
        tags = {"bagit.txt": BAGIT_TXT,
                "bag-info.txt": _bag_info(sel, scope, day, today, redact, oxum, upto)}
        for name in ("bag-info.txt", "bagit.txt"):
            zf.writestr(_info(f"{bag}/{name}", date_time, len(tags[name])), tags[name])
        manifest: list[tuple[str, str]] = []
        for item in payload:
            if item.content is None:  # a document, copied and checked by the copier
                assert item.document is not None
                manifest.append((item.document.sha256, f"data/{item.name}"))
                continue
            zf.writestr(_info(f"{bag}/data/{item.name}", date_time, item.size), item.content)
            manifest.append((hashlib.sha256(item.content).hexdigest(), f"data/{item.name}"))
        tags["manifest-sha256.txt"] = "".join(
            f"{d}  {n}\n" for d, n in manifest).encode("utf-8")
        zf.writestr(_info(f"{bag}/manifest-sha256.txt", date_time,
                          len(tags["manifest-sha256.txt"])), tags["manifest-sha256.txt"])
        tagmanifest = "".join(f"{hashlib.sha256(tags[n]).hexdigest()}  {n}\n"
                              for n in TAG_FILES).encode("utf-8")
        zf.writestr(_info(f"{bag}/tagmanifest-sha256.txt", date_time, len(tagmanifest)),
                    tagmanifest)
        zf.filelist.sort(key=lambda i: i.filename)  # the central directory, by name
        check_cancel()
        if progress:
            progress(total, total)
    records = sum(len(v) for v in sel.records.values())
    return BundleResult(out, records, len(sel.documents), len(sel.entries), out.stat().st_size,
                        sel.head)


# The documents' thread copies through one buffer this large: few hand-overs of the GIL per
# document (each can wait the interpreter's switch interval while the other thread runs
# Python), memory flat whatever the documents' sizes.
_COPY_BUFFER = 8 << 20


# The bundle goes to the disk while it is written, this much at a time: left to the final
# fsync, 500 MB took it 0.2–0.25 s more, all of it on the export's last stretch.
_WRITEBACK_STEP = 16 << 20
_PAGE = 4096


class _Writeback:
    """The written part of the bundle handed to the disk as the documents are copied, and
    its pages dropped from the cache once on disk (nothing reads them again): each step
    advises the bytes written since the step before last with POSIX_FADV_DONTNEED, which on
    Linux starts the writing back of dirty pages and drops clean ones, so every page is
    advised twice, once to start its writing and once, written, to drop it. The final fsync
    then has little left to wait for, and the bundle it replaces next time holds fewer pages
    to free. Only whole pages before the end are advised (the zip writes a document's header
    again at its end). Without posix_fadvise (Windows) it does nothing: the bytes are the
    same either way, only when they reach the disk changes."""

    def __init__(self, fh: BinaryIO, advise: Callable[[int, int, int, int], None] | None
                 ) -> None:
        self.fh, self.advise = fh, advise
        self.low = self.middle = 0  # advised twice below low, once from low to middle
        self.pending = 0  # bytes written since the last step

    def step(self, written: int = 0, force: bool = False) -> None:
        """``written`` bytes more since the last call (a step is taken every
        _WRITEBACK_STEP); ``force``: take one now."""
        if self.advise is None:
            return
        self.pending += written
        if self.pending < _WRITEBACK_STEP and not force:
            return
        self.pending = 0
        self.fh.flush()
        end = self.fh.tell() // _PAGE * _PAGE
        if end > self.low:
            self.advise(self.fh.fileno(), self.low, end - self.low, _DONTNEED)
        self.low, self.middle = self.middle, end


_DONTNEED = getattr(os, "POSIX_FADV_DONTNEED", 4)


def _posix_fadvise() -> Callable[[int, int, int, int], None] | None:
    return getattr(os, "posix_fadvise", None)


class _Stopped(Exception):
    """The documents' thread was told to stop: the export failed elsewhere."""


class _Copier:
    """The stored documents copied into the zip in name order on a thread of their own,
    then flushed to disk (the final fsync has little left to wait for). ``check()`` raises
    what stopped it (the exporting thread asks between steps and after ``join``)."""

    def __init__(self, reg: Register, zf: zipfile.ZipFile, fh: BinaryIO, bag: str,
                 date_time: tuple[int, int, int, int, int, int],
                 check_cancel: Callable[[], None], progress: Progress | None) -> None:
        self.reg, self.zf, self.fh, self.bag, self.date_time = reg, zf, fh, bag, date_time
        self.check_cancel, self.progress = check_cancel, progress
        self.stop = threading.Event()
        self.writeback = _Writeback(fh, _posix_fadvise())
        self.error: BaseException | None = None
        self.items: list[_Payload] = []
        self.names: dict[str, str] = {}
        self.started = False
        self._thread = threading.Thread(target=self._run, name="bundle documents")

    def start(self, documents: list[tuple[Document, list[tuple[str, str]]]],
              names: dict[str, str] | None = None) -> None:
        self.names = names if names is not None else document_names(d for d, _ in documents)
        self.items = sorted((_Payload(f"documents/{self.names[doc.sha256]}", document=doc)
                             for doc, _ in documents), key=lambda p: p.name)
        self.started = True
        self._thread.start()

    def join(self) -> None:
        if self.started:
            self._thread.join()

    def check(self) -> None:
        if self.error is not None:
            raise self.error

    def _step(self) -> None:
        if self.stop.is_set():
            raise _Stopped
        self.check_cancel()

    def _run(self) -> None:
        buffer = bytearray(_COPY_BUFFER)
        stored = sum(item.size for item in self.items)
        report = self.progress
        try:
            done = 0
            for item in self.items:
                doc = item.document
                assert doc is not None
                self._step()
                info = _info(f"{self.bag}/data/{item.name}", self.date_time, doc.size)
                _copy_document(self.reg, doc, self.zf, info, self._step,
                               _offset(report, done, stored), buffer, self.writeback.step)
                done += doc.size
            self.fh.flush()
            os.fsync(self.fh.fileno())
            self.writeback.step(force=True)  # on disk now: its pages dropped
        except BaseException as e:  # raised again on the exporting thread
            self.error = e


def _offset(progress: Progress | None, done: int, total: int) -> Callable[[int], None]:
    def report(n: int) -> None:
        if progress is not None:
            progress(done + n, total)

    return report


def _copy_document(reg: Register, doc: Document, zf: zipfile.ZipFile, info: zipfile.ZipInfo,
                   check_cancel: Callable[[], None], progress: Callable[[int], None],
                   buffer: bytearray, written: Callable[[int], None] = lambda n: None
                   ) -> str:
    """Copy a stored document into the zip through ``buffer``, hashing the bytes it writes;
    their hash must be the one the document is stored under. ``written(n)`` after each
    write of n bytes."""
    digest = hashlib.sha256()
    view = memoryview(buffer)
    size = 0
    try:
        fin = open_stored(reg.paths, doc.sha256, doc.name)  # never a pipe: it would wait
    except RecordError as e:
        raise BundleError(f"{e}. Nothing was written") from e
    with fin, zf.open(info, "w", force_zip64=doc.size > zipfile.ZIP64_LIMIT) as dest:
        while n := fin.readinto(view):
            check_cancel()
            if size + n > doc.size:
                break
            digest.update(view[:n])
            dest.write(view[:n])
            size += n
            progress(size)
            written(n)
        if size != doc.size or digest.hexdigest() != doc.sha256:
            raise BundleError(f"the stored file of {doc.name} ({doc.sha256[:12]}…) does not "
                              "match its SHA-256 or size: it was changed or damaged. Run "
                              "verify, then restore it from a backup. Nothing was written")
    return doc.sha256


def _payload(reg: Register, sel: Selection, scope: Scope, as_of: dt.date, red: Redactor,
             shown: dict[str, Document], names: dict[str, str], step: Callable[[], None]
             ) -> list[_Payload]:
    """The payload files made here (the stored documents are copied by _Copier);
    ``step()`` between files raises when the export is to stop."""
    items: list[_Payload] = []
    docs_json = [{**shown[doc.sha256].as_dict(), "file": f"data/documents/{names[doc.sha256]}",
                  "links": [{"kind": k, "key": key} for k, key in links]}
                 for doc, links in sel.documents]
    items.append(_Payload("documents.json", (json.dumps(docs_json, indent=2,
                                                        ensure_ascii=False) + "\n").encode()))
    entries = [red.entry({k: v for k, v in e.items() if k != "body"}) for e in sel.entries]
    items.append(_Payload("history/chain.csv", chain_csv(sel.chain)))
    items.append(_Payload("history/entries.jsonl", entries_jsonl(entries)))
    for kind_name, records in sel.records.items():
        step()
        kind = KINDS[kind_name]
        columns = record_columns(kind, [red.record(kind, r) for r in records])
        items.append(_Payload(f"records/{kind_name}.csv", columns_csv(kind, columns)))
        items.append(_Payload(f"records/{kind_name}.json", columns_json(kind, columns)))
        items.append(_Payload(f"records/{kind_name}.xlsx", columns_xlsx(kind, columns, as_of)))
    items.append(_Payload(GUIDE, column_guide(KINDS[k] for k in sel.records)))
    for name, content in billing_bundle.payload(
            [red.statement(st) for st in sel.statements], [red.mark(m) for m in sel.marks]):
        items.append(_Payload(name, content))
    from ..summary import FINDINGS_FILE, findings_csv, judge, render_summary

    step()
    judged = judge(reg, sel, scope, as_of)
    items.append(_Payload(FINDINGS_FILE, findings_csv(judged, red)))
    step()
    items.append(_Payload("summary.pdf", render_summary(reg, sel, scope, as_of, red, judged)))
    items.sort(key=lambda p: p.name)
    return items


