"""The GIL handed over promptly while a bundle's files are hashed or copied on threads of
their own (verify's hashing threads, export's documents' thread).

Between two reads such a thread needs the GIL for a moment; while the calling thread runs
Python it would wait up to the interpreter's switch interval (5 ms) each time, and the two
hardly overlapped (measured on issue 17's 500 MB bag; 0.2, 0.5, 1 and 5 ms were tried).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SWITCH_INTERVAL = 0.0005  # seconds (sys.setswitchinterval) while such a thread runs
_lock = threading.Lock()
_users: list[float] = []  # the interval before the first user still running began


@contextmanager
def prompt_handover(interval: float | None = None) -> Iterator[None]:
    """The GIL handed over every ``interval`` seconds (default SWITCH_INTERVAL) while this
    runs; the process's own interval is put back when the last user ends."""
    with _lock:
        _users.append(sys.getswitchinterval())
        sys.setswitchinterval(min(SWITCH_INTERVAL if interval is None else interval,
                                  _users[0]))
    try:
        yield
    finally:
        with _lock:
            first = _users[0]
            _users.pop()
            if not _users:
                sys.setswitchinterval(first)
