"""The demo's documents: one-page PDFs made by the project's PDF code
(calnet_desk.exchange.pdf.plain_pdf), dated the demo's as-of date, so the same seed gives the
same document bytes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ..exchange.pdf import plain_pdf
from ..records import Kind, Record
from .reference import AS_OF, SAMPLE_NOTE

CREATED = dt.datetime.combine(AS_OF, dt.time(), tzinfo=dt.UTC)  # every demo document's date


def simple_pdf(title: str, lines: Sequence[str]) -> bytes:
    """A one-page PDF (Letter, Helvetica): the title, the sample-data note and the lines,
    made by the project's PDF code. Deterministic: the same text gives the same bytes (the
    creation date is the demo's as-of date)."""
    return plain_pdf(title, SAMPLE_NOTE, lines, CREATED, producer="CALNET Desk demo")


def _money_text(cents: object) -> str:
    if not isinstance(cents, int):
        return "-"
    return f"${cents // 100:,}.{cents % 100:02d}"


def order_pdf(agency: str, catr: str, o: Record) -> bytes:
    return simple_pdf(f"STD. 20 Telecommunications Service Request {o['request_number']}", [
        f"Agency: {agency}",
        f"Request number: {o['request_number']}    Request date: {o['request_date']}",
        f"Order type: {o['order_type']}",
        f"Contractor: {o['contractor']}    Contract: {o['contract_number'] or '-'}",
        f"Category: {o['category']}",
        f"Description: {o['description']}",
        f"Quantity: {o['quantity']}",
        f"Service address: {o['street']}, {o['city']}, CA {o['zip']}",
        f"One-time cost: {_money_text(o['one_time_cost'])}    "
        f"Monthly cost: {_money_text(o['monthly_cost'])}",
        f"Catalog status: {o['catalog_status']} as of {o['catalog_status_as_of']}    "
        f"Delegation required: {'yes' if o['delegation_required'] else 'no'}",
        f"Placed under: {o['delegation_id'] or o['exemption_id'] or '-'}",
        f"Circuit id / phone number: {o['circuit_id'] or '-'}",
        f"Billing account: {o['billing_account'] or '-'}",
        "",
        f"ATR: {o['placed_by']}",
        f"Approved by the CATR: {catr}",
    ])


def record_pdf(agency: str, title: str, kind: Kind, r: Record) -> bytes:
    lines = [f"Agency: {agency}", ""]
    for f in kind.fields:
        v = r.get(f.name)
        if v is None:
            text = "(not given)"
        elif isinstance(v, list):
            text = "; ".join(v)
        elif f.type == "money":
            text = _money_text(v)
        else:
            text = str(v)
        lines.append(f"{f.label}: {text}")
    return simple_pdf(title, lines)
