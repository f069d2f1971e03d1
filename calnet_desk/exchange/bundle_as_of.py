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

from ..records import KINDS, Record
from ..store import Register
from ..store.billing import Mark, Statement
from ..store.documents import Document
from ..store.register import AGENCY_KEY, AGENCY_KIND
from .bundle_proof import _link_parts, chain_row, scope_entries


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


def select_as_of(reg: Register, scope: Any, entries: list[dict[str, Any]]) -> Any:
    """The Selection (bundle.py) of the register as the entries leave it."""
    from . import billing_bundle
    from .bundle import BundleError, Selection

    state = replay(entries)
    chain = [chain_row(e) for e in entries]
    keys, shas, ids, chosen = scope_entries(chain, scope.kind, scope.value)
    if scope.kind not in ("all", "since") and (scope.kind, scope.value) not in keys:
        raise BundleError(f"no {KINDS[scope.kind].singular} {scope.value} in the register "
                          "on that date; nothing was written")

    def record(kind_name: str, key: str) -> Record:
        values = state.get((kind_name, key), {})
        return {f.name: values.get(f.name) for f in KINDS[kind_name].fields}

    records = {}
    for kind in KINDS.values():
        found = [record(kind.name, k) for n, k in sorted(keys) if n == kind.name]
        if found or scope.kind == "all":
            records[kind.name] = found
    agency = state.get((AGENCY_KIND, AGENCY_KEY), {})
    sel = Selection(records, [], [e for e in entries if e["id"] in ids], chain,
                    {"name": agency.get("name"), "agency_class": agency.get("agency_class"),
                     "billing_code": agency.get("billing_code")}, [])
    links: dict[str, list[tuple[str, str]]] = {}
    for (kind_name, key), _row in sorted(state.items()):
        if kind_name == "document-links":
            sha, k, record_key = _link_parts(key)
            if (k, record_key) in keys:
                links.setdefault(sha, []).append((k, record_key))
    for sha in sorted(shas):
        doc = state.get(("documents", sha), {})
        sel.documents.append((Document(sha, doc.get("name", ""), doc.get("size", 0),
                                       doc.get("media_type", ""), doc.get("added_at", "")),
                              sorted(links.get(sha, []))))
    def fields(values: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
        return {f: values.get(f) for f in names}

    sel.statements = [Statement(**fields(state[(billing_bundle.STATEMENT_KIND, k)],
                                         billing_bundle._STATEMENT_KEYS))
                      for k in sorted(chosen)]
    sel.marks = [Mark(**fields(values, billing_bundle._MARK_KEYS))
                 for (kind_name, key), values in sorted(state.items())
                 if kind_name == billing_bundle.MARK_KIND
                 and "{1}:{0}".format(*key.split(":")[:2]) in chosen]
    people = [record("people", k) for n, k in sorted(state) if n == "people"]
    sel.catrs = [p for p in people if p.get("role") == "catr" and p.get("active") is not False]
    sel.personal_values = {str(e["user"]) for e in entries}
    for (kind_name, _key), values in state.items():
        if kind_name in KINDS:
            sel.personal_values |= {str(values[f.name]) for f in KINDS[kind_name].fields
                                    if f.personal and values.get(f.name) is not None}
    return sel
