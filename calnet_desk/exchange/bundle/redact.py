"""Redacted bundles (a Public Records Act copy): what is hidden, and the proof each history
entry carries so that every shown value is still proved against the chain
(``redacted_entry`` when writing, ``body_of_shown`` when verifying)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from ...records import KINDS, Kind, Record
from ...store.billing import Mark
from ...store.documents import Document
from ...store.history import (
    body_of,
    body_text,
    canonical_value,
    commitment,
    committed,
    leaf_salt_map,
    leaves,
)
from .. import billing_bundle
from .layout import REDACTED, SHA

_HEX = re.compile(r"[0-9a-f]+")


class Redactor:
    """Drops personal names, e-mail, phone and OS user names (a Public Records Act copy):
    personal fields become null, history users and personal changes "[redacted]"; a text
    (or list) that holds one of those values is replaced whole in records and history, so
    every value shown can be proved against the chain; in free prose (findings) just the
    value is replaced."""

    def __init__(self, on: bool, values: Iterable[str]) -> None:
        self.on = on
        words = sorted({v.strip() for v in values if len(v.strip()) >= 3}, key=len,
                       reverse=True)
        self.pattern = (re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words))
                                   + r")(?!\w)") if on and words else None)

    def text(self, value: str) -> str:
        return self.pattern.sub(REDACTED, value) if self.pattern else value

    def hides(self, value: Any) -> bool:
        """Does this text or list hold a personal value (so it is shown as redacted)?"""
        if self.pattern is None:
            return False
        if isinstance(value, str):
            return self.pattern.search(value) is not None
        if isinstance(value, list):
            return any(isinstance(v, str) and self.pattern.search(v) for v in value)
        return False

    def record(self, kind: Kind, record: Record) -> Record:
        if not self.on:
            return record
        out: Record = {}
        for f in kind.fields:
            v = record.get(f.name)
            if f.personal:
                v = None
            elif self.hides(v):
                v = redacted_value(v)
            out[f.name] = v
        return out

    def entry(self, entry: dict[str, Any]) -> dict[str, Any]:
        """The entry as a bundle shows it: with its salt, or redacted with a proof."""
        if not self.on:
            return entry
        kind = KINDS.get(entry["kind"])
        hidden = {"user"}
        if self.hides(entry["reason"]):
            hidden.add("reason")
        for name, pair in entry["changes"].items():
            f = kind.by_name.get(name) if kind else None
            personal = (f is not None and f.personal) or (
                entry["kind"] == billing_bundle.MARK_KIND and name == "marked_by")
            for side, v in enumerate(pair):
                if v is not None and (personal or self.hides(v)):
                    hidden.add(f"changes/{name}/{side}")
        return redacted_entry(entry, hidden)

    def document(self, doc: Document) -> Document:
        """A document whose name holds a personal value is shown as [redacted] (its file
        named by its SHA-256)."""
        if not self.hides(doc.name):
            return doc
        return replace(doc, name=REDACTED)

    def statement(self, st: Any) -> Any:
        return replace(st, name=REDACTED) if self.hides(st.name) else st

    def mark(self, mark: Mark) -> Mark:
        """A mark on a billing finding: who marked it is a user name."""
        if not self.on:
            return mark
        return replace(mark, marked_by=REDACTED,
                       note=REDACTED if self.hides(mark.note) else mark.note)


def redacted_value(value: Any) -> Any:
    """How a hidden value is shown: [redacted], or a list of it."""
    return [REDACTED] if isinstance(value, list) else REDACTED


def personal_field_names() -> list[str]:
    return [f"{k.name}.{f.name}" for k in KINDS.values() for f in k.fields if f.personal]


def redacted_entry(entry: dict[str, Any], hidden: set[str]) -> dict[str, Any]:
    """The entry with the leaves at ``hidden`` paths replaced by [redacted], and its
    proof: the commitment of each hidden leaf, the leaf salt of each other committed one
    (never the entry's salt, which would let a reader test guesses of the hidden values)."""
    salts: dict[str, str] = {}
    commitments: dict[str, str] = {}
    values = dict(leaves(entry)[1])
    for path, leaf in leaf_salt_map(entry).items():
        if path in hidden:
            commitments[path] = commitment(leaf, values[path])
        else:
            salts[path] = leaf.hex()
    changes = {name: [redacted_value(v) if f"changes/{name}/{side}" in commitments else v
                      for side, v in enumerate(pair)]
               for name, pair in entry["changes"].items()}
    out = {k: v for k, v in entry.items() if k not in ("salt", "body")}
    out.update(user=redacted_value(entry["user"]) if "user" in commitments else entry["user"],
               reason=(redacted_value(entry["reason"]) if "reason" in commitments
                       else entry["reason"]),
               changes=changes, proof={"commitments": commitments, "salts": salts})
    return out


def body_of_shown(entry: dict[str, Any]) -> str:
    """``body`` of an entry as a bundle shows it (salt, or proof); ValueError if its proof
    does not fit its content."""
    if "salt" in entry:
        if not isinstance(entry["salt"], str) or not _HEX.fullmatch(entry["salt"]):
            raise ValueError("its salt is not hexadecimal")
        return body_of(entry)
    proof = entry.get("proof")
    if not isinstance(proof, dict) or set(proof) != {"commitments", "salts"}:
        raise ValueError("it has neither a salt nor a proof {commitments, salts}")
    commitments, salts = proof["commitments"], proof["salts"]
    if not isinstance(commitments, dict) or not isinstance(salts, dict):
        raise ValueError("its proof is not two objects")
    names, items = leaves(entry)
    paths = {p for p, v in items if committed(v)}
    if set(commitments) | set(salts) != paths or set(commitments) & set(salts):
        raise ValueError("its proof does not name each text or list value once")
    rendered = []
    for path, value in items:
        if path in commitments:
            c = commitments[path]
            if value != canonical_value(redacted_value(json.loads(value))) \
                    or not isinstance(c, str) or not SHA.fullmatch(c):
                raise ValueError(f"{path} is hidden but not shown as {REDACTED}")
            rendered.append(f'"{c}"')
        elif path in salts:
            s = salts[path]
            if not isinstance(s, str) or not SHA.fullmatch(s):
                raise ValueError(f"the salt of {path} is not 64 hex digits")
            rendered.append(f'"{commitment(bytes.fromhex(s), value)}"')
        else:
            rendered.append(value)
    return body_text(names, rendered)
