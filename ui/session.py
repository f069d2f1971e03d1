"""An open register as the window sees it: a read-only connection on the GUI thread for the
tables, the writer thread for changes, and background readers (their own read-only
connections) for the slow computations — deadlines and findings over 100,000 orders."""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from calnet_desk.store import Register

from .worker import Writer


class _Relay(QObject):
    done = Signal(object)
    failed = Signal(str, str)


class _ReadTask(QRunnable):
    def __init__(self, root: Path, fn: Callable[[Register], Any], relay: _Relay) -> None:
        super().__init__()
        self.root, self.fn, self.relay = root, fn, relay

    def run(self) -> None:
        try:
            with Register.open(self.root, write=False) as reg:
                result = self.fn(reg)
        except Exception as e:
            self.relay.failed.emit(str(e), traceback.format_exc())
        else:
            self.relay.done.emit(result)


@dataclass
class Overview:
    """Deadlines and findings as of a date, computed together in the background."""

    today: dt.date
    deadlines: list[Any] = field(default_factory=list)
    findings: list[Any] = field(default_factory=list)

    def for_record(self, kind: str, key: str) -> tuple[list[Any], list[Any]]:
        return ([d for d in self.deadlines if d.record_kind == kind and d.key == key],
                [f for f in self.findings if f.kind == kind and f.key == key])


def compute_overview(reg: Register, today: dt.date) -> Overview:
    from calnet_desk.deadlines import deadlines
    from calnet_desk.policy.findings import findings

    return Overview(today, deadlines(reg, today), findings(reg, today))


class Session(QObject):
    overview_ready = Signal(object)
    changed = Signal(str, str)  # kind, key ("" when many)
    writer_ready = Signal(str)  # "" or why writing is unavailable

    def __init__(self, root: Path, read_only: bool = False,
                 today: Callable[[], dt.date] = dt.date.today,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.root = root
        self.today = today
        self.reader = Register.open(root, write=False)
        self.read_only = read_only
        self.writer: Writer | None = None
        self.overview: Overview | None = None
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._relays: set[_Relay] = set()
        self.closed = False
        if not read_only:
            self.writer = Writer(root, self)
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
        relay = _Relay()
        self._relays.add(relay)

        def finish(result: object) -> None:
            self._relays.discard(relay)
            if not self.closed:  # a result that arrives after the window closed is dropped
                on_done(result)

        def fail(message: str, details: str) -> None:
            self._relays.discard(relay)
            if on_error and not self.closed:
                on_error(message, details)

        relay.done.connect(finish)
        relay.failed.connect(fail)
        self.pool.start(_ReadTask(self.root, fn, relay))

    def refresh_overview(self, on_error: Callable[[str, str], None] | None = None) -> None:
        today = self.today()
        self.read_async(lambda reg: compute_overview(reg, today), self._overview_done,
                        on_error)

    def _overview_done(self, overview: Overview) -> None:
        self.overview = overview
        self.overview_ready.emit(overview)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.pool.waitForDone()
        if self.writer:
            self.writer.shutdown()
        self.reader.close()
