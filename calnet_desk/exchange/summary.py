"""The audit bundle's PDF summary: agency, CATR, scope and as-of date, the record counts and
a list of the records, the open findings and deadlines in scope as of that date, and the
citations behind them [STMM 501.0, 3-502.0].

Made with fpdf2 and the fonts the request packets use (exchange.pdf); the PDF's
creation date is the as-of date, so the same data gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..policy.deadlines import deadlines, us_date
from ..policy.findings import findings
from ..records import KINDS, Kind, Record
from ..store import Register
from ..values import display
from .pdf import BLUE, BOTTOM, FONT_FAMILY, GREY, INK, LIGHT, MARGIN, RED, TOP, fonts_added

if TYPE_CHECKING:
    from .bundle import Redactor, Scope, Selection

ROW = 11.0  # points per list line
# Records listed per kind; the rest are named by count (every record is in the record
# files): a summary an auditor reads, and a bundle of 50,000 orders still made quickly.
LISTED = 250
WIDEST = 7.6  # points: no glyph of the 8-point list font is wider


def _fit(pdf: Any, text: str, width: float) -> str:
    """One line: text cut with an ellipsis to fit the width."""
    text = " ".join(text.split())
    room = width - 2
    if len(text) * WIDEST <= room:
        return text
    measured = pdf.get_string_width(text)
    if measured <= room:
        return text
    text = text[:max(1, int(len(text) * room / measured))]  # about right, then trimmed
    while len(text) > 1 and pdf.get_string_width(text + "…") > room:
        text = text[:-1]
    return text + "…"


def _title(kind: Kind, record: Record, red: Redactor) -> str:
    if kind.title_field is None:
        return ""
    f = kind.by_name[kind.title_field]
    value = record.get(f.name)
    if value is None:
        return ""
    if f.personal and red.on:
        return "[redacted]"
    return red.text(display(f, value))


def render_summary(reg: Register, sel: Selection, scope: Scope, as_of: dt.date,
                   red: Redactor) -> bytes:
    from fpdf import FPDF

    keys = sel.keys()
    found = [f for f in findings(reg, as_of)
             if (f.kind, f.key) in keys or (scope.kind == "all" and f.kind not in KINDS)]
    due = [d for d in deadlines(reg, as_of)
           if (d.record_kind, d.key) in keys and d.status != "acknowledged"]
    agency = str(sel.agency.get("name") or "")
    when = dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=dt.UTC)
    title = f"CALNET audit bundle — {agency}"

    class Summary(FPDF):
        def header(self) -> None:
            if self.page_no() == 1:
                return
            self.set_font(FONT_FAMILY, "", 8)
            self.set_text_color(*GREY)
            self.set_x(MARGIN)
            self.cell(self.w - 2 * MARGIN, 10, f"{title} · scope {scope.text} · as of "
                      f"{us_date(as_of)}", align="L")
            self.ln(18)
            self.set_text_color(*INK)

        def footer(self) -> None:
            self.set_y(-42)
            self.set_draw_color(*LIGHT)
            self.line(MARGIN, self.get_y(), self.w - MARGIN, self.get_y())
            self.ln(6)
            self.set_font(FONT_FAMILY, "", 7.5)
            self.set_text_color(*GREY)
            self.set_x(MARGIN)
            width = self.w - 2 * MARGIN
            self.cell(width * 0.75, 10, f"Prepared with CALNET Desk {__version__} from the "
                      f"register as of {us_date(as_of)}", align="L")
            self.cell(width * 0.25, 10, f"Page {self.page_no()} of {{nb}}", align="R")

    pdf = Summary(orientation="P", unit="pt", format="letter")
    pdf.set_margins(MARGIN, TOP, MARGIN)
    pdf.set_auto_page_break(True, BOTTOM)
    pdf.set_creation_date(when)
    pdf.set_title(title)
    pdf.set_subject(f"Scope {scope.text}, as of {as_of.isoformat()} (STMM 501.0, 3-502.0)")
    pdf.set_author(agency or "CALNET Desk")
    pdf.set_creator(f"CALNET Desk {__version__}")
    pdf.set_lang("en-US")
    width = pdf.w - 2 * MARGIN

    with fonts_added(pdf):
        pdf.add_page()

        def font(size: float, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
            pdf.set_font(FONT_FAMILY, "B" if bold else "", size)
            pdf.set_text_color(*color)

        def heading(text: str) -> None:
            if pdf.get_y() > pdf.h - BOTTOM - 60:
                pdf.add_page()
            pdf.ln(10)
            font(12, True, BLUE)
            pdf.set_x(MARGIN)
            pdf.cell(width, 16, text, new_x="LMARGIN", new_y="NEXT")
            pdf.set_draw_color(*LIGHT)
            pdf.line(MARGIN, pdf.get_y(), MARGIN + width, pdf.get_y())
            pdf.ln(4)

        def row(cells: list[tuple[str, float]], bold: bool = False,
                color: tuple[int, int, int] = INK) -> None:
            font(8, bold, color)
            if pdf.get_y() + ROW > pdf.h - BOTTOM:
                pdf.add_page()
                font(8, bold, color)
            pdf.set_x(MARGIN)
            for text, share in cells:
                w = width * share
                pdf.cell(w, ROW, _fit(pdf, text, w))
            pdf.ln(ROW)

        def para(text: str, size: float = 9, color: tuple[int, int, int] = INK) -> None:
            font(size, False, color)
            pdf.set_x(MARGIN)
            pdf.multi_cell(width, size * 1.35, text, align="L", new_x="LMARGIN",
                           new_y="NEXT")

        font(18, True, BLUE)
        pdf.cell(width, 24, "CALNET audit bundle", new_x="LMARGIN", new_y="NEXT")
        font(11, False, GREY)
        pdf.cell(width, 16, agency, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(8)
        catr = ("[redacted]" if red.on else
                "; ".join(str(p.get("name")) for p in sel.catrs if p.get("name"))
                or "no active CATR")
        head = sel.head
        facts = [("Agency", agency),
                 ("Agency class", str(sel.agency.get("agency_class") or "")),
                 ("CATR", catr),
                 ("Scope", scope.text),
                 ("As of", us_date(as_of)),
                 ("History", f"{len(sel.entries):,} entries in scope of {len(sel.chain):,}; "
                             f"chain head {head[:16]}…"),
                 ("Redacted", "yes: personal names, e-mail, phone and user names dropped"
                  if red.on else "no")]
        for label, value in facts:
            font(9, True, GREY)
            pdf.set_x(MARGIN)
            pdf.cell(100, 14, label)
            font(9)
            pdf.cell(width - 100, 14, _fit(pdf, value, width - 100), new_x="LMARGIN",
                     new_y="NEXT")
        pdf.ln(4)
        para("The agency's files of granted exemptions, delegation purchases and Form 20 "
             "copies, made available to the CALNET Program on request (STMM 501.0, "
             "3-502.0). Every file in this bundle is listed with its SHA-256 in "
             "manifest-sha256.txt; the history entries link to the register's hash chain "
             "(data/history/chain.csv).", 9, GREY)

        heading("Records")
        row([("Kind", 0.5), ("Records", 0.2), ("Documents linked", 0.3)], bold=True,
            color=GREY)
        linked: dict[str, int] = {}
        for _doc, links in sel.documents:
            for k in {k for k, _ in links}:
                linked[k] = linked.get(k, 0) + 1
        for kind_name, records in sel.records.items():
            row([(KINDS[kind_name].label, 0.5), (f"{len(records):,}", 0.2),
                 (f"{linked.get(kind_name, 0):,}", 0.3)])
        row([("Documents in the bundle", 0.5), (f"{len(sel.documents):,}", 0.2),
             (f"{sum(d.size for d, _ in sel.documents):,} bytes", 0.3)], bold=True)

        heading(f"Open findings as of {us_date(as_of)} ({len(found)})")
        if not found:
            para("None.", 9, GREY)
        if len(found) > LISTED:
            by_code: dict[tuple[str, str, str], int] = {}
            for f in found:
                by_code[(f.severity, f.code, f.citation)] = by_code.get(
                    (f.severity, f.code, f.citation), 0) + 1
            row([("Severity", 0.1), ("Finding", 0.44), ("Count", 0.16), ("Citation", 0.3)],
                bold=True, color=GREY)
            for (severity, code, citation), n in by_code.items():
                row([(severity, 0.1), (code, 0.44), (f"{n:,}", 0.16), (citation, 0.3)])
            pdf.ln(6)
        for f in found[:LISTED]:
            row([(f.severity, 0.1), (f.code, 0.34), (f"{f.kind} {f.key}", 0.26),
                 (f.citation, 0.3)], bold=True, color=RED if f.severity == "error" else INK)
            row([("", 0.04), (red.text(f.message), 0.96)], color=GREY)
        if len(found) > LISTED:
            para(f"… and {len(found) - LISTED:,} more findings (counted above); "
                 f"calnet-desk-cli findings --today {as_of.isoformat()} lists them all.",
                 8.5, GREY)

        heading(f"Deadlines as of {us_date(as_of)} ({len(due)})")
        if not due:
            para("None.", 9, GREY)
        else:
            row([("Date", 0.14), ("Status", 0.12), ("Deadline", 0.3), ("Record", 0.26),
                 ("Citation", 0.18)], bold=True, color=GREY)
        for d in due:
            row([(us_date(d.date), 0.14), (d.status, 0.12), (d.kind, 0.3),
                 (f"{d.record_kind} {d.key}", 0.26), (d.citation, 0.18)],
                color=RED if d.status == "overdue" else INK)

        for kind_name, records in sel.records.items():
            kind = KINDS[kind_name]
            if not records:
                continue
            heading(f"{kind.label} ({len(records):,})")
            status_f = kind.by_name.get(kind.status_field or "")
            date_f = kind.by_name.get(kind.date_field or "")
            row([(kind.key.label, 0.2), (kind.by_name[kind.title_field].label
                                         if kind.title_field else "", 0.5),
                 (status_f.label if status_f else "", 0.15),
                 (date_f.label if date_f else "", 0.15)], bold=True, color=GREY)
            for r in records[:LISTED]:
                row([(str(r.get(kind.key.name)), 0.2), (_title(kind, r, red), 0.5),
                     (display(status_f, r.get(status_f.name)) if status_f and not
                      status_f.personal else "", 0.15),
                     (display(date_f, r.get(date_f.name)) if date_f else "", 0.15)])
            if len(records) > LISTED:
                para(f"… and {len(records) - LISTED:,} more {kind.label}: every record is in "
                     f"data/records/{kind.name}.csv, .xlsx and .json.", 8.5, GREY)

        heading("Citations")
        cited = sorted({*(f.citation for f in found), *(d.citation for d in due),
                        *(KINDS[k].citation for k in sel.records if KINDS[k].citation),
                        "STMM 501.0", "STMM 3-502.0"})
        para("; ".join(cited) + ".", 9)
        para("STMM 501.0 and 3-502.0: the agency keeps a central file of granted exemptions "
             "and their acquisition documents, of delegation purchases and informational "
             "copies of every Form 20 issued under each delegation, and makes them available "
             "to the CALNET Program on request.", 8.5, GREY)
        return bytes(pdf.output())
