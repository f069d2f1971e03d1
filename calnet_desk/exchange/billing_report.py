"""What a coordinator takes away from a reconciliation: a workbook (a summary sheet with
totals per contractor and BAN, then one sheet per finding code), a one-page PDF for
management ("$X a month, $Y a year at stake") and a dispute list to send to a contractor
(BAN, line, amount, reason).

All three are computed from the register when asked (``policy.reconcile``); nothing of the
reconciliation is stored but a person's marks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from .. import __version__
from ..files import atomic_output
from ..policy.billing_codes import CODES, LABELS
from ..policy.reconcile import Finding, money_text, totals
from ..policy.rules import RuleSet
from ..values import escape_cell
from .pdf import typeset
from .sheets import Cell, Sheet, write_csv
from .sheets import workbook_bytes as sheets_workbook

# The codes a contractor is asked to credit (the others are the agency's own work: an
# unused line to disconnect, an order not billed to look into).
DISPUTABLE = ("billed-after-disconnect", "billed-not-in-register", "duplicate-billing",
              "rate-mismatch")
DISPUTE_COLUMNS = ("BAN", "Line", "Amount", "Reason")
CODE_COLUMNS = ("Contractor", "BAN", "Line", "Order", "Monthly amount", "Annual amount",
                "Mark", "Mark amount", "Note", "Marked by", "Marked at", "Message")
MONEY = '"$"#,##0.00;[Red]-"$"#,##0.00'


@dataclass(frozen=True)
class Group:
    """Totals of some findings: per contractor, per contractor and BAN, per code."""
    findings: int
    open: int
    monthly: int  # at stake a month (open findings, positive amounts), cents
    disputed: int
    recovered: int

    @property
    def annual(self) -> int:
        return 12 * self.monthly


def group(found: Iterable[Finding]) -> Group:
    items = list(found)
    t = totals(items)
    return Group(len(items), sum(f.open for f in items), t.monthly_at_stake, t.disputed,
                 t.recovered)


def by_contractor_and_ban(found: list[Finding]
                          ) -> list[tuple[str, str | None, Group]]:
    """(contractor, BAN or None for the contractor's total, totals), contractors in order,
    each one's total first and then its BANs."""
    out: list[tuple[str, str | None, Group]] = []
    for contractor in sorted({f.contractor for f in found}):
        mine = [f for f in found if f.contractor == contractor]
        out.append((contractor, None, group(mine)))
        for ban in sorted({f.ban or "" for f in mine}):
            out.append((contractor, ban, group(f for f in mine if (f.ban or "") == ban)))
    return out


def _dollars(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(cents) / 100


def workbook_bytes(found: list[Finding], month: str, agency: str) -> bytes:
    """The reconciliation workbook: Summary, then one sheet per code (every code, empty
    ones too, so a macro or a pivot finds them where it expects)."""
    def cell(value: object, fmt: str | None = None, strong: bool = False) -> Cell:
        return Cell(value, fmt, strong)

    whole = group(found)
    summary: list[list[Cell]] = [
        [cell(f"Billing cross-check {month} — {agency}", strong=True)],
        [cell("At stake a month"), cell(_dollars(whole.monthly), MONEY)],
        [cell("At stake a year"), cell(_dollars(whole.annual), MONEY)],
        [cell("Disputed a month"), cell(_dollars(whole.disputed), MONEY)],
        [cell("Recovered (credited)"), cell(_dollars(whole.recovered), MONEY)],
        [],
        [cell(h, strong=True) for h in (
            "Contractor", "BAN", "Findings", "Open", "At stake a month", "At stake a year",
            "Disputed a month", "Recovered")]]
    for contractor, ban, g in by_contractor_and_ban(found):
        strong = ban is None
        summary.append([cell(contractor, strong=strong),
                        cell("(all BANs)" if ban is None else ban or "(none)", strong=strong),
                        cell(g.findings), cell(g.open),
                        cell(_dollars(g.monthly), MONEY, strong),
                        cell(_dollars(g.annual), MONEY, strong),
                        cell(_dollars(g.disputed), MONEY), cell(_dollars(g.recovered), MONEY)])
    summary += [[], [cell("The finding codes are CALNET Desk's own design (no policy text "
                          "prescribes a billing check); each code has its own sheet.")]]
    sheets = [Sheet("Summary", summary, widths=(22, 18, 16, 16, 16, 16, 16, 16))]
    for code in CODES:
        rows: list[list[Cell]] = [[cell(h, strong=True) for h in CODE_COLUMNS]]
        for f in found:
            if f.code != code:
                continue
            m = f.mark
            rows.append([cell(f.contractor), cell(f.ban), cell(f.line), cell(f.order),
                         cell(_dollars(f.monthly_amount), MONEY),
                         cell(_dollars(12 * f.monthly_amount), MONEY),
                         cell(m.mark if m else None),
                         cell(_dollars(m.amount) if m else None, MONEY),
                         cell(m.note if m else None), cell(m.marked_by if m else None),
                         cell(m.marked_at if m else None), cell(f.message)])
        sheets.append(Sheet(code, rows, widths=(14, 14, 22, 14, 14, 14, 11, 12, 24, 12, 20, 80),
                            freeze_header=True))
    return sheets_workbook(sheets, "`calnet-desk-cli reconcile --json` and the register")


def pdf_bytes(found: list[Finding], month: str, agency: str, today: dt.date) -> bytes:
    """One page for management, a tagged PDF (exchange.pdf.typeset): the dollars at stake,
    then per contractor and per finding."""
    whole = group(found)
    title = f"Billing cross-check {month}"
    money_cols = ["right", "right", "right", "right"]

    def row(name: str, g: Group) -> list[str]:
        return [name, f"{g.open:,}", money_text(g.monthly), money_text(g.annual),
                money_text(g.recovered)]

    contractors = [(c, g) for c, ban, g in by_contractor_and_ban(found) if ban is None]
    shown = contractors[:8]
    header = ["Open", "A month", "A year", "Recovered"]
    blocks: list[dict[str, object]] = [
        {"k": "h", "level": 1, "t": title},
        {"k": "p", "t": agency, "size": 11, "color": "grey", "gap": 12},
        {"k": "p", "t": f"{money_text(whole.monthly)} a month, {money_text(whole.annual)} a "
                        "year at stake", "size": 20, "bold": True,
         "color": "red" if whole.monthly else "ink", "gap": 4},
        {"k": "p", "t": f"{whole.findings:,} finding(s), {whole.open:,} still open (unmarked "
                        f"or disputed). Disputed: {money_text(whole.disputed)} a month. "
                        f"Recovered so far: {money_text(whole.recovered)}.",
         "size": 10, "color": "grey"},
        {"k": "h", "level": 2, "t": "By contractor"},
        {"k": "table", "header": ["Contractor", *header], "size": 9,
         "rows": [row(c, g) for c, g in shown], "widths": [34, 10, 18, 20, 18],
         "aligns": ["left", *money_cols]},
        *([{"k": "p", "t": f"… and {len(contractors) - len(shown)} more contractors (in the "
                            "workbook)", "size": 8.5, "color": "grey"}]
          if len(contractors) > len(shown) else []),
        {"k": "h", "level": 2, "t": "By finding"},
        {"k": "table", "header": ["Finding", *header], "size": 9,
         "rows": [row(LABELS[code], group(f for f in found if f.code == code))
                  for code in CODES], "widths": [34, 10, 18, 20, 18],
         "aligns": ["left", *money_cols]},
        {"k": "p", "size": 8.5, "color": "grey",
         "t": "At stake: the monthly amounts of findings still open (unmarked or disputed), "
              "a year being twelve months. The finding codes are CALNET Desk's own design: "
              "no policy text prescribes a billing check. Every finding, line by line, is in "
              f"the workbook (calnet-desk-cli reconcile-report --month {month} -o FILE.xlsx) "
              f"and in calnet-desk-cli reconcile --month {month}."},
    ]
    return typeset("document", {
        "title": f"{title} — {agency}", "author": agency or "CALNET Desk",
        "subject": f"Billing cross-check of {month}: findings and dollars at stake",
        "keywords": ["CALNET", "billing", month, f"CALNET Desk {__version__}"],
        "footer": f"Prepared with CALNET Desk {__version__} on {today.strftime('%m/%d/%Y')}",
        "blocks": blocks}, dt.datetime(today.year, today.month, today.day, tzinfo=dt.UTC))


def write_report(target: Path, found: list[Finding], month: str, agency: str,
                 today: dt.date) -> str:
    """Write the workbook (.xlsx) or the one-page PDF (.pdf); returns which."""
    suffix = target.suffix.lower()
    if suffix == ".xlsx":
        content = workbook_bytes(found, month, agency)
        kind = "workbook"
    elif suffix == ".pdf":
        content = pdf_bytes(found, month, agency, today)
        kind = "PDF"
    else:
        raise ValueError(f"{target}: give a file name ending in .xlsx (the workbook) or .pdf "
                         "(the one-page summary)")
    with atomic_output(target) as tmp:
        tmp.write_bytes(content)
    return kind


def dispute_rows(found: list[Finding], rules: RuleSet) -> list[tuple[str, str, str, str]]:
    """(BAN, line, amount, reason) of the findings to put to the contractor: those of the
    disputable codes still open, with a positive amount (an under-billed rate is not
    disputed). The reason is the rule set's ``dispute`` text of the code."""
    out = []
    for f in found:
        if f.code not in DISPUTABLE or not f.open or f.monthly_amount <= 0:
            continue
        template = str(rules.findings.get(f.code, {}).get("dispute") or f.code)
        reason = template.format_map(_Kept(line=f.line, order=f.order or "", month=f.month,
                                           amount=money_text(f.monthly_amount)))
        out.append((escape_cell(f.ban or ""), escape_cell(f.line),
                    f"{f.monthly_amount / 100:.2f}", escape_cell(reason)))
    return out


class _Kept(dict[str, str]):
    """Names a rule set's dispute text may use; any other {name} stays as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def write_dispute_list(target: Path, rows: list[tuple[str, str, str, str]]) -> None:
    write_csv(target, DISPUTE_COLUMNS, rows)
