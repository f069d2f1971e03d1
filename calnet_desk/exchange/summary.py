"""The audit bundle's PDF summary: agency, CATR, scope and as-of date, the record counts and
a list of the records, the open findings and deadlines in scope as of that date, and the
citations behind them [STMM 501.0, 3-502.0].

Typeset by Typst as a tagged PDF (exchange.pdf.typeset: headings, paragraphs and tables in
reading order, for screen readers), in the fonts the request packets use; the PDF's creation
date is the as-of date, so the same data gives the same bytes. Findings and deadlines show
their labels from the rule set, never their codes, and their messages whole.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..policy.deadlines import Deadline, RuleBook, deadlines, us_date
from ..policy.findings import Finding, findings
from ..policy.rules import RuleSet
from ..records import AGENCY_FIELDS, KINDS, Field, Kind, Record, choice_label
from ..store import Register
from ..values import escape_cell, words
from .pdf import typeset

if TYPE_CHECKING:
    from .bundle_view import RedactorView as Redactor
    from .bundle_view import ScopeView as Scope
    from .bundle_view import SelectionView as Selection

# Records and findings listed in full per kind; past that the summary names the count and
# the file that holds every one: a summary an auditor reads, and a bundle of 50,000 orders
# still made quickly. Nothing listed is ever cut: long text wraps.
LISTED = 250


def _cell(kind: Kind, f: Field, record: Record, red: Redactor) -> str:
    value = record.get(f.name)
    if value is None:
        return ""
    if f.personal and red.on:
        return "[redacted]"
    return red.text(words(f, value))


def record_name(kind_name: str, key: str) -> str:
    """'orders', 'O-1' -> 'Order O-1' (the kind in words, not its code)."""
    kind = KINDS.get(kind_name)
    return f"{choice_label(kind.singular) if kind else choice_label(kind_name)} {key}"


def _bold(text: str, color: str = "ink") -> dict[str, Any]:
    return {"t": text, "b": True, "c": color}


@dataclass(frozen=True)
class Judged:
    """The open findings and the deadlines of the records in a bundle, as of its date."""

    found: list[Finding]
    due: list[Deadline]
    rules: RuleSet


def judge(reg: Register, sel: Selection, scope: Scope, as_of: dt.date) -> Judged:
    """The findings and deadlines of the records in the bundle: judged on the register as
    of the day when the bundle is rebuilt from the history (export-bundle --as-of)."""
    source = sel.source or reg
    book = RuleBook(source)
    keys = sel.keys()
    found = [f for f in findings(source, as_of, book)
             if (f.kind, f.key) in keys or (scope.kind == "all" and f.kind not in KINDS)]
    due = [d for d in deadlines(source, as_of, book=book)
           if (d.record_kind, d.key) in keys and d.status != "acknowledged"]
    return Judged(found, due, book.common)


FINDINGS_FILE = "findings.csv"  # under data/: every finding the summary counts
FINDINGS_COLUMNS = ("severity", "finding", "code", "record_kind", "record_key", "message",
                    "citation")


def findings_csv(judged: Judged, red: Redactor) -> bytes:
    """data/findings.csv: every open finding in scope, whole (the summary lists the first
    LISTED); CSV, UTF-8 with BOM, formula-safe like the record files."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(FINDINGS_COLUMNS)
    for f in judged.found:
        writer.writerow((f.severity, judged.rules.label("findings", f.code), f.code, f.kind,
                         escape_cell(f.key), escape_cell(red.text(f.message)), f.citation))
    return b"\xef\xbb\xbf" + text.getvalue().encode("utf-8")


def render_summary(reg: Register, sel: Selection, scope: Scope, as_of: dt.date,
                   red: Redactor, judged: Judged | None = None) -> bytes:
    return typeset("document", *summary_document(reg, sel, scope, as_of, red, judged))


