"""Work off the GUI thread, in the manner of anki's CollectionOp and QueryOp.

Writes: one thread owns them (``Writer``): the register's write connection lives on it
(sqlite3 connections belong to the thread that made them), jobs run there one at a time.
Reads and other long work (``Background``): a small thread pool, each job with its own
read-only connection when it needs the register. Both take jobs with plain ``progress`` and
``cancelled`` callbacks (the core's operations), give back a ``Ticket`` whose ``cancel`` stops
the job at its next step, and bring results, progress and errors back to the GUI thread by
signal. Without an error callback a job's failure is shown in the default error dialog."""

from __future__ import annotations

import itertools
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal, Slot

from calnet_desk.progress import Cancelled, IsCancelled, Progress
from calnet_desk.store import Register

Job = Callable[[Register, Progress, IsCancelled], Any]


def operation(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Job:
    """A core operation (calnet_desk.operations) as a writer job: the register first, the
    job's progress and cancelled callbacks last."""

    def job(reg: Register, progress: Progress, cancelled: IsCancelled) -> Any:
        return fn(reg, *args, progress=progress, cancelled=cancelled, **kwargs)

    return job


@dataclass
class Ticket:
    id: int
    cancel: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)  # ended, either way

    def cancel_and_wait(self) -> None:
        """Ask the job to stop and wait until it has (its partial files are gone)."""
        self.cancel.set()
        self.finished.wait()


OnDone = Callable[[Any], None]
OnError = Callable[[str, str], None]
OnProgress = Callable[[int, int], None]


def show_failure(message: str, details: str) -> None:
    """The default error dialog of a background job without its own error handling."""
    from PySide6.QtWidgets import QApplication

    from .messages import show_error

    show_error(QApplication.activeWindow(), "Not done", message, details)


class _Relay(QObject):
    """Carries a pool's results to the GUI thread; one per Background, outliving its jobs."""

    done = Signal(int, object)
    failed = Signal(int, str, str)
    progress = Signal(int, int, int)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[Progress, IsCancelled], Any], relay: _Relay,
                 ticket: Ticket) -> None:
        super().__init__()
        self.fn, self.relay, self.ticket = fn, relay, ticket

    def run(self) -> None:
        ticket = self.ticket

        def report(done: int, total: int) -> None:
            self.relay.progress.emit(ticket.id, done, total)

        try:
            result = self.fn(report, ticket.cancel.is_set)
        except Cancelled as e:
            self.relay.failed.emit(ticket.id, str(e), "")
        except Exception as e:
            self.relay.failed.emit(ticket.id, str(e), traceback.format_exc())
        else:
            self.relay.done.emit(ticket.id, result)
        finally:
            ticket.finished.set()


class Background(QObject):
    """Jobs on a small thread pool: ``run(fn, on_done, on_error, on_progress) -> Ticket``
    where ``fn(progress, cancelled)`` never touches widgets. Results that arrive after
    ``close()`` are dropped (the window that asked is gone)."""

    def __init__(self, parent: QObject | None = None, threads: int = 2) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._relay = _Relay(self)
        self._relay.done.connect(self._done)
        self._relay.failed.connect(self._failed)
        self._relay.progress.connect(self._progress)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[OnDone, OnError | None, OnProgress | None]] = {}
        self.closed = False

    def run(self, fn: Callable[[Progress, IsCancelled], Any], on_done: OnDone,
            on_error: OnError | None = show_failure,
            on_progress: OnProgress | None = None) -> Ticket:
        ticket = Ticket(next(self._ids))
        self._callbacks[ticket.id] = (on_done, on_error, on_progress)
        self.pool.start(_Task(fn, self._relay, ticket))
        return ticket

    @Slot(int, object)
    def _done(self, task_id: int, result: object) -> None:
        on_done, _, _ = self._callbacks.pop(task_id, (None, None, None))
        if on_done and not self.closed:
            on_done(result)

    @Slot(int, str, str)
    def _failed(self, task_id: int, message: str, details: str) -> None:
        _, on_error, _ = self._callbacks.pop(task_id, (None, None, None))
        if on_error and not self.closed:
            on_error(message, details)

    @Slot(int, int, int)
    def _progress(self, task_id: int, done: int, total: int) -> None:
        callbacks = self._callbacks.get(task_id)
        if callbacks and callbacks[2] and not self.closed:
            callbacks[2](done, total)

    def close(self) -> None:
        """Wait for the running jobs; their results are dropped."""
        self.closed = True
        self.pool.waitForDone()
        self._callbacks.clear()


