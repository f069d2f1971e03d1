"""How long work reports on itself and is stopped: one ``Progress`` callback, one
``cancelled`` question, one ``Cancelled`` exception, for the CLI and the desktop alike
(the desktop adapts them to its progress dialog; see ui/worker.py)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Progress = Callable[[int, int], None]  # (done, total)
IsCancelled = Callable[[], bool]  # asked between steps: True stops the work

CANCELLED = "cancelled; nothing was changed"


class Cancelled(Exception):
    """The person cancelled: the transaction rolled back, partial files were removed.
    The message says what was kept."""

    def __init__(self, message: str = CANCELLED) -> None:
        super().__init__(message)


def check(cancelled: IsCancelled | None, message: str = CANCELLED) -> None:
    """Raise Cancelled when the person asked to stop."""
    if cancelled is not None and cancelled():
        raise Cancelled(message)


def reporting(progress: Progress | None, cancelled: IsCancelled | None) -> Progress:
    """One callback for work that only reports progress: it also stops the work (raises
    Cancelled) at the next report after a cancel."""

    def report(done: int, total: int) -> None:
        check(cancelled)
        if progress is not None:
            progress(done, total)

    return report


_collector_lock = threading.Lock()
_collector_users: list[bool] = []  # each running user's finding: was the collector on?


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused for the block, as for a bulk load: an import keeps
    a record per row, reconcile a group per service, verify parses and replays a bundle's
    history, and the collector would re-scan that growing heap again and again (a tenth of
    a large import's time, a third of reconcile's, a tenth of verify's checks) for cycles the
    work does not make. What the block frees is freed at once all the same (reference
    counting). The collector is process-wide: it is back on when the last block running (on
    any thread) ends, if it was on when the first began, whatever way each ends."""
    with _collector_lock:
        _collector_users.append(gc.isenabled())
        gc.disable()
    try:
        yield
    finally:
        with _collector_lock:
            was_on = _collector_users[0]
            _collector_users.pop()
            if not _collector_users and was_on:
                gc.enable()
