"""The desktop's one background mechanism (ui/worker.py): jobs off the GUI thread with
progress and cancel, results and errors back by signal, the default error dialog."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from calnet_desk.progress import check
from calnet_desk.store import RecordError
from ui.worker import Background, wait_for


def test_wait_for_returns_the_result_and_raises_the_error_on_the_gui_thread(qapp: Any) -> None:
    gui = threading.get_ident()
    ran_on: list[int] = []

    def job() -> int:
        ran_on.append(threading.get_ident())
        return 42

    assert wait_for(job) == 42
    assert ran_on and ran_on[0] != gui

    def refused() -> None:
        raise RecordError("no order HO-404 in the register")

    with pytest.raises(RecordError, match="HO-404"):
        wait_for(refused)


def test_a_background_job_reports_progress_and_stops_when_cancelled(qtbot: Any) -> None:
    background = Background()
    started, go_on = threading.Event(), threading.Event()
    seen: list[tuple[int, int]] = []
    failed: list[tuple[str, str]] = []

    def job(progress: Any, cancelled: Any) -> str:
        progress(1, 3)
        started.set()
        go_on.wait(10)
        check(cancelled, "the export was cancelled; nothing was written")
        return "finished"

    ticket = background.run(job, lambda r: failed.append(("done", r)),
                            lambda m, d: failed.append((m, d)), lambda d, t: seen.append((d, t)))
    assert started.wait(10)
    ticket.cancel.set()
    go_on.set()
    qtbot.waitUntil(lambda: bool(failed), timeout=10000)
    assert failed == [("the export was cancelled; nothing was written", "")]  # no traceback
    assert seen == [(1, 3)]
    assert ticket.finished.is_set()
    background.close()


def test_a_failure_without_its_own_handler_gets_the_default_error_dialog(
        qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import messages as dialogs

    shown: list[tuple[str, str, str]] = []
    monkeypatch.setattr(dialogs, "show_error",
                        lambda parent, title, m, d="": shown.append((title, m, d)))
    background = Background()

    def job(progress: Any, cancelled: Any) -> None:
        raise RecordError("no order HO-404 in the register")

    background.run(job, lambda r: None)  # no error callback: the default dialog
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    [(title, message, details)] = shown
    assert (title, message) == ("Not done", "no order HO-404 in the register")
    assert "RecordError" in details  # the traceback, copyable
    background.close()


def test_closing_the_writer_while_a_job_runs_still_frees_the_register(
        qtbot: Any, tmp_path: Any) -> None:
    """The way out of a damaged register (go read-only, then restore) failed under load with
    "the register is open for changes by ... (this process)": the close was posted while the
    daily backup ran, and quit() ended the thread's loop before it was delivered, so the
    connection and the lock stayed open."""
    from calnet_desk.store import Register
    from ui.worker import Writer

    root = tmp_path / "reg"
    Register.create(root, agency="Big Dept", agency_class="non-exempt-state").close()
    writer = Writer(root)
    opened: list[str] = []
    writer.opened.connect(opened.append)
    qtbot.waitUntil(lambda: bool(opened), timeout=10000)
    assert opened == [""]
    started, closing, go_on = threading.Event(), threading.Event(), threading.Event()

    def job(reg: Any, progress: Any, cancelled: Any) -> str:
        started.set()
        go_on.wait(10)
        return "backed up"

    def release_when_closing() -> None:
        closing.wait(10)
        go_on.set()  # the job ends just after the close was asked for

    writer.submit(job, lambda _: None, lambda m, d: None)
    assert started.wait(10)
    threading.Thread(target=release_when_closing).start()
    closing.set()
    writer.shutdown()
    assert writer.worker.reg is None  # closed on its own thread before the thread stopped
    Register.open(root, write=True).close()  # the lock is free: restore can take it


def test_a_writer_opened_later_opens_with_its_first_job_or_when_asked(
        qtbot: Any, tmp_path: Any) -> None:
    """The start opens the write connection after the first paint (Session(writer_later=
    True)); a write asked for before that opens it first, and it is opened once."""
    from calnet_desk import demo
    from calnet_desk.records import KINDS
    from calnet_desk.store import Register
    from calnet_desk.store.lock import RegisterLocked
    from ui.session import Session

    root = tmp_path / "reg"
    demo.create_demo(root, orders=3).close()
    session = Session(root, writer_later=True)
    try:
        assert session.writer is not None and not session.writer.worker.tried
        with Register.open(root, write=True):  # nobody holds the lock yet
            pass
        done: list[Any] = []
        with qtbot.waitSignal(session.writer_ready, timeout=10000) as ready:
            session.writer.submit(lambda reg, progress, cancelled: reg.count(KINDS["orders"]),
                                  done.append, lambda m, d: done.append(m))
        assert ready.args == [""]
        qtbot.waitUntil(lambda: bool(done), timeout=10000)
        assert done == [3]
        with pytest.raises(RegisterLocked):  # the writer holds it now
            Register.open(root, write=True)
        with qtbot.assertNotEmitted(session.writer_ready, wait=100):
            session.open_writer()  # once only
    finally:
        session.close()