class _Worker(QObject):
    opened = Signal(str)  # "" when fine, else the error message
    done = Signal(int, object)
    failed = Signal(int, str, str)  # job id, message, details
    progress = Signal(int, int, int)

    def __init__(self, root: Path, check: bool = True) -> None:
        super().__init__()
        self.root = root
        self.check = check
        self.reg: Register | None = None
        self.tried = False

    @Slot()
    def open(self) -> None:
        if self.tried:  # once (a job submitted before the open opens it first)
            return
        self.tried = True
        try:
            self.reg = Register.open(self.root, write=True, check=self.check)
            self.opened.emit("")
        except Exception as e:  # shown to the person by the GUI side
            self.opened.emit(str(e))

    @Slot(int, object, object)
    def run(self, job_id: int, job: Job, ticket: Ticket) -> None:
        try:
            self._run(job_id, job, ticket)
        finally:
            ticket.finished.set()

    def _run(self, job_id: int, job: Job, ticket: Ticket) -> None:
        self.open()
        if self.reg is None:
            self.failed.emit(job_id, "the register is open read-only", "")
            return

        def report(done: int, total: int) -> None:
            self.progress.emit(job_id, done, total)

        try:
            result = job(self.reg, report, ticket.cancel.is_set)
        except Cancelled as e:  # its transaction rolled back
            self.failed.emit(job_id, str(e), "")
        except Exception as e:
            self.failed.emit(job_id, str(e), traceback.format_exc())
        else:
            self.done.emit(job_id, result)

    @Slot()
    def close(self) -> None:
        if self.reg is not None:
            self.reg.close()
            self.reg = None


class Writer(QObject):
    """GUI-side handle: submit(job, on_done, on_error) -> Ticket."""

    opened = Signal(str)
    progress = Signal(int, int, int)
    job_ended = Signal()  # a job finished, either way (the register may have changed)
    _submit = Signal(int, object, object)
    _open = Signal()
    _close = Signal()

    def __init__(self, root: Path, parent: QObject | None = None, check: bool = True,
                 open_now: bool = True) -> None:
        """``open_now=False``: the write connection is opened by open(), or by the first
        job submitted, whichever comes first."""
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Callable[[Any], None], Callable[[str, str], None]]] = {}
        self._thread = QThread()
        self._thread.setObjectName("register-writer")
        self.worker = _Worker(root, check)
        self.worker.moveToThread(self._thread)
        self._submit.connect(self.worker.run)
        self._open.connect(self.worker.open)
        self._close_connected = False  # by shutdown(): see there
        self.worker.opened.connect(self.opened)
        self.worker.done.connect(self._on_done)
        self.worker.failed.connect(self._on_failed)
        self.worker.progress.connect(self.progress)
        self._thread.start()
        if open_now:
            self.open()

    def open(self) -> None:
        """Open the write connection on its thread (once; ``opened`` says how it went)."""
        self._open.emit()

    def submit(self, job: Job, on_done: Callable[[Any], None],
               on_error: Callable[[str, str], None] = show_failure) -> Ticket:
        ticket = Ticket(next(self._ids))
        self._callbacks[ticket.id] = (on_done, on_error)
        self._submit.emit(ticket.id, job, ticket)
        return ticket

    def busy(self) -> bool:
        return bool(self._callbacks)

    @Slot(int, object)
    def _on_done(self, job_id: int, result: object) -> None:
        callbacks = self._callbacks.pop(job_id, None)
        if callbacks:  # none after shutdown: the window that asked is gone
            callbacks[0](result)
        self.job_ended.emit()

    @Slot(int, str, str)
    def _on_failed(self, job_id: int, message: str, details: str) -> None:
        callbacks = self._callbacks.pop(job_id, None)
        if callbacks:
            callbacks[1](message, details)
        self.job_ended.emit()

    def shutdown(self) -> None:
        """Close the write connection on its own thread, then stop the thread."""
        if not self._close_connected:
            # blocking: this returns only once the connection (and the register's lock) is
            # closed; a queued call posted while a job ran could be dropped by quit() and keep
            # the lock. Connected here, not at start: the first `Qt` PySide is asked for makes
            # it build the whole namespace's enums (~25 ms of the cold start, issue 16 item 15).
            from PySide6.QtCore import Qt

            self._close.connect(self.worker.close, Qt.ConnectionType.BlockingQueuedConnection)
            self._close_connected = True
        self._close.emit()
        self._thread.quit()
        self._thread.wait()
        self._callbacks.clear()


def wait_for(fn: Callable[[], Any]) -> Any:
    """``fn()`` on a background thread while the GUI thread keeps painting (a local event
    loop), for the steps that must end before a window can open: opening and migrating the
    register, the first run, the demo, a restore. Its result, or its exception, comes back
    here as if it had been called directly."""
    from PySide6.QtCore import QEventLoop

    outcome: list[tuple[bool, Any]] = []

    def task(progress: Progress, cancelled: IsCancelled) -> None:
        try:
            outcome.append((True, fn()))
        except BaseException as e:  # re-raised on the GUI thread below
            outcome.append((False, e))

    loop = QEventLoop()
    background = Background(threads=1)
    background.run(task, lambda _: loop.quit(), lambda message, details: loop.quit())
    loop.exec()  # the job's end is delivered inside this loop, even when it came first
    background.close()
    ok, value = outcome[0]
    if ok:
        return value
    raise value
