"""A named pipe put in the register's document store in place of a stored document: bundle
export opened it to copy it and waited for ever for a writer; `open` (and the window's
Open) called it missing. Every reader of stored documents now names it and never waits."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from factories import order_with_documents

from calnet_desk.exchange.bundle import BundleError, export_bundle, parse_scope
from calnet_desk.store import RecordError, Register
from calnet_desk.store import documents as docs

AS_OF = dt.date(2026, 12, 1)


def not_a_file(path: Path) -> None:
    """A named pipe at ``path``; where the system has none in its file system (Windows), a
    folder: neither is a regular file, and only the pipe could make a reader wait."""
    if hasattr(os, "mkfifo"):
        os.mkfifo(path)
    else:
        path.mkdir()


@pytest.fixture
def piped(reg: Register) -> tuple[Register, docs.Document]:
    """O-1 with one document whose stored file is replaced by a named pipe."""
    order_with_documents(reg, [b"%PDF-1.4 the scan"])
    [doc] = docs.all_documents(reg)
    path = docs.document_path(reg.paths, doc.sha256)
    os.chmod(path, 0o600)
    path.unlink()
    not_a_file(path)
    return reg, doc


def _without_waiting(work: Callable[[], Any], pipe: Path) -> BaseException | None:
    """What ``work`` raised (None: it returned), run on a thread; a writer lets it go if it
    waits on the pipe, and then the test fails."""
    raised: list[BaseException | None] = []

    def run() -> None:
        try:
            work()
            raised.append(None)
        except BaseException as e:  # noqa: BLE001 - handed to the test
            raised.append(e)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(60)  # a one-document register: done in well under a second
    stuck = worker.is_alive()
    if stuck:
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(60)
    assert not stuck, "it waited on the pipe"
    return raised[0]


def test_bundle_export_names_a_pipe_in_place_of_a_document(
        piped: tuple[Register, docs.Document], tmp_path: Path) -> None:
    reg, doc = piped
    out = tmp_path / "out" / "b.zip"
    out.parent.mkdir()
    pipe = docs.document_path(reg.paths, doc.sha256)
    e = _without_waiting(lambda: export_bundle(reg, out, parse_scope("all"), AS_OF,
                                               today=AS_OF), pipe)
    assert isinstance(e, BundleError), e
    assert str(e) == (f"the stored file of scan 0.pdf ({doc.sha256[:12]}…) is not a regular "
                      f"file ({pipe} holds a named pipe, a device or a folder in its place), "
                      "so it was not read; run verify, then restore it from a backup. "
                      "Nothing was written")
    assert list(out.parent.iterdir()) == []


def test_the_cli_export_bundle_says_so_with_exit_1(piped: tuple[Register, docs.Document],
                                                   tmp_path: Path, run_cli: Any) -> None:
    reg, doc = piped
    root = reg.paths.root
    reg.close()
    out = tmp_path / "b.zip"
    pipe = docs.document_path(docs.RegisterPaths(root), doc.sha256)
    done: list[Any] = []
    assert _without_waiting(lambda: done.append(run_cli(
        "--data-dir", str(root), "export-bundle", str(out), "--today", "2026-12-01")),
        pipe) is None
    r = done[0]
    assert r.code == 1 and "Traceback" not in r.err
    assert "scan 0.pdf" in r.err and "is not a regular file" in r.err
    assert not out.exists()


def test_opening_a_copy_names_the_pipe_not_a_missing_file(
        piped: tuple[Register, docs.Document], tmp_path: Path) -> None:
    reg, doc = piped
    pipe = docs.document_path(reg.paths, doc.sha256)
    e = _without_waiting(lambda: docs.export_copy(reg, doc, tmp_path / "copies"), pipe)
    assert isinstance(e, docs.NotAFile) and "is not a regular file" in str(e), e
    assert not (tmp_path / "copies").exists()


def test_a_pipe_swapped_in_after_the_look_is_found_on_the_open_file(
        piped: tuple[Register, docs.Document], monkeypatch: pytest.MonkeyPatch) -> None:
    """The race: the look (stat) saw a regular file, a pipe is there when it is opened.
    Opened without waiting (O_NONBLOCK), fstat finds it."""
    reg, doc = piped
    pipe = docs.document_path(reg.paths, doc.sha256)
    regular = os.stat(reg.paths.root / "register.sqlite3")
    real_stat = os.stat
    monkeypatch.setattr(docs.os, "stat", lambda p, *a, **k: regular if Path(p) == pipe
                        else real_stat(p, *a, **k))
    e = _without_waiting(lambda: docs.open_stored(reg.paths, doc.sha256, doc.name), pipe)
    if hasattr(os, "mkfifo"):
        assert isinstance(e, docs.NotAFile), e
    else:  # Windows: the folder in its place cannot even be opened
        assert isinstance(e, RecordError) and "cannot be read" in str(e), e


def test_the_windows_branch_looks_before_it_opens(reg: Register,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows has no O_NONBLOCK (and no pipes in the file system): there the look before
    opening is the check, and a stored document still opens and reads whole."""
    order_with_documents(reg, [b"%PDF-1.4 first", b"%PDF-1.4 second"])
    first, second = docs.all_documents(reg)
    monkeypatch.setattr(docs, "_POSIX", False)
    opened: list[int] = []
    real_open = os.open
    monkeypatch.setattr(docs.os, "open", lambda p, flags, *a: opened.append(flags)
                        or real_open(p, flags, *a))
    with docs.open_stored(reg.paths, first.sha256, first.name) as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == first.sha256  # read whole
    assert opened and not opened[0] & os.O_NONBLOCK
    path = docs.document_path(reg.paths, second.sha256)
    os.chmod(path, 0o600)
    path.unlink()
    not_a_file(path)
    e = _without_waiting(lambda: docs.open_stored(reg.paths, second.sha256, second.name),
                         path)
    assert isinstance(e, docs.NotAFile), e
    assert len(opened) == 1  # refused by the look: never opened
    assert not stat.S_ISREG(os.stat(path).st_mode)


def test_attach_names_a_pipe_or_a_folder_for_what_it_is(reg: Register, tmp_path: Path,
                                                        run_cli: Any) -> None:
    """`attach` of a named pipe or a folder said "no such file"; nothing is read from the
    pipe (no writer: reading it would wait) and nothing is attached."""
    order_with_documents(reg, [])
    root = reg.paths.root
    reg.close()
    if hasattr(os, "mkfifo"):  # (Windows has no pipes in its file system)
        pipe = tmp_path / "scan.pdf"
        os.mkfifo(pipe)
        r = run_cli("--data-dir", str(root), "attach", "--to", "orders:O-1", str(pipe))
        assert (r.code, r.err) == (1, f"calnet-desk-cli: {pipe} is not a regular file (a "
                                      "named pipe or a device), so it was not read; nothing "
                                      "was attached\n")
    r = run_cli("--data-dir", str(root), "attach", "--to", "orders:O-1", str(tmp_path))
    assert (r.code, r.err) == (1, f"calnet-desk-cli: {tmp_path} is a folder, not a file; "
                                  "nothing was attached. Attach each of its files\n")
    r = run_cli("--data-dir", str(root), "attach", "--to", "orders:O-1",
                str(tmp_path / "gone.pdf"))
    assert r.code == 1 and "gone.pdf: no such file; nothing was attached" in r.err
