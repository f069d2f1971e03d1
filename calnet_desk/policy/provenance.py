"""Where every rule comes from: the documents a rule set cites, the sentence each entry
rests on and when it was last checked, and a verbatim check of the quotations against the
source texts wherever those are at hand.

A rule set lists its documents once (``[sources.ID]``: document, section, date, CDT's
current chapter number, and the file of its text among the project's shared source texts).
Every entry (rule, deadline, procurement case, request element, addressee, finding) cites
one or more of them and quotes the sentence it rests on; ``design`` marks the product's own
choice. A citation of a document whose sentence could not be confirmed carries no quote and
shows "quotation unconfirmed".
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .rules import RuleSet

DESIGN = "design"
UNCONFIRMED = "quotation unconfirmed"
# Where the shared source texts are: this variable, else ../shared/sources beside the
# checkout (the layout the project's CI has; a user's clone does not).
TEXTS_ENV = "CALNET_DESK_SOURCE_TEXTS"


@dataclass(frozen=True)
class Source:
    id: str
    document: str
    section: str
    date: str  # ISO date of the text, "" when the text is undated
    dated: str  # the date in words, as the text gives it
    current: str = ""  # CDT's current chapter number, where it changed
    file: str = ""  # the text's file among the shared source texts
    public: bool = False  # a published text not among the shared source texts

    @property
    def title(self) -> str:
        return f"{self.document}, {self.section}" if self.section else self.document

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "document": self.document, "section": self.section,
                "date": self.date, "dated": self.dated, "current": self.current,
                "file": self.file, "public": self.public}


@dataclass(frozen=True)
class Basis:
    """One entry's reliance on one source: the sentence (or none) and when it was checked."""

    entry: str  # e.g. "rule ato-notice-days", "finding catalog-status-stale"
    citation: str
    quote: str
    checked: str
    confirmed: bool

    @property
    def shown(self) -> str:
        if self.citation == DESIGN:
            return "design choice: no policy text says it"
        if not self.quote:
            return UNCONFIRMED
        return f"\u201c{self.quote}\u201d" + ("" if self.confirmed else f" ({UNCONFIRMED})")

    def as_dict(self) -> dict[str, Any]:
        return {"entry": self.entry, "citation": self.citation, "quote": self.quote,
                "checked": self.checked, "confirmed": self.confirmed}


def sources(rules: RuleSet) -> dict[str, Source]:
    out = {}
    for sid, d in rules.documents.items():
        out[sid] = Source(sid, str(d.get("document", "")), str(d.get("section", "")),
                          str(d.get("date", "")), str(d.get("dated", "")),
                          str(d.get("current", "")), str(d.get("file", "")),
                          bool(d.get("public", False)))
    return out


def _bases(entry: str, item: dict[str, Any], citations: list[str]) -> Iterator[Basis]:
    quotes = {str(k): str(v) for k, v in dict(item.get("quotes", {})).items()}
    if item.get("quote") and citations:
        quotes.setdefault(citations[0], str(item["quote"]))
    # `unconfirmed = true`: the words of `quote` (the first citation's) could not be checked
    # against the published text; they are shown, marked so.
    unconfirmed = citations[:1] if item.get("unconfirmed") else []
    for c in citations:
        quote = quotes.get(c, "")
        yield Basis(entry, c, quote, str(item.get("checked", "")),
                    bool(quote) and c not in unconfirmed and c != DESIGN)


def _cites(item: dict[str, Any]) -> list[str]:
    if "citations" in item:
        return [str(c) for c in item["citations"]]
    first = [str(item["citation"])] if item.get("citation") else []
    return first + [str(c) for c in item.get("also", []) if str(c) not in first]


def entry_sentence(entry: dict[str, Any]) -> str:
    """The sentence an entry rests on, as `rules --sources` shows it (its first citation):
    the quotation, "quotation unconfirmed", or that it is a design choice."""
    first = next(iter(_bases("", entry, _cites(entry))), None)
    return first.shown if first else ""


