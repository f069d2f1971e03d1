"""The column guide an audit bundle carries (data/columns.csv): for every column of its
record files, the label a person reads, what the value holds and how it is written, its
choices in words, and the source it rests on, from the fields' declarations
(calnet_desk/records.py). The record files keep the register's canonical column names and
codes (import and merge read them); the guide is how an auditor reads them.

The same kinds give the same bytes."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from ...records import Field, Kind, choice_label

GUIDE = "columns.csv"  # under data/
HEADER = ("file", "column", "label", "required", "format", "choices", "help", "source")

_FORMATS = {
    "text": "text",
    "date": "date, YYYY-MM-DD (in XLSX a date cell)",
    "money": "US dollars with cents, e.g. 1234.50 (in XLSX a number in currency format)",
    "integer": "whole number",
    "yesno": "yes or no (in JSON true or false)",
    "choice": "one of the choices (their codes)",
    "list": "list, items separated by \"; \" (in JSON a list)",
}


def _format(f: Field) -> str:
    text = _FORMATS[f.type]
    if f.references:
        text += f"; the key of a record in records/{f.references}"
    if f.personal:
        text += "; personal (blank in a redacted bundle)"
    return text


# history/chain.csv: every entry of the register's hash chain (docs/history-chain.md)
CHAIN = "history/chain.csv"
_CHAIN_COLUMNS = (
    ("id", "Entry", "whole number", "The entry's number in the register's history: 1, 2, 3, …"),
    ("at", "When (UTC)", "UTC time, YYYY-MM-DDTHH:MM:SSZ", "When the change was saved."),
    ("kind", "Record kind", "text", "The kind of record changed (records/KIND), or agency, "
     "documents, document-links and the other tracked rows."),
    ("key", "Record key", "text", "The key of the record changed."),
    ("action", "Action", "insert, update or delete", "What the entry did to the record."),
    ("refs", "Scope references", "canonical JSON", "The references that decide a bundle's "
     "scope (an order's delegation_id and exemption_id, …), as {field: [old, new]}."),
    ("body", "Body", "SHA-256, hex", "The commitment to the entry's changes, user and "
     "reason."),
    ("prev", "Previous hash", "SHA-256, hex", "The hash of the entry before (64 zeros for "
     "the first)."),
    ("hash", "Hash", "SHA-256, hex", "SHA-256 of prev and the entry's digest; the last one "
     "is History-Chain-Head in bag-info.txt."),
)


# findings.csv: every open finding in scope as of the bundle's date (exchange/summary.py)
FINDINGS = "findings.csv"
_FINDINGS_COLUMNS = (
    ("severity", "Severity", "error, warning or info", "How serious the finding is."),
    ("finding", "Finding", "text", "What is wrong, in words (the rule set's label)."),
    ("code", "Code", "text", "The finding's code: its entry [findings.CODE] in the rule set."),
    ("record_kind", "Record kind", "text", "The kind of the record it is about (records/KIND),"
     " or agency."),
    ("record_key", "Record key", "text", "The key of the record it is about."),
    ("message", "Message", "text", "The finding in full: what is wrong and what to do."),
    ("citation", "Source", "text", "The policy text the rule rests on (design: CALNET Desk's "
     "own check)."),
)


def column_guide(kinds: Iterable[Kind]) -> bytes:
    """data/columns.csv for the record files of ``kinds`` (CSV, UTF-8 with BOM, as the
    record files are)."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(HEADER)
    for kind in kinds:
        for f in kind.fields:
            writer.writerow((
                f"records/{kind.name}.csv|.xlsx|.json", f.name, f.label,
                "yes" if f.required else "no", _format(f),
                "; ".join(f"{c} = {choice_label(c)}" for c in f.choices),
                " ".join(f.help.split()),
                f.citation if f.citation not in ("", "design")
                else "CALNET Desk's design (no policy text behind it)"))
    for name, label, shape, help_text in _FINDINGS_COLUMNS:
        writer.writerow((FINDINGS, name, label, "yes", shape, "", help_text,
                         "the rule set ([findings.CODE])"))
    for name, label, shape, help_text in _CHAIN_COLUMNS:
        writer.writerow((CHAIN, name, label, "yes", shape, "", help_text,
                         "docs/history-chain.md (History-Chain-Version 2)"))
    return b"\xef\xbb\xbf" + text.getvalue().encode("utf-8")
