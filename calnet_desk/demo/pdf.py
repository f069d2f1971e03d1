"""The demo's documents: minimal one-page PDFs written by hand (deterministic: no dates, no
ids, nothing but the text), so the same seed gives the same document bytes."""

from __future__ import annotations

from collections.abc import Sequence

from ..records import Kind, Record
from .reference import SAMPLE_NOTE

# --- PDFs, by hand -----------------------------------------------------------------------


def _pdf_text(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _wrap(line: str, width: int = 92) -> list[str]:
    out: list[str] = []
    while len(line) > width:
        cut = line.rfind(" ", 8, width)  # past a continuation's indent: always progress
        cut = cut if cut > 0 else width
        out.append(line[:cut])
        line = "    " + line[cut:].lstrip()
    out.append(line)
    return out


def simple_pdf(title: str, lines: Sequence[str]) -> bytes:
    """A minimal valid one-page PDF (Letter, Helvetica): the title, a sample-data note and
    the lines. Deterministic: no dates, no ids, nothing but the text."""
    wrapped = [w for line in lines for w in _wrap(line)][:44]
    content = bytearray()
    content += b"BT\n/F1 15 Tf\n72 730 Td\n(" + _pdf_text(title) + b") Tj\nET\n"
    content += b"BT\n/F2 8 Tf\n72 712 Td\n(" + _pdf_text(SAMPLE_NOTE) + b") Tj\nET\n"
    content += b"BT\n/F2 10 Tf\n14 TL\n72 684 Td\n"
    for line in wrapped:
        content += b"(" + _pdf_text(line) + b") Tj T*\n"
    content += b"ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << "
        b"/F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding "
        b"/WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + bytes(content)
        + b"\nendstream",
        b"<< /Title (" + _pdf_text(title) + b") /Producer (CALNET Desk demo) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += str(number).encode() + b" 0 obj\n" + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 " + str(len(objects) + 1).encode() + b"\n0000000000 65535 f \n"
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (b"trailer\n<< /Size " + str(len(objects) + 1).encode()
            + b" /Root 1 0 R /Info 7 0 R >>\nstartxref\n" + str(xref).encode()
            + b"\n%%EOF\n")
    return bytes(out)


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