def bases(rules: RuleSet) -> list[Basis]:
    """Every entry of the rule set with each source it cites, in the rule set's order."""
    out: list[Basis] = []
    for r in rules.rules.values():
        item = {"quote": r.quote, "quotes": r.quotes, "checked": r.checked,
                "unconfirmed": r.extra.get("unconfirmed", False)}
        out += _bases(f"rule {r.id}", item, r.citations)
    for kind, d in rules.deadlines.items():
        out += _bases(f"deadline {kind}", d, _cites(d))
    for case in rules.procurement:
        name = str(case.get("case", ""))
        out += _bases(f"procurement {name}", case, _cites(case))
        for extra in case.get("extra", []):
            when = "; ".join(f"{k}={'|'.join(v)}" for k, v in extra.get("when", {}).items())
            out += _bases(f"procurement {name} ({when})", extra, _cites(extra))
    for kind, spec in rules.requests.items():
        if not isinstance(spec, dict):
            continue
        out += _bases(f"request {kind}", spec, _cites(spec))
        if isinstance(spec.get("addressee"), dict):
            out += _bases(f"request {kind}: addressee", spec["addressee"],
                          _cites(spec["addressee"]))
        for e in spec.get("elements", []):
            if isinstance(e, dict) and not e.get("retired"):
                out += _bases(f"request {kind}: {e.get('code')}", e, _cites(e))
    for code, f in rules.findings.items():
        out += _bases(f"finding {code}", f, _cites(f))
    return out


def conflicts(rules: RuleSet) -> list[Basis]:
    """The sentences the procurement cases show where two sources differ."""
    return [Basis(f"procurement {case.get('case')}: conflict", str(c.get("source", "")),
                  str(c.get("says", "")), str(case.get("checked", "")), True)
            for case in rules.procurement for c in case.get("conflicts", [])]


def by_source(rules: RuleSet) -> list[tuple[Source, list[Basis]]]:
    """Every source with the entries resting on it; a cited source the rule set does not
    list comes last, described as such."""
    known = sources(rules)
    grouped: dict[str, list[Basis]] = {sid: [] for sid in known}
    for b in bases(rules):
        grouped.setdefault(b.citation, []).append(b)
    return [(known.get(sid) or Source(sid, sid, "not in the rule set's list of sources", "",
                                       ""), items)
            for sid, items in grouped.items()]


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def texts_dir(start: Path | None = None) -> Path | None:
    """The shared source texts, if at hand: $CALNET_DESK_SOURCE_TEXTS, else
    ../shared/sources beside the checkout this module is in (or ``start``)."""
    env = os.environ.get(TEXTS_ENV)
    if env:
        return Path(env) if Path(env).is_dir() else None
    root = start or Path(__file__).resolve().parents[2]
    candidate = root.parent / "shared" / "sources"
    return candidate if candidate.is_dir() else None


def quotation_problems(rules: RuleSet, texts: Path) -> list[str]:
    """Every quotation not found verbatim (white space aside) in its source's text under
    ``texts``; every citation of a source that has a text there but gives no sentence; and
    every citation of a source the rule set does not list."""
    known = sources(rules)
    cache: dict[str, str | None] = {}

    def text_of(src: Source) -> str | None:
        if src.file not in cache:
            path = texts / src.file
            cache[src.file] = _normal(path.read_text("utf-8")) if path.is_file() else None
        return cache[src.file]

    problems = []
    for b in [*bases(rules), *conflicts(rules)]:
        src = known.get(b.citation)
        if src is None:
            problems.append(f"{b.entry}: cites {b.citation!r}, which is not in [sources]")
            continue
        if b.citation != DESIGN and not b.checked:
            problems.append(f"{b.entry}: cites {b.citation} but says not when it was checked")
        if not src.file:
            continue
        text = text_of(src)
        if text is None:
            problems.append(f"{b.entry}: the text of {b.citation} ({src.file}) is not in {texts}")
        elif not b.quote:
            problems.append(f"{b.entry}: cites {b.citation}, whose text is at hand, "
                            "without the sentence it rests on")
        elif _normal(b.quote) not in text:
            problems.append(f"{b.entry}: not verbatim in {b.citation} ({src.file}): "
                            f"{b.quote!r}")
    return problems
