"""The read-only record view beside each table: fields with labels, linked records (click to
follow), documents (open a read-only copy with the system viewer), field-level history, and
the record's deadlines and findings."""

from __future__ import annotations

import datetime as dt
import functools
import html
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QTextBrowser, QWidget

from calnet_desk.records import KINDS, Kind, Record
from calnet_desk.store import Register
from calnet_desk.store import documents as docs

from ..formatting import readable, show, show_date, show_moment


def record_url(kind: str, key: str) -> str:
    return f"record:{kind}/{quote(key, safe='')}"


def parse_record_url(url: QUrl) -> tuple[str, str] | None:
    if url.scheme() != "record":
        return None
    kind, _, key = url.path().partition("/")
    return (kind, unquote(key)) if kind in KINDS else None


def _e(text: object) -> str:
    return html.escape(str(text))


class RecordView(QTextBrowser):
    follow = Signal(str, str)  # kind, key
    open_document = Signal(str)  # sha256

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._clicked)
        self.setAccessibleName("Record details")
        self.kind: Kind | None = None
        self.key: str | None = None
        self.setPlaceholderText("Select a record to see its details, documents and history.")

    def _clicked(self, url: QUrl) -> None:
        target = parse_record_url(url)
        if target:
            self.follow.emit(*target)
        elif url.scheme() == "document":
            self.open_document.emit(url.path())

    def clear_record(self) -> None:
        self.kind, self.key = None, None
        self.clear()

    def show_record(self, reg: Register, kind: Kind, key: str,
                    deadlines: list[Any], findings: list[Any]) -> None:
        rec = reg.get(kind, key)
        self.kind, self.key = kind, key
        if rec is None:
            self.setHtml(f"<p>{_e(kind.singular.capitalize())} {_e(key)} is no longer in "
                         "the register.</p>")
            return
        self.setHtml(render(reg, kind, rec, deadlines, findings))


def _value_html(kind: Kind, rec: Record, name: str) -> str:
    f = kind.by_name[name]
    value = rec.get(name)
    if value is None:
        return ""
    if f.references:
        return (f'<a href="{record_url(f.references, str(value))}">{_e(value)}</a>')
    text = _e(show(f, value))
    return text.replace("\n", "<br>")


def render(reg: Register, kind: Kind, rec: Record, deadlines: list[Any],
           findings: list[Any]) -> str:
    key = kind.record_key(rec)
    title = rec.get(kind.title_field) if kind.title_field else None
    parts = [f"<h2>{_e(kind.singular.capitalize())} {_e(key)}</h2>"]
    if title:
        parts.append(f"<p>{_e(title)}</p>")
    rows = []
    for f in kind.fields:
        value = _value_html(kind, rec, f.name)
        cite = f' <small>[{_e(f.citation)}]</small>' if f.citation and value else ""
        rows.append(f"<tr><th align='left' valign='top'>{_e(f.label)}</th>"
                    f"<td>{value or '<i>—</i>'}{cite}</td></tr>")
    parts.append("<table cellspacing='0' cellpadding='3'>" + "".join(rows) + "</table>")

    if deadlines:
        parts.append("<h3>Deadlines</h3><ul>")
        for d in deadlines:
            parts.append(f"<li><b>{_e(readable(d.kind))}</b>: {_e(show_date(d.date.isoformat()))}"
                         f" — {_e(readable(d.status))} ({d.days_left} days). "
                         f"{_e(d.explanation)} <small>[{_e(d.citation)}]</small></li>")
        parts.append("</ul>")
    if findings:
        parts.append("<h3>Findings</h3><ul>")
        for f in findings:
            sentence = getattr(f, "sentence", "")
            rests = (f"<br><small>{_e(f.citation)}: {_e(sentence)}</small>" if sentence
                     else f" <small>[{_e(f.citation)}]</small>")
            parts.append(f"<li><b>{_e(readable(f.severity))}</b>: {_e(f.message)}{rests}</li>")
        parts.append("</ul>")

    referrers = reg.referrers(kind, key)
    if referrers:
        parts.append("<h3>Linked records</h3><ul>")
        for other, other_key in referrers[:200]:
            parts.append(f'<li>{_e(other.singular.capitalize())} '
                         f'<a href="{record_url(other.name, other_key)}">{_e(other_key)}</a></li>')
        if len(referrers) > 200:
            parts.append(f"<li>… and {len(referrers) - 200} more</li>")
        parts.append("</ul>")

    found = docs.documents_of(reg, kind, key)
    parts.append("<h3>Documents</h3>")
    if found:
        parts.append("<ul>")
        for d in found:
            parts.append(f'<li><a href="document:{d.sha256}">{_e(d.name)}</a> '
                         f"({d.size:,} bytes, {_e(d.media_type)}) "
                         f"<small>SHA-256 {d.sha256}</small></li>")
        parts.append("</ul>")
    else:
        parts.append("<p><i>No documents linked.</i></p>")

    entries = reg.history(kind.name, key)
    parts.append("<h3>History</h3><ul>")
    for e in reversed(entries):
        reason = f" — {_e(e['reason'])}" if e["reason"] else ""
        when = _e(show_moment(e["at"]))  # local time with its zone; the history keeps UTC
        parts.append(f"<li>{when} · {_e(e['user'])} · {_e(e['action'])}{reason}<br>")
        changes = []
        for name, (old, new) in e["changes"].items():
            declared = kind.by_name.get(name)
            fmt: Callable[[Any], str] = functools.partial(show, declared) if declared else str
            label = declared.label if declared else name
            changes.append(f"{_e(label)}: {_e(fmt(old) or '—')} → {_e(fmt(new) or '—')}")
        parts.append("<small>" + "<br>".join(changes) + "</small></li>")
    parts.append("</ul>")
    return "".join(parts)


def today() -> dt.date:
    return dt.date.today()
