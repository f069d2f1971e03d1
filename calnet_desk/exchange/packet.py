"""Request packets: an exemption or delegation request laid out as a letter, ready for the
AIO/CIO's signature [STMM 501.0, 3-502.0].

The packet is a tagged PDF typeset here in the core by Typst (exchange.pdf.typeset; its
structure tree reads in the letter's order, for screen readers): a letter ready to sign
(the agency's letterhead, the addressee for the kind of request from the rule set,
``[requests.KIND.addressee]``, every element that applies, in order, with the record's data
and each one still missing marked MISSING, the costs and the saved IPR calculation, the
signature block and the linked documents with their SHA-256), with no tool text in it; then
a separate checklist page for the coordinator: which elements are given, missing or do not
apply, with the rule each rests on.

The text is real text in an embedded DejaVu font (searchable, any Latin script). The same
data gives the same bytes: the PDF's creation date is the newest history entry behind the
packet, and nothing random goes in.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..files import write_atomically
from ..policy.ipr import CHECKLIST_LABELS, IprInput, calculate, checklist_items, money_text
from ..policy.ipr import saved_calculation as saved_ipr
from ..policy.requests import Element, elements, request_kind
from ..policy.rules import RuleSet, load_rules
from ..records import KINDS, Field, Kind, Value
from ..store import RecordError, Register
from ..store.documents import Document, documents_of
from ..store.tracked import DOCUMENT_LINKS, IPR_CALCULATIONS
from ..values import words
from .pdf import page_count, typeset

LABEL_WIDTH = 138.0
INDENT = 22.0  # element numbers hang in it
PAGE_WIDTH = 612.0 - 2 * 66.0  # US Letter less the margins (data/typst/document.typ)

# Fields shown elsewhere in the letter (or only after the decision), not as additional
# information.
_NOT_ADDITIONAL = {"submitted_on", "decision", "decided_on", "term_end"}

SIGNER_ROLES = {"exemptions": "Agency Information Officer / Chief Information Officer, or "
                              "equivalent",
                "delegations": "Chief Information Officer, or equivalent"}
SUBJECTS = {"exemptions": "Request for exemption from CALNET",
            "delegations": "Request for a {type} delegation"}
# A choice's words in a letter, instead of its code.
CHOICE_TEXT = {
    "reason": {"feature-gap": "The CALNET contracts cannot meet the need for lack of features, "
                              "functionality or availability",
               "ipr": "Individual Price Reduction (IPR): the alternative costs substantially "
                      "less than CALNET"},
    "type": {"general": "General delegation", "contract": "CALNET contract delegation"},
}


class PacketError(RecordError):
    """The packet cannot be made (no such record); exit 1."""


@dataclass(frozen=True)
class ElementState:
    element: Element
    applies: bool
    problems: list[str]

    @property
    def missing(self) -> bool:
        return self.applies and bool(self.problems)


@dataclass
class PacketData:
    """Everything the packet shows, read from the register in one go."""

    kind: Kind
    key: str
    record: dict[str, Value]
    agency: dict[str, Value]
    catrs: list[dict[str, Value]]
    rules: RuleSet
    states: list[ElementState]
    documents: list[Document]
    ipr: IprInput | None
    created: dt.datetime  # the newest history entry behind the packet (UTC)
    addressee: dict[str, Any] = field(default_factory=dict)

    @property
    def missing(self) -> list[Element]:
        return [s.element for s in self.states if s.missing]

    @property
    def citation(self) -> str:
        return str(self.rules.requests.get(self.kind.name, {}).get("citation")
                   or self.kind.citation)


@dataclass(frozen=True)
class PacketResult:
    path: Path
    pages: int
    size: int
    missing: list[str]  # element codes


@dataclass
class KeptPacket:
    sha256: str
    name: str
    pages: int
    size: int
    missing: list[str]  # element codes


def keep_packet(reg: Register, kind: Kind | str, key: str,
                rules: RuleSet | None = None) -> KeptPacket:
    """Make the packet and keep it with the record's documents: stored by its SHA-256 and
    linked to the record in one transaction (so it is in the history). The same bytes
    made twice are one document; a packet made again later is kept beside the first."""
    from ..store import documents as docs

    k = request_kind(kind)
    data = packet_data(reg, k, key, rules)
    content, pages = render(data)
    sha, size = docs.store_bytes(reg.paths, content)
    name = docs.safe_file_name(f"{k.singular}-{key}-request.pdf")
    with reg.transaction(f"request packet for {k.singular} {key}") as tx:
        docs.add_document(tx, sha, name, size)
        docs.link(tx, sha, k, key)
    return KeptPacket(sha, name, pages, size, [e.code for e in data.missing])


# --- reading the data -----------------------------------------------------------------


def _utc(at: str) -> dt.datetime:
    return dt.datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


def _newest_entry(reg: Register, kind: Kind, key: str) -> dt.datetime:
    """When the data behind the packet last changed: the record, its IPR calculation, its
    document links, the agency and its people (the letterhead)."""
    link_prefix = f"{kind.name}:{key}:"
    at = reg.newest_change_at(
        records=[(kind.name, key), (IPR_CALCULATIONS.history_kind, key)],
        prefixes=[(DOCUMENT_LINKS.history_kind, link_prefix)], kinds=["agency", "people"])
    if at is None:
        return dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    return _utc(at)


def packet_data(reg: Register, kind: Kind | str, key: str,
                rules: RuleSet | None = None) -> PacketData:
    k = request_kind(kind)
    record = reg.get(k, key)
    if record is None:
        raise PacketError(f"no {k.singular} {key} in the register; nothing was written")
    rules = rules or load_rules(None, reg.paths.root)
    states = [ElementState(e, e.applies(record), e.problems(record) if e.applies(record)
                           else []) for e in elements(rules, k)]
    people = reg.records(KINDS["people"])
    catrs = [p for p in people if p.get("role") == "catr" and p.get("active") is not False]
    section = rules.requests.get(k.name, {})
    addressee = section.get("addressee") if isinstance(section, dict) else None
    if not isinstance(addressee, dict):  # a register's older rules.toml: one for both
        addressee = rules.requests.get("addressee", {})
    return PacketData(
        kind=k, key=key, record=dict(record), agency=reg.agency(), catrs=catrs, rules=rules,
        states=states, documents=documents_of(reg, k, key),
        ipr=saved_ipr(reg, key) if k.name == "exemptions" else None,
        created=_newest_entry(reg, k, key),
        addressee=addressee if isinstance(addressee, dict) else {})


# --- text helpers -----------------------------------------------------------------------


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(value)
    return str(value)


def _shown(f: Field, value: Value) -> str:
    if isinstance(value, str) and value in CHOICE_TEXT.get(f.name, {}):
        return CHOICE_TEXT[f.name][value]
    return words(f, value) if value is not None else ""


def _us_date(iso: str) -> str:
    """MM/DD/YYYY of an ISO date or UTC time stamp."""
    return dt.date.fromisoformat(iso[:10]).strftime("%m/%d/%Y")


def long_date(d: dt.date) -> str:
    """March 3, 2026 (the date line of a US letter)."""
    return f"{d.strftime('%B')} {d.day}, {d.year}"


def _problem_text(kind: Kind, problem: str) -> str:
    """'signer_title is empty' -> 'Signer title: not given'."""
    name, _, rest = problem.partition(" ")
    f = kind.by_name.get(name)
    if f is None:
        return problem
    if rest == "is empty":
        return f"{f.label}: not given"
    return f"{f.label}: {rest}"


_COST_ITEM = re.compile(r"^(?P<item>.*?)[\s:=–-]*(?P<cost>(?:US)?\$\s?[\d,]+(?:\.\d+)?.*)$")


def cost_items(text: str) -> list[tuple[str, str]]:
    """'Installation $12,000; service $1,500/month x 36 months' -> rows (item, cost): the
    free text split at ';' or new lines, the cost from the first dollar amount on."""
    rows = []
    for part in re.split(r"[;\n]", text):
        part = part.strip()
        if not part:
            continue
        m = _COST_ITEM.match(part)
        if m and m.group("item").strip():
            item = m.group("item").strip()
            rows.append((item[0].upper() + item[1:], m.group("cost").strip()))
        else:
            rows.append((part[0].upper() + part[1:], ""))
    return rows


# --- the PDF ------------------------------------------------------------------------------


def _subject(data: PacketData) -> str:
    template = SUBJECTS[data.kind.name]
    return template.format(type=_text(data.record.get("type")) or "general")


def _title(data: PacketData) -> str:
    project = _text(data.record.get("project"))
    return (f"{data.kind.singular.capitalize()} request {data.key}"
            + (f": {project}" if project else ""))


def render(data: PacketData) -> tuple[bytes, int]:
    """The packet as PDF bytes (the same data, the same bytes) and its page count."""
    content = typeset("document", *letter_document(data))
    return content, page_count(content)


def letter_document(data: PacketData) -> tuple[dict[str, Any], dt.datetime]:
    """What the packet shows (exchange.pdf.typeset's input) and its creation date."""
    writer = _LetterWriter(data)
    writer.write()
    agency = _text(data.agency.get("name"))
    return {
        "title": _title(data), "author": agency or "CALNET Desk",
        "subject": f"{_subject(data)} ({data.citation})",
        "keywords": ["CALNET", f"{data.kind.singular} request", data.citation, data.key,
                     f"CALNET Desk {__version__}"],
        "running": f"{agency} — {_title(data)}",
        "footer": f"{agency} · {data.kind.singular.capitalize()} request {data.key}",
        "blocks": writer.blocks}, data.created


def write_packet(reg: Register, kind: Kind | str, key: str, target: Path,
                 rules: RuleSet | None = None) -> PacketResult:
    """Make the packet and write it to ``target`` atomically (a temporary file beside it,
    then os.replace)."""
    data = packet_data(reg, kind, key, rules)
    content, pages = render(data)
    write_atomically(target, [content])
    return PacketResult(target, pages, len(content), [e.code for e in data.missing])


Block = dict[str, Any]


class _LetterWriter:
    """The letter as typeset blocks (see calnet_desk/data/typst/document.typ): headings,
    paragraphs, label/value lists and tables, in reading order."""

    def __init__(self, data: PacketData) -> None:
        self.data = data
        self.kind = data.kind
        self.blocks: list[Block] = []
        self.out = self.blocks  # where the next block goes (a group's list while open)

    # -- primitives --

    def para(self, text: str, size: float = 10, bold: bool = False, color: str = "ink",
             gap: float = 6, indent: float = 0) -> None:
        self.out.append({"k": "p", "t": text, "size": size, "bold": bold, "color": color,
                         "gap": gap, "indent": indent})

    def rule(self, color: str = "light", weight: float = 0.5, gap: float = 8) -> None:
        self.out.append({"k": "rule", "color": color, "weight": weight, "gap": gap})

    def heading(self, text: str, note: str = "", level: int = 2) -> None:
        self.out.append({"k": "h", "level": level, "t": text})
        if note:
            self.para(note, size=8, color="grey", gap=4)

    def pairs(self, items: list[tuple[str, str]], color: str = "ink",
              indent: float = INDENT) -> None:
        """Labels in the left column, each value beside its label, wrapped (a term list)."""
        if items:
            self.out.append({"k": "terms", "size": 10, "label": LABEL_WIDTH,
                             "indent": indent, "items": [
                                 [label, {"t": value or " ", "c": color}]
                                 for label, value in items]})

    def box(self, text: str, color: str, fill: str) -> None:
        self.out.append({"k": "box", "t": text, "color": color, "fill": fill})

    def table(self, headings: list[str], rows: list[list[Any]], widths: list[float],
              aligns: list[str], width: float | None = None) -> None:
        self.out.append({"k": "table", "header": headings, "rows": rows, "widths": widths,
                         "aligns": [a.lower() for a in aligns], "size": 9,
                         **({"width": width} if width else {})})

    def group(self, bar: str | None = None, breakable: bool = True) -> _Group:
        return _Group(self, bar, breakable)

    # -- the letter --

    def write(self) -> None:
        self.letterhead()
        self.date_and_addressee()
        self.subject_and_opening()
        applicable = [s for s in self.data.states if s.applies]
        for number, state in enumerate(applicable, start=1):
            self.element(number, state)
        self.additional()
        with self.group(breakable=False):  # the closing stays with the signature block
            self.closing()
            self.signature()
        self.enclosures()
        self.checklist()

    def letterhead(self) -> None:
        data = self.data
        self.para(_text(data.agency.get("name")) or "(agency name not set)", size=17,
                  bold=True, color="blue", gap=4)
        facts = []
        if data.agency.get("billing_code"):
            facts.append(f"Billing code {_text(data.agency.get('billing_code'))}")
        if data.catrs:
            catr = data.catrs[0]
            contact = " · ".join(_text(catr.get(c)) for c in ("email", "phone")
                                 if catr.get(c))
            names = " / ".join(_text(c.get("name")) for c in data.catrs)
            facts.append(f"CATR: {names}" + (f" · {contact}" if contact else ""))
        else:
            facts.append("CATR: none on file")
        self.para("   |   ".join(facts), size=8.5, color="grey", gap=4)
        self.rule("blue", 1.6, 18)

    def date_and_addressee(self) -> None:
        data = self.data
        submitted = data.record.get("submitted_on")
        day = (dt.date.fromisoformat(submitted) if isinstance(submitted, str)
               else data.created.date())
        self.para(long_date(day), gap=14)
        lines = [str(line) for line in data.addressee.get("lines", [])]
        if lines:
            self.para("\n".join(lines), gap=4 if self._via() else 14)
        if self._via():
            self.para(self._via(), size=9, color="grey", gap=14)

    def _via(self) -> str:
        a = self.data.addressee
        ways = [f"e-mail {a['email']}" if a.get("email") else "",
                f"fax {a['fax']}" if a.get("fax") else ""]
        ways = [w for w in ways if w]
        return f"Also sent by {' and '.join(ways)}" if ways else ""

    def subject_and_opening(self) -> None:
        data, kind = self.data, self.kind
        project = _text(data.record.get("project")) or "(no project given)"
        self.out.append({"k": "h", "level": 1, "size": 10.5, "color": "ink",
                         "t": f"Subject: {_subject(data)} — {data.key}, {project}"})
        salutation = str(data.addressee.get("salutation") or "To the CALNET Program:")
        self.para(salutation, gap=8)
        agency = _text(data.agency.get("name")) or "The agency"
        if kind.name == "exemptions":
            ask = (f"{agency} requests an exemption from the use of the CALNET contracts for "
                   "the project described below.")
        else:
            dtype = _text(data.record.get("type")) or "general"
            ask = (f"{agency} requests a {dtype} delegation for the project described below.")
        self.para(f"{ask} The information the request calls for follows; the documents on "
                  "file are listed at the end.", gap=10)
        self.heading("The request")

    def element(self, number: int, state: ElementState) -> None:
        data, kind = self.data, self.kind
        e = state.element
        with self.group(bar="red" if state.missing else None):
            self.heading(f"{number}. {e.label}", level=3)
            if state.missing:
                self.para("MISSING", size=10, bold=True, color="red", gap=4, indent=INDENT)
            shown = [f for f in e.fields if data.record.get(f) not in (None, "", [])]
            pairs: list[tuple[str, str]] = []
            for name in shown:
                f = kind.by_name[name]
                if e.code == "cost-by-item" and name == "cost_by_item":
                    self.pairs([*pairs, (f.label, _text(data.record.get(name)))])
                    pairs = []
                    self.cost_table(_text(data.record.get(name)))
                    continue
                pairs.append((f.label, _shown(f, data.record.get(name))))
            if e.code == "total-cost":
                pairs += self.total_cost_rows()
            self.pairs(pairs)
            if e.code == "ipr-documentation":
                self.ipr_table()
        self.rule("light", 0.4, 8)

    def total_cost_rows(self) -> list[tuple[str, str]]:
        record = self.data.record
        total, months = record.get("total_cost"), record.get("contract_length_months")
        if isinstance(total, int) and isinstance(months, int) and months > 0:
            return [("Average per month", f"{money_text(round(total / months))} over "
                                          f"{months} months (total cost ÷ contract length)")]
        return []

    def cost_table(self, text: str) -> None:
        rows = cost_items(text)
        if not rows:
            return
        width = PAGE_WIDTH - INDENT
        self.table(["Contract item", "Cost"], [[i, c] for i, c in rows], [55, 45],
                   ["LEFT", "RIGHT"], width)

    def ipr_table(self) -> None:
        data = self.data
        if data.ipr is None:
            self.para("No IPR calculation is saved with this request in the register.",
                      size=9, color="grey", gap=4, indent=INDENT)
            return
        result = calculate(data.rules, data.ipr)
        ipr = data.ipr
        rows = [["CALNET cost (total over the term)", money_text(ipr.calnet_cost)],
                ["Alternative cost (same term)", money_text(ipr.alternative_cost)],
                ["Saving", f"{money_text(ipr.calnet_cost - ipr.alternative_cost)} "
                           f"({result['saving_percent']:.2f} %)"],
                ["Alternative ÷ CALNET", f"{result['ratio']:.4f}"]]
        if ipr.months:
            rows.append(["Term", f"{ipr.months} months"])
        for item in checklist_items(data.rules):
            rows.append([f"Comparable {CHECKLIST_LABELS.get(item, item)}",
                         "shown" if item in ipr.checklist else "not shown"])
        rows.append(["Statewide network not unduly affected",
                     "attested" if ipr.network_attested else "not attested"])
        self.para("IPR calculation", size=9, bold=True, color="blue", gap=2, indent=INDENT)
        self.table(["Item", "Value"], rows, [60, 40], ["LEFT", "RIGHT"],
                   PAGE_WIDTH - INDENT)

    def additional(self) -> None:
        data, kind = self.data, self.kind
        covered = {name for s in data.states for name in s.element.fields}
        extra = [f for f in kind.fields[1:]
                 if f.name not in covered and f.name not in _NOT_ADDITIONAL
                 and data.record.get(f.name) not in (None, "", [])]
        if not extra:
            return
        self.heading("Additional information")
        self.pairs([(f.label, _shown(f, data.record.get(f.name))) for f in extra])

    def closing(self) -> None:
        data = self.data
        if data.catrs:
            catr = data.catrs[0]
            contact = ", ".join(_text(catr.get(c)) for c in ("email", "phone") if catr.get(c))
            who = _text(catr.get("name")) + (f" ({contact})" if contact else "")
            text = (f"Please direct questions about this request to the agency's CATR, {who}. "
                    "The agency keeps the request and its documents on file for audit.")
        else:
            text = ("The agency keeps the request and its documents on file for audit.")
        self.para(text, gap=12)

    def signature(self) -> None:
        data, kind = self.data, self.kind
        signer = _text(data.record.get("signer"))
        title = _text(data.record.get("signer_title"))
        self.para("Respectfully submitted,", gap=0)
        self.out.append({"k": "signature"})
        self.para(signer or "Signer — MISSING", size=10.5, bold=True,
                  color="ink" if signer else "red", gap=0)
        self.para(title or "Title — MISSING", size=10, color="ink" if title else "red", gap=0)
        self.para(_text(data.agency.get("name")), size=10, gap=2)
        self.para(SIGNER_ROLES[kind.name], size=8, color="grey", gap=10)

    def enclosures(self) -> None:
        docs = self.data.documents
        self.heading("Enclosures: documents on file", "SHA-256 fingerprints")
        if not docs:
            self.para("No documents are linked to this request in the register.", size=9,
                      color="grey", gap=4)
            return
        rows = [[str(i), [d.name, "\n", {"t": f"{d.size:,} bytes, added "
                                              f"{_us_date(d.added_at)}", "c": "grey"}],
                 {"t": d.sha256, "s": 7.5}] for i, d in enumerate(docs, start=1)]
        self.table(["#", "Document", "SHA-256"], rows, [18, PAGE_WIDTH - 18 - 286, 286],
                   ["RIGHT", "LEFT", "LEFT"])

    def checklist(self) -> None:
        """A page of its own for the coordinator, not part of the letter: which elements are
        given, missing or do not apply, and the rule each rests on."""
        data, kind = self.data, self.kind
        self.out.append({"k": "pagebreak"})
        self.heading("Checklist for the coordinator", "not part of the letter")
        applicable = [s for s in data.states if s.applies]
        missing = data.missing
        if missing:
            are = "element is" if len(missing) == 1 else "elements are"
            self.box(f"Not ready to sign: {len(missing)} of {len(applicable)} required {are} "
                     "missing (marked MISSING in the letter). A request missing an element "
                     "comes back; complete it first.", "red", "red-fill")
        else:
            self.box(f"Ready to sign: all {len(applicable)} elements {data.citation} asks for "
                     "are given.", "green", "green-fill")
        rows = []
        for number, state in enumerate(data.states, start=1):
            e = state.element
            if not state.applies:
                status = f"does not apply: {e.condition or 'its condition does not hold'}"
            elif state.missing:
                status = "MISSING: " + "; ".join(_problem_text(kind, p) for p in state.problems)
            else:
                status = "given"
            rows.append([str(number), e.label,
                         {"t": status, "c": "red", "b": True} if state.missing else status,
                         e.citation])
        self.table(["#", "Element", "Status", "Source"], rows,
                   [26, PAGE_WIDTH * 0.42, PAGE_WIDTH * 0.38 - 26, PAGE_WIDTH * 0.2],
                   ["RIGHT", "LEFT", "LEFT", "LEFT"])
        if data.ipr is not None:
            result = calculate(data.rules, data.ipr)
            self.para(f"IPR calculation (advisory): meets the guide: "
                      f"{'yes' if result['meets_guide'] else 'no'}. {result['explanation']}",
                      size=9, color="grey", gap=6)
        a = data.addressee
        source = str(a.get("citation") or "the rule set")
        self.para(f"Addressed as {source} gives it ([requests.{kind.name}.addressee] in the "
                  "rule set); check the address, e-mail and fax with the CALNET Program before "
                  "sending.", size=9, color="grey", gap=4)


class _Group:
    """``with writer.group(...)``: the blocks written inside go into one block (kept on one
    page unless breakable; with a coloured bar down its left edge when ``bar``)."""

    def __init__(self, writer: _LetterWriter, bar: str | None, breakable: bool) -> None:
        self.writer, self.bar, self.breakable = writer, bar, breakable
        self.outer: list[Block] = []

    def __enter__(self) -> None:
        self.outer = self.writer.out
        self.writer.out = []

    def __exit__(self, *exc: object) -> None:
        inner, self.writer.out = self.writer.out, self.outer
        self.outer.append({"k": "group", "blocks": inner, "breakable": self.breakable,
                           **({"bar": self.bar} if self.bar else {})})
