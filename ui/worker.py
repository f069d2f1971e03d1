"""One thread owns the writes: the register's write connection lives on it (sqlite3
connections belong to the thread that made them), jobs run there one at a time, results
come back to the GUI thread by signal. Core functions take plain callbacks for progress and
cancellation; this adapts them to Qt."""

from __future__ import annotations

import itertools
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from calnet_desk.store import Register

Job = Callable[[Register, Callable[[int, int], None], Callable[[], bool]], Any]


class Cancelled(Exception):
    """Raised by a job that saw its cancel flag; its transaction rolls back."""


@dataclass
class Ticket:
    id: int
    cancel: threading.Event = field(default_factory=threading.Event)


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

    @Slot()
    def open(self) -> None:
        try:
            self.reg = Register.open(self.root, write=True, check=self.check)
            self.opened.emit("")
        except Exception as e:  # shown to the person by the GUI side
            self.opened.emit(str(e))

    @Slot(int, object, object)
    def run(self, job_id: int, job: Job, cancel: threading.Event) -> None:
        if self.reg is None:
            self.failed.emit(job_id, "the register is open read-only", "")
            return

        def report(done: int, total: int) -> None:
            self.progress.emit(job_id, done, total)

        try:
            result = job(self.reg, report, cancel.is_set)
        except Cancelled:
            self.failed.emit(job_id, "cancelled; nothing was changed", "")
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
    _submit = Signal(int, object, object)
    _open = Signal()
    _close = Signal()

    def __init__(self, root: Path, parent: QObject | None = None, check: bool = True) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Callable[[Any], None], Callable[[str, str], None]]] = {}
        self.thread = QThread()
        self.thread.setObjectName("register-writer")
        self.worker = _Worker(root, check)
        self.worker.moveToThread(self.thread)
        self._submit.connect(self.worker.run)
        self._open.connect(self.worker.open)
        self._close.connect(self.worker.close)
        self.worker.opened.connect(self.opened)
        self.worker.done.connect(self._on_done)
        self.worker.failed.connect(self._on_failed)
        self.worker.progress.connect(self.progress)
        self.thread.start()
        self._open.emit()

    def submit(self, job: Job, on_done: Callable[[Any], None],
               on_error: Callable[[str, str], None]) -> Ticket:
        ticket = Ticket(next(self._ids))
        self._callbacks[ticket.id] = (on_done, on_error)
        self._submit.emit(ticket.id, job, ticket.cancel)
        return ticket

    def busy(self) -> bool:
        return bool(self._callbacks)

    @Slot(int, object)
    def _on_done(self, job_id: int, result: object) -> None:
        callbacks = self._callbacks.pop(job_id, None)
        if callbacks:  # none after shutdown: the window that asked is gone
            callbacks[0](result)

    @Slot(int, str, str)
    def _on_failed(self, job_id: int, message: str, details: str) -> None:
        callbacks = self._callbacks.pop(job_id, None)
        if callbacks:
            callbacks[1](message, details)

    def shutdown(self) -> None:
        """Close the write connection on its own thread, then stop the thread."""
        self._close.emit()
        self.thread.quit()
        self.thread.wait()
        self._callbacks.clear()
