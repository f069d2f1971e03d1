"""An open register as the window sees it: a read-only connection on the GUI thread for the
tables, the writer thread for changes, and background readers (their own read-only
connections) for the slow computations — deadlines and findings over 100,000 orders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from calnet_desk.progress import IsCancelled, Progress
from calnet_desk.store import Register

from .worker import Background, Job, Ticket, Writer, show_failure


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
    from calnet_desk.policy.deadlines import deadlines

    return deadlines(reg, today)


def compute_findings(reg: Register, today: dt.date) -> list[Any]:
    from calnet_desk.policy.findings import current_findings

    return current_findings(reg, today)


def compute_overview(reg: Register, today: dt.date) -> Overview:
    return Overview(today, compute_deadlines(reg, today), compute_findings(reg, today))


IDLE_MS = 2_000  # a write followed by this long without another: the window is idle
RETRY_MS = 5_000  # a reader pinned a snapshot: try again after this, doubling…
RETRY_MAX_MS = 120_000  # …up to this


class Session(QObject):
    overview_ready = Signal(object)
    changed = Signal(str, str)  # kind, key ("" when many)
    writer_ready = Signal(str)  # "" or why writing is unavailable
    checkpointed = Signal(bool)  # an idle checkpoint ran: True when the main file has all

    def __init__(self, root: Path, read_only: bool = False,
                 today: Callable[[], dt.date] = dt.date.today,
                 parent: QObject | None = None, check: bool = True,
                 writer_later: bool = False) -> None:
        super().__init__(parent)
        self.root = root
        self.today = today
        # check=False: the caller runs the integrity check itself (see check_async)
        self.reader = Register.open(root, write=False, check=check)
        self.read_only = read_only
        self.writer: Writer | None = None
        self.overview: Overview | None = None
        self._findings_released = True
        self._findings_due: tuple[dt.date, Callable[[str, str], None] | None] | None = None
        self.background = Background(self)
        self.closed = False
        # When the window goes idle after a write, the commits are copied from the -wal into
        # the main file (issue 14 item 2), retrying while a reader pins a snapshot.
        self.idle_ms, self.retry_ms = IDLE_MS, RETRY_MS
        self._retries = 0
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.timeout.connect(self._checkpoint)
        if not read_only:
            # check=False: the session's caller runs quick_check (check_async), not the writer
            # writer_later: its connection opens with open_writer() (the start calls it once
            # the first page is painted) or with the first write, whichever comes first
            self.writer = Writer(root, self, check=check, open_now=not writer_later)
            self.writer.opened.connect(self._writer_opened)
            self.writer.job_ended.connect(self._wrote)

    def open_writer(self) -> None:
        if self.writer is not None:
            self.writer.open()

    @Slot(str)
    def _writer_opened(self, error: str) -> None:
        if error:
            self.read_only = True
        self.writer_ready.emit(error)

    @Slot()
    def _wrote(self) -> None:
        self._retries = 0
        self._idle.start(self.idle_ms)  # restarted by each write: fires once idle

    @Slot()
    def _checkpoint(self) -> None:
        from calnet_desk.store.wal import checkpoint

        if self.closed or self.writer is None:
            return
        if self.writer.busy():  # not idle yet: the write's end starts the timer again
            return
        database = self.reader.paths.database
        self.background.run(lambda progress, cancelled: checkpoint(database).complete,
                            self._checkpoint_done, lambda message, details:
                            self._checkpoint_done(False))

    def _checkpoint_done(self, complete: bool) -> None:
        if not complete and not self.closed:  # a reader holds an older snapshot: later
            delay = min(self.retry_ms * 2 ** self._retries, RETRY_MAX_MS)
            self._retries += 1
            if not self._idle.isActive():  # a newer write's timer wins
                self._idle.start(delay)
        self.checkpointed.emit(complete)

    def agency(self) -> dict[str, Any]:
        return dict(self.reader.agency())

    def read_async(self, fn: Callable[[Register], Any], on_done: Callable[[Any], None],
                   on_error: Callable[[str, str], None] | None = None) -> Ticket:
        """``fn(reg)`` on a background reader (its own read-only connection)."""
        return self.read_job(lambda reg, progress, cancelled: fn(reg), on_done, on_error)

    def read_job(self, job: Job, on_done: Callable[[Any], None],
                 on_error: Callable[[str, str], None] | None = show_failure,
                 on_progress: Callable[[int, int], None] | None = None) -> Ticket:
        """``job(reg, progress, cancelled)`` on a background reader, with progress and a
        ticket whose cancel stops it at its next step."""
        root = self.root

        def run(progress: Progress, cancelled: IsCancelled) -> Any:
            # the session's own connection ran quick_check at open already
            with Register.open(root, write=False, check=False) as reg:
                return job(reg, progress, cancelled)

        return self.background.run(run, on_done, on_error, on_progress)

    def check_async(self, on_done: Callable[[str | None], None]) -> None:
        """SQLite's quick_check on a background connection: None when sound."""
        self.read_async(lambda reg: reg.quick_check(), on_done,
                        lambda message, details: on_done(message))

    def go_read_only(self) -> None:
        """Stop writing (the integrity check found damage): the write connection closes on
        its thread and the lock is released; reading goes on."""
        self.read_only = True
        if self.writer is not None:
            self.writer.shutdown()
            self.writer = None

    def refresh_overview(self, on_error: Callable[[str, str], None] | None = None,
                         with_findings: bool = True, hold_findings: bool = False,
                         here_within_ms: int = 0) -> None:
        """The deadlines, then the findings, in the background. ``hold_findings``: the
        findings (a pass over every record) wait for release_findings() — the start keeps
        them off the CPU until the first page is painted. ``here_within_ms`` (the start,
        which waits for the deadlines before it builds the window): the deadlines are
        computed here first, on this thread's connection, unless SQLite is still at them
        after that long; then they are computed in the background as usual."""
        today = self.today()
        self._findings_released = not hold_findings
        self._findings_due = None

        def deadlines_done(found: list[Any]) -> None:
            self.overview = Overview(today, found, None)
            self.overview_ready.emit(self.overview)
            if with_findings:
                self._findings_due = (today, on_error)
                if self._findings_released:
                    self._start_findings()

        if here_within_ms > 0:
            found = self._deadlines_here(today, here_within_ms)
            if found is not None:
                deadlines_done(found)
                return
        self.read_async(lambda reg: compute_deadlines(reg, today), deadlines_done, on_error)

    def _deadlines_here(self, today: dt.date, within_ms: int) -> list[Any] | None:
        """The deadlines on the session's own reader, or None when SQLite was interrupted
        after ``within_ms`` (or they failed: the background computation reports that as
        usual). The window waits for them anyway, so here they need no second connection
        and thread, nor share the GIL with the window's build: a thread's every SQLite call
        hands the GIL back and waits for it again, ~3 ms of the start (issue 16 item 15)."""
        try:
            with self.reader.within(within_ms / 1000):
                return compute_deadlines(self.reader, today)
        except Exception:  # interrupted (store.Interrupted), or failed: the background
            return None  # computation does them again, and says why should they fail

    def release_findings(self) -> None:
        """Findings held back by refresh_overview(hold_findings=True) start now, or as soon
        as the deadlines are in."""
        self._findings_released = True
        if self._findings_due is not None:
            self._start_findings()

    def _start_findings(self) -> None:
        assert self._findings_due is not None
        today, on_error = self._findings_due
        self._findings_due = None

        def findings_done(found: list[Any]) -> None:
            if self.overview is not None and self.overview.today == today:
                self.overview = Overview(today, self.overview.deadlines, found)
                self.overview_ready.emit(self.overview)

        self.read_async(lambda reg: compute_findings(reg, today), findings_done, on_error)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._idle.stop()
        self.background.close()
        if self.writer:
            self.writer.shutdown()
        self.reader.close()
