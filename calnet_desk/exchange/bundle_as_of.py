"""``export-bundle --as-of D``: the register as it stood at the end of D (local time; the
history is UTC), rebuilt from its history.

The bundle is then the bundle of the register right after the last history entry made by
the end of D: its chain ends at that entry (the head printed and checked is that entry's
hash), and its records, documents, links, statements and marks are what replaying the
entries up to there gives, in the scope worked out the way verify-bundle works it out
(bundle_proof.scope_entries). So verify-bundle checks it exactly as it checks any bundle.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..store import Register


def end_of_day_utc(day: dt.date) -> str:
    """The end of ``day`` in local time, as the history's UTC text ("at" <= it)."""
    local = dt.datetime.combine(day + dt.timedelta(days=1), dt.time()).astimezone()
    last = (local - dt.timedelta(seconds=1)).astimezone(dt.UTC)
    return last.strftime("%Y-%m-%dT%H:%M:%SZ")


def entries_until(reg: Register, day: dt.date) -> tuple[list[dict[str, Any]], int]:
    """The entries made by the end of ``day``, and the id of the newest entry of all."""
    cutoff = end_of_day_utc(day)
    kept, last = [], 0
    for e in reg.iter_history():
        last = e["id"]
        if e["at"] <= cutoff:
            kept.append(e)
    return kept, last


def replay(entries: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The records the entries leave, by (kind, key): export as of a day and verify both
    rebuild from the history this way."""
    state: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        ident = (entry["kind"], entry["key"])
        if entry["action"] == "delete":
            state.pop(ident, None)
            continue
        rec = state.setdefault(ident, {})
        for name, (_old, new) in entry["changes"].items():
            if new is None:
                rec.pop(name, None)
            else:
                rec[name] = new
    return state
