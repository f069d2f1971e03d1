"""Interpreter settings while a bundle is made or checked: the GIL handed over promptly while
a bundle's files are hashed or copied on threads of their own (verify's hashing thread,
export's documents' thread).

Between two reads such a thread needs the GIL for a moment; while the calling thread runs
Python it would wait up to the interpreter's switch interval (5 ms) each time, and the two
hardly overlapped (measured on issue 17's 500 MB bag; 0.05, 0.1, 0.2, 0.5, 1 and 5 ms were
tried).

The interval is the process's own: it is changed by the first user and put back by the last
one to end, whatever way it ends (an error, Ctrl-C), and a user never lengthens the
interval another user still running has shortened (progress.collector_paused does the same
for the cycle collector).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SWITCH_INTERVAL = 0.0001  # seconds (sys.setswitchinterval) while such a thread runs
_lock = threading.Lock()
_users: list[float] = []  # each running user's interval found on entry; [0]: the process's


@contextmanager
def prompt_handover(interval: float | None = None) -> Iterator[None]:
    """The GIL handed over every ``interval`` seconds (default SWITCH_INTERVAL) while this
    runs, or more often when another user asked for that; the process's own interval is
    put back when the last user ends."""
    with _lock:
        before = sys.getswitchinterval()
        # set before the user is counted: a refused interval leaves nothing behind
        sys.setswitchinterval(min(SWITCH_INTERVAL if interval is None else interval, before))
        _users.append(before)
    try:
        yield
    finally:
        with _lock:
            first = _users[0]
            _users.pop()
            if not _users:
                sys.setswitchinterval(first)
