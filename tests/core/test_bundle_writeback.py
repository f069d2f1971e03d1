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
from factories import order_with_documents

from calnet_desk.exchange.bundle import export_bundle, parse_scope, verify_bundle, write
from calnet_desk.store import Register

AS_OF = dt.date(2026, 12, 1)
SIZES = (70_001, 5, 123_457, 4096 * 9, 1)


@pytest.fixture
def documents(reg: Register) -> Register:
    return order_with_documents(reg, (bytes([i + 1]) * size + str(i).encode()
                                      for i, size in enumerate(SIZES)))


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


@pytest.fixture
def zlib_ngs_crc32(monkeypatch: pytest.MonkeyPatch) -> None:
    import zlib

    monkeypatch.setattr(zipfile, "crc32", zlib.crc32)
    assert write.use_fast_crc32() and zipfile.crc32 is not zlib.crc32


def test_zlib_ngs_crc32_taken_in_pieces_as_zipfile_takes_it(zlib_ngs_crc32: None) -> None:
    """zipfile carries the running CRC from one piece to the next (memoryview pieces of
    the export's buffer): every split gives zlib's CRC of the whole, through values above
    2**31 and pieces of 0 bytes."""
    import random
    import zlib

    rnd = random.Random(8)
    for size in (0, 1, 3, 4096, 100_003, 1 << 20):
        data = rnd.randbytes(size)
        view = memoryview(bytearray(data))
        for _ in range(8):
            cuts = sorted(rnd.randrange(size + 1) for _ in range(rnd.randrange(6)))
            crc = zipfile.crc32(b"")
            for a, b in zip([0, *cuts], [*cuts, size], strict=True):
                crc = zipfile.crc32(view[a:b], crc)
            assert crc == zlib.crc32(data)
    for start in (0, 1, 2**31 - 1, 2**31, 2**32 - 1):
        assert zipfile.crc32(b"calnet", start) == zlib.crc32(b"calnet", start)


def test_zips_written_and_read_with_zlib_ngs_crc32_are_zlibs(
        zlib_ngs_crc32: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A zip written with zlib-ng's CRC reads with zlib's, and a changed byte is still
    refused when zlib-ng's checks what is read."""
    import zlib

    data = os.urandom(300_000)
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        with zf.open("a.bin", "w") as fh:
            for i in range(0, len(data), 65_536):
                fh.write(memoryview(data)[i:i + 65_536])
        zf.writestr("empty", b"")
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("a.bin").CRC == zlib.crc32(data) and zf.read("empty") == b""
        offset = zf.getinfo("a.bin").header_offset + 30 + len("a.bin")
    content = bytearray(path.read_bytes())
    content[offset + 1000] ^= 1
    path.write_bytes(content)
    with zipfile.ZipFile(path) as zf, pytest.raises(zipfile.BadZipFile, match="CRC"):
        zf.read("a.bin")
    monkeypatch.setattr(zipfile, "crc32", zlib.crc32)  # and zlib's finds it too
    with zipfile.ZipFile(path) as zf, pytest.raises(zipfile.BadZipFile, match="CRC"):
        zf.read("a.bin")


@pytest.mark.slow
def test_zlib_ngs_crc32_of_more_than_4_gib_at_once_is_zlibs(zlib_ngs_crc32: None) -> None:
    """Past 2**32 bytes in one call (zlib's C function takes an unsigned int length):
    pages of zeros mapped from nowhere, so no memory is used."""
    import mmap
    import zlib

    size = (1 << 32) + 5
    with mmap.mmap(-1, size) as pages:
        pages[size - 3:] = b"end"
        view = memoryview(pages)
        try:
            assert zipfile.crc32(view) == zlib.crc32(view)
        finally:
            view.release()
