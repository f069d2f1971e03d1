"""A bundle goes to the disk while its documents are copied (write._Writeback): whole pages
advised twice (once to start their writing, once to drop them), never past what was
written; the bytes are the same with it and without it (Windows has no posix_fadvise)."""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from calnet_desk.exchange.bundle import export_bundle, parse_scope, verify_bundle, write
from calnet_desk.records import KINDS
from calnet_desk.store import Register
from calnet_desk.store.documents import add_document, link, store_bytes

AS_OF = dt.date(2026, 12, 1)
SIZES = (70_001, 5, 123_457, 4096 * 9, 1)


@pytest.fixture
def documents(reg: Register) -> Register:
    with reg.transaction("orders") as tx:
        tx.put(KINDS["orders"], {"request_number": "O-1", "request_date": "2026-01-05",
                                 "order_type": "new", "contractor": "AT&T"})
    with reg.transaction("documents") as tx:
        for i, size in enumerate(SIZES):
            sha, n = store_bytes(reg.paths, bytes([i + 1]) * size + str(i).encode())
            add_document(tx, sha, f"scan {i}.pdf", n)
            link(tx, sha, KINDS["orders"], "O-1")
    return reg


def export(reg: Register, out: Path) -> bytes:
    export_bundle(reg, out, parse_scope("all"), AS_OF, today=AS_OF)
    return out.read_bytes()


def test_pages_are_advised_twice_within_what_was_written(
        documents: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(write, "_COPY_BUFFER", 8192)  # many steps on small documents
    monkeypatch.setattr(write, "_WRITEBACK_STEP", 3 * write._PAGE)
    calls: list[tuple[int, int, int]] = []

    def advise(fd: int, offset: int, length: int, advice: int) -> None:
        assert advice == os.POSIX_FADV_DONTNEED
        calls.append((offset, length, os.fstat(fd).st_size))

    monkeypatch.setattr(write, "_posix_fadvise", lambda: advise)
    content = export(documents, tmp_path / "b.zip")
    assert len(calls) > 5
    advised = [0] * (len(content) // write._PAGE + 1)
    for offset, length, size in calls:
        assert offset % write._PAGE == 0 and length % write._PAGE == 0 and length > 0
        assert offset + length <= size  # whole pages already written
        for page in range(offset // write._PAGE, (offset + length) // write._PAGE):
            advised[page] += 1
    last, end = calls[-1][0], calls[-1][0] + calls[-1][1]  # the step after their fsync
    assert all(n == 2 for n in advised[:last // write._PAGE])
    assert all(n in (1, 2) for n in advised[:end // write._PAGE])
    assert end >= sum(SIZES) - write._PAGE  # every document: advised after their fsync
    assert verify_bundle(tmp_path / "b.zip") == []


def test_the_same_bytes_without_posix_fadvise(documents: Register, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(write, "_WRITEBACK_STEP", write._PAGE)
    advised = export(documents, tmp_path / "a.zip")
    monkeypatch.setattr(write, "_posix_fadvise", lambda: None)  # as on Windows
    monkeypatch.setattr(write.os, "posix_fadvise", _never, raising=False)
    assert export(documents, tmp_path / "b.zip") == advised
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        assert zf.testzip() is None
    assert verify_bundle(tmp_path / "b.zip") == []


def _never(*_args: Any) -> None:
    raise AssertionError("posix_fadvise called where there is none")


def test_windows_has_no_posix_fadvise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "posix_fadvise", raising=False)
    assert write._posix_fadvise() is None


def test_zipfile_crc32_from_zlib_ng_gives_zlibs_values(monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    import random
    import sys
    import zlib

    monkeypatch.setattr(zipfile, "crc32", zlib.crc32)
    assert write.use_fast_crc32() and zipfile.crc32 is not zlib.crc32
    rnd = random.Random(17)
    for size in (0, 1, 15, 16, 17, 4095, 65_537, 1 << 20):
        data = rnd.randbytes(size)
        start = rnd.randrange(1 << 32)
        assert zipfile.crc32(data, start) == zlib.crc32(data, start)
        assert zipfile.crc32(data) == zlib.crc32(data)
    monkeypatch.setattr(zipfile, "crc32", zlib.crc32)
    monkeypatch.setitem(sys.modules, "zlib_ng", None)  # not installed: zlib's stays
    assert not write.use_fast_crc32() and zipfile.crc32 is zlib.crc32
