"""Fault injection for the crash harness: named points where a test may kill the process.

Off unless the environment variable ``CALNET_DESK_FAULT`` is set to ``NAME`` or
``NAME:N`` (kill at the Nth time the point NAME is reached, default the first). The
process then dies at once, as kill -9 or a power cut would end it: no cleanup runs.
``NAME:N:INT`` or ``NAME:N:TERM`` sends SIGINT (Ctrl-C) or SIGTERM there instead. The
points are listed in ``POINTS`` so the harness can pick among them with a seed.
"""

from __future__ import annotations

import os
import signal
import sys

ENV = "CALNET_DESK_FAULT"
POINTS = (
    "import-batch",        # records written by put_many, not yet committed
    "commit",              # just before a transaction commits
    "after-commit",        # just after a transaction committed
    "document-incoming",   # a document's bytes are in temp/, not yet in the store
    "document-stored",     # a document's file is in the store, its row not yet written
    "backup-documents",    # a backup copied a document, the backup is not yet published
    "backup-published",    # the backup folder is in place, thinning not yet done
    "restore-prepared",    # the backup copy is ready, the current database not yet moved
    "restore-between-renames",  # the current database moved aside, the backup not in place
    "bundle-unpacked",     # a bundle unpacked for merge or verify-bundle, not yet removed
)
_counts: dict[str, int] = {}


def _target() -> tuple[str, int, str] | None:
    spec = os.environ.get(ENV)
    if not spec:
        return None
    name, _, rest = spec.partition(":")
    nth, _, sig = rest.partition(":")
    return name, int(nth) if nth.isdigit() else 1, sig or "KILL"


def point(name: str) -> None:
    """A place where the harness may kill the process (a no-op unless asked)."""
    target = _target()
    if target is None or target[0] != name:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] < target[1]:
        return
    if target[2] != "KILL":  # NAME:N:INT or NAME:N:TERM: Ctrl-C or a shutdown, handled
        signal.raise_signal(getattr(signal, "SIG" + target[2]))
        return
    sys.stdout.flush()
    sys.stderr.flush()
    if hasattr(signal, "SIGKILL"):
        os.kill(os.getpid(), signal.SIGKILL)
    os._exit(137)  # Windows: no SIGKILL; end at once all the same
