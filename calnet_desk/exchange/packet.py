"""Request packets: an exemption or delegation request laid out as a letter, ready for the
AIO/CIO's signature [STMM 501.0, 3-502.0].

The packet is a PDF made here in the core with fpdf2 (pure Python, imported only when a
packet is made): a letter ready to sign (the agency's letterhead, the addressee for the kind
of request from the rule set, ``[requests.KIND.addressee]``, every element that applies, in
order, with the record's data and each one still missing marked MISSING, the costs and the
saved IPR calculation, the signature block and the linked documents with their SHA-256),
with no tool text in it; then a separate checklist page for the coordinator: which elements
are given, missing or do not apply, with the rule each rests on.

The text is real text in an embedded DejaVu font (searchable, any Latin script). The same
data gives the same bytes: the PDF's creation date is the newest history entry behind the
packet, and nothing random goes in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from ..values import display
from .pdf import (
    BAND,
    BLUE,
    BOTTOM,
    FONT_FAMILY,
    GREEN,
    GREEN_FILL,
    GREY,
    INK,
    LIGHT,
    MARGIN,
    RED,
    RED_FILL,
    TOP,
    fonts_added,
)

if TYPE_CHECKING:
    from fpdf import FPDF

LABEL_WIDTH = 138.0
INDENT = 22.0  # element numbers hang in it

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
    return display(f, value) if value is not None else ""


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
    pdf = _letter_class()(data)
    with fonts_added(pdf):
        _LetterWriter(pdf, data).write()
        content = bytes(pdf.output())
        return content, int(pdf.pages_count)


def write_packet(reg: Register, kind: Kind | str, key: str, target: Path,
                 rules: RuleSet | None = None) -> PacketResult:
    """Make the packet and write it to ``target`` atomically (a temporary file beside it,
    then os.replace)."""
    data = packet_data(reg, kind, key, rules)
    content, pages = render(data)
    write_atomically(target, [content])
    return PacketResult(target, pages, len(content), [e.code for e in data.missing])


def _letter_class() -> Callable[[PacketData], FPDF]:
    from fpdf import FPDF

    class Letter(FPDF):
        """US Letter with a running header from page 2 on and numbered pages."""

        def __init__(self, data: PacketData) -> None:
            super().__init__(orientation="P", unit="pt", format="letter")
            self.data = data
            self.set_margins(MARGIN, TOP, MARGIN)
            self.set_auto_page_break(True, BOTTOM)
            self.set_creation_date(data.created)
            self.set_title(_title(data))
            self.set_subject(f"{_subject(data)} ({data.citation})")
            self.set_author(_text(data.agency.get("name")) or "CALNET Desk")
            self.set_creator(f"CALNET Desk {__version__}")
            self.set_keywords(f"CALNET; {data.kind.singular} request; {data.citation}; "
                              f"{data.key}")
            self.set_lang("en-US")
            self.set_display_mode("fullwidth")
            from fpdf.prefs import ViewerPreferences

            self.viewer_preferences = ViewerPreferences(display_doc_title=True)

        def header(self) -> None:
            if self.page_no() == 1:
                return
            self.set_font(FONT_FAMILY, "", 8)
            self.set_text_color(*GREY)
            agency = _text(self.data.agency.get("name"))
            self.set_x(MARGIN)  # a table breaking across pages may have moved it
            self.cell(self.w - 2 * MARGIN, 10, f"{agency} — {_title(self.data)}", align="L")
            self.ln(14)
            self.set_draw_color(*LIGHT)
            self.set_line_width(0.5)
            self.line(MARGIN, self.get_y(), self.w - MARGIN, self.get_y())
            self.ln(12)
            self.set_text_color(*INK)

        def footer(self) -> None:
            self.set_y(-42)
            self.set_draw_color(*LIGHT)
            self.set_line_width(0.5)
            self.line(MARGIN, self.get_y(), self.w - MARGIN, self.get_y())
            self.ln(6)
            self.set_font(FONT_FAMILY, "", 7.5)
            self.set_text_color(*GREY)
            self.set_x(MARGIN)
            self.cell((self.w - 2 * MARGIN) * 0.75, 10,
                      f"{_text(self.data.agency.get('name'))} · "
                      f"{self.data.kind.singular.capitalize()} request {self.data.key}",
                      align="L")
            self.cell((self.w - 2 * MARGIN) * 0.25, 10, f"Page {self.page_no()} of {{nb}}",
                      align="R")

    return Letter


class _LetterWriter:
    def __init__(self, pdf: Any, data: PacketData) -> None:
        self.pdf = pdf
        self.data = data
        self.kind = data.kind

    # -- primitives --

    def font(self, size: float, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
        self.pdf.set_font(FONT_FAMILY, "B" if bold else "", size)
        self.pdf.set_text_color(*color)

    def para(self, text: str, size: float = 10, bold: bool = False,
             color: tuple[int, int, int] = INK, gap: float = 6, height: float = 13.5,
             x: float | None = None, width: float = 0, align: str = "L") -> None:
        self.font(size, bold, color)
        if x is not None:
            self.pdf.set_x(x)
        self.pdf.multi_cell(width, height, text, align=align, new_x="LMARGIN", new_y="NEXT")
        if gap:
            self.pdf.ln(gap)

    def need(self, height: float) -> None:
        """Start a new page unless ``height`` points still fit on this one."""
        if self.pdf.get_y() + height > self.pdf.page_break_trigger:
            self.pdf.add_page()

    def height_of(self, text: str, width: float, size: float, bold: bool = False,
                  line: float = 13.0) -> float:
        self.font(size, bold)
        lines = self.pdf.multi_cell(width, line, text, dry_run=True, output="LINES")
        return float(len(lines)) * line

    def rule(self, color: tuple[int, int, int] = LIGHT, width: float = 0.5,
             gap: float = 8) -> None:
        self.pdf.set_draw_color(*color)
        self.pdf.set_line_width(width)
        y = self.pdf.get_y()
        self.pdf.line(MARGIN, y, self.pdf.w - MARGIN, y)
        self.pdf.ln(gap)

    def heading(self, text: str, note: str = "") -> None:
        self.need(60)
        self.pdf.ln(6)
        self.font(12, True, BLUE)
        self.pdf.cell(self.pdf.epw * 0.7, 16, text, align="L")
        self.font(8, False, GREY)
        self.pdf.cell(self.pdf.epw * 0.3, 16, note, align="R", new_x="LMARGIN", new_y="NEXT")
        self.rule(BLUE, 0.8, 6)

    def pair(self, label: str, value: str, color: tuple[int, int, int] = INK,
             bold: bool = False, x: float = MARGIN + INDENT) -> None:
        """A label in the left column, its value beside it, wrapped."""
        pdf = self.pdf
        value_x = x + LABEL_WIDTH
        value_w = pdf.w - MARGIN - value_x
        h = max(self.height_of(value or " ", value_w, 10, bold),
                self.height_of(label, LABEL_WIDTH - 8, 8.5, line=13.0))
        self.need(h)
        y = pdf.get_y()
        self.font(8.5, False, GREY)
        pdf.set_xy(x, y + 1)
        pdf.multi_cell(LABEL_WIDTH - 8, 13, label, align="L")
        self.font(10, bold, color)
        pdf.set_xy(value_x, y)
        pdf.multi_cell(value_w, 13, value or " ", align="L")
        pdf.set_xy(MARGIN, y + h + 2)

    def box(self, text: str, ink: tuple[int, int, int], fill: tuple[int, int, int]) -> None:
        pdf = self.pdf
        h = self.height_of(text, pdf.epw - 16, 9.5, True) + 10
        self.need(h)
        y = pdf.get_y()
        pdf.set_fill_color(*fill)
        pdf.set_draw_color(*ink)
        pdf.set_line_width(0.8)
        pdf.rect(MARGIN, y, pdf.epw, h, style="DF")
        self.font(9.5, True, ink)
        pdf.set_xy(MARGIN + 8, y + 5)
        pdf.multi_cell(pdf.epw - 16, 13, text, align="L")
        pdf.set_xy(MARGIN, y + h + 8)

    def table(self, headings: list[str], rows: list[list[str]], widths: list[float],
              aligns: list[str], small_last: bool = False) -> None:
        from fpdf.fonts import FontFace

        pdf = self.pdf
        # Kept on one page when it fits on one (about 20 points a row).
        self.need(min(20.0 * (len(rows) + 1) + 12, pdf.eph * 0.8))
        self.font(9)
        pdf.set_fill_color(255, 255, 255)
        with pdf.table(
                col_widths=widths, width=sum(widths), align="RIGHT", text_align=aligns,
                headings_style=FontFace(emphasis="BOLD", color=BLUE, fill_color=BAND,
                                        size_pt=8.5),
                line_height=12, padding=(3, 5, 3, 5), borders_layout="HORIZONTAL_LINES",
                cell_fill_mode="NONE", first_row_as_headings=True) as t:
            pdf.set_draw_color(*LIGHT)
            t.row(headings)
            for cells in rows:
                row = t.row()
                for i, text in enumerate(cells):
                    last = small_last and i == len(cells) - 1
                    row.cell(text, style=FontFace(size_pt=7.5, color=INK) if last else None)
        pdf.set_x(MARGIN)
        pdf.ln(8)

    # -- the letter --

    def write(self) -> None:
        pdf = self.pdf
        pdf.add_page()
        self.letterhead()
        self.date_and_addressee()
        self.subject_and_opening()
        applicable = [s for s in self.data.states if s.applies]
        for number, state in enumerate(applicable, start=1):
            self.element(number, state)
        self.additional()
        self.closing()
        self.signature()
        self.enclosures()
        self.checklist()

    def letterhead(self) -> None:
        pdf, data = self.pdf, self.data
        self.font(17, True, BLUE)
        pdf.multi_cell(0, 21, _text(data.agency.get("name")) or "(agency name not set)",
                       align="L", new_x="LMARGIN", new_y="NEXT")
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
        self.para("   |   ".join(facts), size=8.5, color=GREY, gap=4, height=12)
        self.rule(BLUE, 1.6, 18)

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
            self.para(self._via(), size=9, color=GREY, gap=14)

    def _via(self) -> str:
        a = self.data.addressee
        ways = [f"e-mail {a['email']}" if a.get("email") else "",
                f"fax {a['fax']}" if a.get("fax") else ""]
        ways = [w for w in ways if w]
        return f"Also sent by {' and '.join(ways)}" if ways else ""

    def subject_and_opening(self) -> None:
        data, kind = self.data, self.kind
        project = _text(data.record.get("project")) or "(no project given)"
        self.font(10.5, True)
        self.pdf.multi_cell(0, 14, f"Subject: {_subject(data)} — {data.key}, {project}",
                            align="L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(10)
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
                  "file are listed at the end.", gap=10, align="L")
        self.heading("The request")

    def element(self, number: int, state: ElementState) -> None:
        pdf, data, kind = self.pdf, self.data, self.kind
        e = state.element
        title_w = pdf.epw - INDENT - 90
        title_h = self.height_of(e.label, title_w, 10.5, True, 14)
        self.need(title_h + 30)
        start_page, start_y = pdf.page_no(), pdf.get_y()
        self.font(10.5, True, INK)
        pdf.cell(INDENT, 14, f"{number}.", align="L")
        pdf.multi_cell(title_w, 14, e.label, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(start_y + title_h + 3)
        if state.applies:
            if state.missing:
                self.para("MISSING", size=10, bold=True, color=RED, gap=4,
                          x=MARGIN + INDENT)
            shown = [f for f in e.fields if data.record.get(f) not in (None, "", [])]
            for name in shown:
                f = kind.by_name[name]
                if e.code == "cost-by-item" and name == "cost_by_item":
                    self.pair(f.label, _text(data.record.get(name)))
                    self.cost_table(_text(data.record.get(name)))
                    continue
                self.pair(f.label, _shown(f, data.record.get(name)))
            if e.code == "total-cost":
                self.total_cost_rows()
            if e.code == "ipr-documentation":
                self.ipr_table()
        end_y = pdf.get_y()
        if state.missing and pdf.page_no() == start_page:
            pdf.set_fill_color(*RED)
            pdf.rect(MARGIN - 2, start_y + 1, 3, end_y - start_y - 2, style="F")
        pdf.ln(4)
        self.rule(LIGHT, 0.4, 8)

    def total_cost_rows(self) -> None:
        record = self.data.record
        total, months = record.get("total_cost"), record.get("contract_length_months")
        if isinstance(total, int) and isinstance(months, int) and months > 0:
            self.pair("Average per month", f"{money_text(round(total / months))} over "
                                           f"{months} months (total cost ÷ contract length)")

    def cost_table(self, text: str) -> None:
        rows = cost_items(text)
        if not rows:
            return
        self.pdf.ln(2)
        width = self.pdf.epw - INDENT
        self.table(["Contract item", "Cost"], [[i, c] for i, c in rows],
                   [width * 0.55, width * 0.45], ["LEFT", "RIGHT"])

    def ipr_table(self) -> None:
        data = self.data
        if data.ipr is None:
            self.para("No IPR calculation is saved with this request in the register.",
                      size=9, color=GREY, gap=4, x=MARGIN + INDENT)
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
        self.pdf.ln(2)
        self.need(20.0 * (len(rows) + 1) + 30)
        self.font(9, True, BLUE)
        self.pdf.set_x(MARGIN + INDENT)
        self.pdf.cell(0, 13, "IPR calculation", new_x="LMARGIN", new_y="NEXT")
        width = self.pdf.epw - INDENT
        self.table(["Item", "Value"], rows, [width * 0.6, width * 0.4], ["LEFT", "RIGHT"])

    def additional(self) -> None:
        data, kind = self.data, self.kind
        covered = {name for s in data.states for name in s.element.fields}
        extra = [f for f in kind.fields[1:]
                 if f.name not in covered and f.name not in _NOT_ADDITIONAL
                 and data.record.get(f.name) not in (None, "", [])]
        if not extra:
            return
        self.heading("Additional information")
        for f in extra:
            self.pair(f.label, _shown(f, data.record.get(f.name)))
        self.pdf.ln(4)

    def closing(self) -> None:
        data = self.data
        self.need(210)  # with the signature block below it
        self.pdf.ln(8)
        if data.catrs:
            catr = data.catrs[0]
            contact = ", ".join(_text(catr.get(c)) for c in ("email", "phone") if catr.get(c))
            who = _text(catr.get("name")) + (f" ({contact})" if contact else "")
            text = (f"Please direct questions about this request to the agency's CATR, {who}. "
                    "The agency keeps the request and its documents on file for audit.")
        else:
            text = ("The agency keeps the request and its documents on file for audit.")
        self.para(text, gap=12, align="L")

    def signature(self) -> None:
        pdf, data, kind = self.pdf, self.data, self.kind
        signer = _text(data.record.get("signer"))
        title = _text(data.record.get("signer_title"))
        self.need(150)
        self.para("Respectfully submitted,", gap=36)
        y = pdf.get_y()
        pdf.set_draw_color(*INK)
        pdf.set_line_width(0.6)
        pdf.line(MARGIN, y, MARGIN + 230, y)
        pdf.line(MARGIN + 290, y, MARGIN + 420, y)
        pdf.ln(3)
        self.font(8, False, GREY)
        pdf.cell(290, 10, "Signature", align="L")
        pdf.cell(130, 10, "Date", align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(6)
        self.para(signer or "Signer — MISSING", size=10.5,
                  bold=True, color=INK if signer else RED, gap=0, height=14)
        self.para(title or "Title — MISSING", size=10,
                  color=INK if title else RED, gap=0, height=13)
        self.para(_text(data.agency.get("name")), size=10, gap=2, height=13)
        self.para(SIGNER_ROLES[kind.name], size=8, color=GREY, gap=10, height=11)

    def enclosures(self) -> None:
        docs = self.data.documents
        self.heading("Enclosures: documents on file", "SHA-256 fingerprints")
        if not docs:
            self.para("No documents are linked to this request in the register.", size=9,
                      color=GREY, gap=4)
            return
        rows = [[str(i), f"{d.name}\n{d.size:,} bytes, added {_us_date(d.added_at)}",
                 d.sha256] for i, d in enumerate(docs, start=1)]
        epw = self.pdf.epw
        self.table(["#", "Document", "SHA-256"], rows, [18, epw - 18 - 286, 286],
                   ["RIGHT", "LEFT", "LEFT"], small_last=True)

    def checklist(self) -> None:
        """A page of its own for the coordinator, not part of the letter: which elements are
        given, missing or do not apply, and the rule each rests on."""
        pdf, data, kind = self.pdf, self.data, self.kind
        pdf.add_page()
        self.heading("Checklist for the coordinator", "not part of the letter")
        applicable = [s for s in data.states if s.applies]
        missing = data.missing
        if missing:
            are = "element is" if len(missing) == 1 else "elements are"
            self.box(f"Not ready to sign: {len(missing)} of {len(applicable)} required {are} "
                     "missing (marked MISSING in the letter). A request missing an element "
                     "comes back; complete it first.", RED, RED_FILL)
        else:
            self.box(f"Ready to sign: all {len(applicable)} elements {data.citation} asks for "
                     "are given.", GREEN, GREEN_FILL)
        rows = []
        for number, state in enumerate(data.states, start=1):
            e = state.element
            if not state.applies:
                status = f"does not apply: {e.condition or 'its condition does not hold'}"
            elif state.missing:
                status = "MISSING: " + "; ".join(_problem_text(kind, p) for p in state.problems)
            else:
                status = "given"
            rows.append([str(number), e.label, status, e.citation])
        epw = pdf.epw
        self.table(["#", "Element", "Status", "Source"], rows,
                   [26, epw * 0.42, epw * 0.38 - 26, epw * 0.2], ["RIGHT", "LEFT", "LEFT", "LEFT"])
        if data.ipr is not None:
            result = calculate(data.rules, data.ipr)
            self.para(f"IPR calculation (advisory): meets the guide: "
                      f"{'yes' if result['meets_guide'] else 'no'}. {result['explanation']}",
                      size=9, color=GREY, gap=6, align="L")
        a = data.addressee
        source = str(a.get("citation") or "the rule set")
        self.para(f"Addressed as {source} gives it ([requests.{kind.name}.addressee] in the "
                  "rule set); check the address, e-mail and fax with the CALNET Program before "
                  "sending.", size=9, color=GREY, gap=4, align="L")
