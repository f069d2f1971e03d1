"""An open register as the window sees it: a read-only connection on the GUI thread for the
tables, the writer thread for changes, and background readers (their own read-only
connections) for the slow computations — deadlines and findings over 100,000 orders."""

from __future__ import annotations

import datetime as dt
import itertools
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from calnet_desk.store import Register

from .worker import Writer


class _Relay(QObject):
    """Carries background results to the GUI thread; one per session, outliving its tasks."""

    done = Signal(int, object)
    failed = Signal(int, str, str)


class _ReadTask(QRunnable):
    def __init__(self, root: Path, fn: Callable[[Register], Any], relay: _Relay,
                 task_id: int) -> None:
        super().__init__()
        self.root, self.fn, self.relay, self.task_id = root, fn, relay, task_id

    def run(self) -> None:
        try:
            # the session's own connection ran quick_check at open already
            with Register.open(self.root, write=False, check=False) as reg:
                result = self.fn(reg)
        except Exception as e:
            self.relay.failed.emit(self.task_id, str(e), traceback.format_exc())
        else:
            self.relay.done.emit(self.task_id, result)


@dataclass
class Overview:
    """Deadlines and findings as of a date, computed in the background: the deadlines
    first (quick), the findings after them (a pass over every record)."""

    today: dt.date
    deadlines: list[Any] = field(default_factory=list)
    findings: list[Any] | None = None  # None while they are being checked

    def for_record(self, kind: str, key: str) -> tuple[list[Any], list[Any]]:
        return ([d for d in self.deadlines if d.record_kind == kind and d.key == key],
                [f for f in self.findings or [] if f.kind == kind and f.key == key])


def compute_deadlines(reg: Register, today: dt.date) -> list[Any]:
    from calnet_desk.deadlines import deadlines

    return deadlines(reg, today)


def compute_findings(reg: Register, today: dt.date) -> list[Any]:
    from calnet_desk.policy.findings import findings

    return findings(reg, today)


def compute_overview(reg: Register, today: dt.date) -> Overview:
    return Overview(today, compute_deadlines(reg, today), compute_findings(reg, today))


class Session(QObject):
    overview_ready = Signal(object)
    changed = Signal(str, str)  # kind, key ("" when many)
    writer_ready = Signal(str)  # "" or why writing is unavailable

    def __init__(self, root: Path, read_only: bool = False,
                 today: Callable[[], dt.date] = dt.date.today,
                 parent: QObject | None = None, check: bool = True) -> None:
        super().__init__(parent)
        self.root = root
        self.today = today
        # check=False: the caller runs the integrity check itself (see check_async)
        self.reader = Register.open(root, write=False, check=check)
        self.read_only = read_only
        self.writer: Writer | None = None
        self.overview: Overview | None = None
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self._relay = _Relay(self)
        self._relay.done.connect(self._task_done)
        self._relay.failed.connect(self._task_failed)
        self._tasks: dict[int, tuple[Callable[[Any], None],
                                     Callable[[str, str], None] | None]] = {}
        self._task_ids = itertools.count(1)
        self.closed = False
        if not read_only:
            # check=False: the session's caller runs quick_check (check_async), not the writer
            self.writer = Writer(root, self, check=check)
            self.writer.opened.connect(self._writer_opened)

    @Slot(str)
    def _writer_opened(self, error: str) -> None:
        if error:
            self.read_only = True
        self.writer_ready.emit(error)

    def agency(self) -> dict[str, Any]:
        return dict(self.reader.agency())

    def read_async(self, fn: Callable[[Register], Any], on_done: Callable[[Any], None],
                   on_error: Callable[[str, str], None] | None = None) -> None:
        task_id = next(self._task_ids)
        self._tasks[task_id] = (on_done, on_error)
        self.pool.start(_ReadTask(self.root, fn, self._relay, task_id))

    @Slot(int, object)
    def _task_done(self, task_id: int, result: object) -> None:
        on_done, _ = self._tasks.pop(task_id, (None, None))
        if on_done and not self.closed:  # a result after the window closed is dropped
            on_done(result)

    @Slot(int, str, str)
    def _task_failed(self, task_id: int, message: str, details: str) -> None:
        _, on_error = self._tasks.pop(task_id, (None, None))
        if on_error and not self.closed:
            on_error(message, details)

    def check_async(self, on_done: Callable[[str | None], None]) -> None:
        """SQLite's quick_check on a background connection: None when sound."""
        from calnet_desk.store.register import quick_check

        self.read_async(lambda reg: quick_check(reg.conn), on_done,
                        lambda message, details: on_done(message))

    def go_read_only(self) -> None:
        """Stop writing (the integrity check found damage): the write connection closes on
        its thread and the lock is released; reading goes on."""
        self.read_only = True
        if self.writer is not None:
            self.writer.shutdown()
            self.writer = None

    def refresh_overview(self, on_error: Callable[[str, str], None] | None = None,
                         with_findings: bool = True) -> None:
        today = self.today()

        def deadlines_done(found: list[Any]) -> None:
            self.overview = Overview(today, found, None)
            self.overview_ready.emit(self.overview)
            if with_findings:
                self.read_async(lambda reg: compute_findings(reg, today), findings_done,
                                on_error)

        def findings_done(found: list[Any]) -> None:
            if self.overview is not None and self.overview.today == today:
                self.overview = Overview(today, self.overview.deadlines, found)
                self.overview_ready.emit(self.overview)

        self.read_async(lambda reg: compute_deadlines(reg, today), deadlines_done, on_error)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.pool.waitForDone()
        if self.writer:
            self.writer.shutdown()
        self.reader.close()
