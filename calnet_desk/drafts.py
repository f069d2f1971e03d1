"""Drafts: what a person typed into an editor and has not saved yet, kept on disk so that a
crash, a power cut or a kill loses nothing.

A draft is one small JSON file in ``<register>/drafts/<OS user>/``. The editor writes it a
moment after each change and removes it when the record is saved or the person discards the
changes; a draft still there when the app starts belongs to an editor that never closed, and is
offered back. Drafts are not records: they never enter the history, and they are not temporary
files either (no sweep removes them).

Only the writer (the app holding the register's lock) writes drafts, so at start-up every draft
in the folder is left over from a session that has ended."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .files import write_text_atomically
from .paths import RegisterPaths

FORMAT = 1
SUFFIX = ".draft.json"
MODES = ("new", "edit", "duplicate")


class DraftError(Exception):
    """A draft could not be written or read; the message says which file and why."""


def user_folder_name(user: str | None = None) -> str:
    """A folder name for the OS user: letters, digits, dot, dash and underscore only."""
    if user is None:
        try:
            user = getpass.getuser()
        except Exception:  # no USER/LOGNAME and no passwd entry (a bare container)
            user = "unknown"
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", user).strip("._") or "unknown"
    return safe[:64]


@dataclass
class Draft:
    """One editor's unsaved state: the raw text of each field as typed (not parsed, so a half
    typed date survives too)."""

    kind: str
    mode: str
    source_key: str | None
    fields: dict[str, Any]
    ladder: str | None = None
    expected_entry: int | None = None
    draft_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    saved_at: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "id": self.draft_id, "kind": self.kind, "mode": self.mode,
                "source_key": self.source_key, "expected_entry": self.expected_entry,
                "fields": self.fields, "ladder": self.ladder, "saved_at": self.saved_at}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Draft:
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown draft format {data.get('format')!r}")
        mode = data["mode"]
        if mode not in MODES:
            raise ValueError(f"unknown editor mode {mode!r}")
        fields = data["fields"]
        if not isinstance(fields, dict):
            raise ValueError("fields is not an object")
        entry = data.get("expected_entry")
        return cls(kind=str(data["kind"]), mode=mode,
                   source_key=None if data.get("source_key") is None
                   else str(data["source_key"]),
                   fields={str(k): v for k, v in fields.items()},
                   ladder=None if data.get("ladder") is None else str(data["ladder"]),
                   expected_entry=int(entry) if isinstance(entry, int) else None,
                   draft_id=str(data["id"]), saved_at=str(data.get("saved_at", "")))


class Drafts:
    """The drafts of one OS user in one register."""

    def __init__(self, root: Path, user: str | None = None) -> None:
        self.folder = RegisterPaths(root).drafts / user_folder_name(user)

    def path(self, draft_id: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{32}", draft_id):
            raise DraftError(f"not a draft id: {draft_id!r}")
        return self.folder / f"{draft_id}{SUFFIX}"

    def save(self, draft: Draft, now: dt.datetime | None = None) -> Path:
        """Write the draft: a temporary file beside it, flushed to disk, then renamed over the
        old one, so a crash leaves either the previous draft or this one, never half."""
        draft.saved_at = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
        target = self.path(draft.draft_id)
        data = json.dumps(draft.to_json(), ensure_ascii=False, sort_keys=True, indent=1)
        try:
            write_text_atomically(target, data)
        except OSError as e:
            raise DraftError(f"could not keep a draft in {self.folder}: "
                             f"{e.strerror or e}") from e
        return target

    def remove(self, draft_id: str) -> None:
        try:
            self.path(draft_id).unlink(missing_ok=True)
        except OSError as e:
            raise DraftError(f"could not remove the draft {self.path(draft_id)}: "
                             f"{e.strerror or e}") from e

    def pending(self) -> tuple[list[Draft], list[str]]:
        """Every draft left in the folder, oldest first, and a sentence for each file that
        could not be read (kept on disk, never deleted behind the person's back)."""
        drafts: list[Draft] = []
        problems: list[str] = []
        try:
            files = sorted(self.folder.glob(f"*{SUFFIX}"))
        except OSError as e:
            return [], [f"could not read the drafts folder {self.folder}: {e.strerror or e}"]
        for path in files:
            if path.name.startswith("."):
                continue
            try:
                draft = Draft.from_json(json.loads(path.read_text(encoding="utf-8")))
                if path.name != f"{draft.draft_id}{SUFFIX}":
                    raise ValueError("its name does not match its id")
                drafts.append(draft)
            except (OSError, ValueError, KeyError, TypeError) as e:
                problems.append(f"the draft {path} could not be read ({e}); it was left "
                                "where it is")
        drafts.sort(key=lambda d: (d.saved_at, d.draft_id))
        return drafts, problems


def describe(draft: Draft, singular: str, typed_key: object = None) -> str:
    """"order TSR-1", "a copy of order TSR-1", "a new order TSR-9", "a new order"."""
    key = draft.source_key
    if draft.mode == "edit" and key:
        return f"{singular} {key}"
    if draft.mode == "duplicate" and key:
        return f"a copy of {singular} {key}"
    typed = str(typed_key).strip() if isinstance(typed_key, str) else ""
    return f"a new {singular} {typed}" if typed else f"a new {singular}"