def summary_document(reg: Register, sel: Selection, scope: Scope, as_of: dt.date,
                     red: Redactor, judged: Judged | None = None
                     ) -> tuple[dict[str, Any], dt.datetime]:
    """What the summary shows (exchange.pdf.typeset's input) and its creation date."""
    judged = judged or judge(reg, sel, scope, as_of)
    found, due, rules = judged.found, judged.due, judged.rules
    agency = str(sel.agency.get("name") or "")
    title = f"CALNET audit bundle — {agency}"
    blocks: list[dict[str, Any]] = []

    def heading(text: str, level: int = 2) -> None:
        blocks.append({"k": "h", "level": level, "t": text})

    def para(text: Any, size: float = 9, color: str = "ink", **more: Any) -> None:
        blocks.append({"k": "p", "t": text, "size": size, "color": color, **more})

    def table(header: list[str], rows: list[list[Any]], widths: list[float],
              aligns: list[str] | None = None) -> None:
        blocks.append({"k": "table", "header": header, "rows": rows, "widths": widths,
                       "aligns": aligns or ["left"] * len(header), "size": 8})

    heading("CALNET audit bundle", 1)
    para(agency, 11, "grey", gap=10)
    catr = ("[redacted]" if red.on else
            "; ".join(str(p.get("name")) for p in sel.catrs if p.get("name"))
            or "no active CATR")
    blocks.append({"k": "terms", "size": 9, "label": 100, "items": [
        ["Agency", agency],
        ["Agency class", words(AGENCY_FIELDS[1], sel.agency.get("agency_class"))],
        ["CATR", catr],
        ["Scope", scope.text],
        ["As of", f"{us_date(as_of)}, the register as it stood at the end of that day"],
        ["History", f"{len(sel.entries):,} entries in scope of {len(sel.chain):,}; "
                    f"chain head {sel.head}"],
        ["Redacted", "yes: personal names, e-mail, phone and user names dropped"
         if red.on else "no"]]})
    para("The agency's files of granted exemptions, delegation purchases and Form 20 "
         "copies, made available to the CALNET Program on request (STMM 501.0, 3-502.0). "
         "Every file in this bundle is listed with its SHA-256 in manifest-sha256.txt; the "
         "history entries link to the register's hash chain (data/history/chain.csv). "
         "The record files keep the register's column names and codes; data/columns.csv "
         "gives each column's label, format, choices in words, meaning and source.",
         9, "grey")

    heading("Records")
    linked: dict[str, int] = {}
    for _doc, links in sel.documents:
        for k in {k for k, _ in links}:
            linked[k] = linked.get(k, 0) + 1
    rows: list[list[Any]] = [[KINDS[k].label, f"{len(rs):,}", f"{linked.get(k, 0):,}"]
                             for k, rs in sel.records.items()]
    rows.append([_bold("Documents in the bundle"), _bold(f"{len(sel.documents):,}"),
                 _bold(f"{sum(d.size for d, _ in sel.documents):,} bytes")])
    table(["Kind", "Records", "Documents linked"], rows, [5, 2, 3],
          ["left", "right", "right"])

    heading(f"Open findings as of {us_date(as_of)} ({len(found)})")
    if not found:
        para("None.", 9, "grey")
    if len(found) > LISTED:
        counts: dict[tuple[str, str, str], int] = {}
        for f in found:
            label = (choice_label(f.severity), rules.label("findings", f.code), f.citation)
            counts[label] = counts.get(label, 0) + 1
        table(["Severity", "Finding", "Count", "Citation"],
              [[sev, label, f"{n:,}", cite] for (sev, label, cite), n in counts.items()],
              [1.2, 5, 1, 2.8], ["left", "left", "right", "left"])
    if found:
        table(["Severity", "Finding", "Record", "Citation"],
              [[_bold(choice_label(f.severity), "red" if f.severity == "error" else "ink"),
                [_bold(rules.label("findings", f.code)), "\n",
                 {"t": red.text(f.message), "c": "grey"}],
                record_name(f.kind, f.key), f.citation] for f in found[:LISTED]],
              [1.2, 5.6, 1.8, 1.9])
    if len(found) > LISTED:
        para(f"The first {LISTED:,} of {len(found):,} findings are listed above; every one "
             f"is in data/{FINDINGS_FILE}.", 8.5, "grey")

    heading(f"Deadlines as of {us_date(as_of)} ({len(due)})")
    if not due:
        para("None.", 9, "grey")
    else:
        table(["Date", "Status", "Deadline", "Record", "Citation"],
              [[us_date(d.date),
                _bold(choice_label(d.status), "red") if d.status == "overdue"
                else choice_label(d.status),
                rules.label("deadlines", d.kind), record_name(d.record_kind, d.key),
                d.citation] for d in due],
              [1.3, 1.2, 3, 2.2, 1.8])

    for kind_name, records in sel.records.items():
        kind = KINDS[kind_name]
        if not records:
            continue
        heading(f"{kind.label} ({len(records):,})")
        shown = [f for f in (*(kind.by_name[n] for n in kind.key_names),
                             kind.by_name.get(kind.title_field or ""),
                             kind.by_name.get(kind.status_field or ""),
                             kind.by_name.get(kind.date_field or "")) if f is not None]
        widths: dict[str | None, float] = {**{n: 2.0 for n in kind.key_names},
                                           kind.title_field: 5.0}
        table([f.label for f in shown],
              [[_cell(kind, f, r, red) for f in shown] for r in records[:LISTED]],
              [widths.get(f.name, 1.5) for f in shown])
        if len(records) > LISTED:
            para(f"The first {LISTED:,} of {len(records):,} {kind.label} are listed above; "
                 f"every one is in data/records/{kind.name}.csv, .xlsx and .json.",
                 8.5, "grey")

    heading("Citations")
    cited = sorted({*(f.citation for f in found), *(d.citation for d in due),
                    *(KINDS[k].citation for k in sel.records if KINDS[k].citation),
                    "STMM 501.0", "STMM 3-502.0"})
    para("; ".join(cited) + ".", 9)
    para("STMM 501.0 and 3-502.0: the agency keeps a central file of granted exemptions and "
         "their acquisition documents, of delegation purchases and informational copies of "
         "every Form 20 issued under each delegation, and makes them available to the CALNET "
         "Program on request.", 8.5, "grey")
    return {
        "title": title, "author": agency or "CALNET Desk",
        "subject": f"Scope {scope.text}, as of {as_of.isoformat()} (STMM 501.0, 3-502.0)",
        "keywords": ["CALNET", "audit bundle", f"CALNET Desk {__version__}"],
        "running": f"{title} · scope {scope.text} · as of {us_date(as_of)}",
        "footer": f"Prepared with CALNET Desk {__version__} from the register as of "
                  f"{us_date(as_of)}",
        "blocks": blocks}, dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=dt.UTC)
