"""Turning cells into record values and back, one function per field type.

Parsing is the hot path of an import (every cell of a 50,000-row sheet goes through here),
so each type has one small function, picked once per column.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any, cast

from .records import Field, Value, choice_label

# --- formula-injection escaping (OWASP CSV injection) --------------------------------
# A cell starting with one of these is run as a formula by Excel or LibreOffice. One
# function escapes for every writer (CSV and XLSX); a leading apostrophe is escaped too,
# so that unescape(escape(x)) == x for every text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
_ESCAPE_NEEDED = (*FORMULA_TRIGGERS, "'")


def escape_cell(text: str) -> str:
    """Prefix an apostrophe to text a spreadsheet would treat as a formula."""
    if text.startswith(_ESCAPE_NEEDED):
        return "'" + text
    return text


def unescape_cell(text: str) -> str:
    """Reverse :func:`escape_cell`."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r\n'":
        return text[1:]
    return text


class BadValue(ValueError):
    """A cell that cannot become a value of its field; the message says why."""


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_STRICT_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # JSON dates: exactly YYYY-MM-DD
_YES = frozenset({"yes", "y", "true", "t", "1"})
_NO = frozenset({"no", "n", "false", "f", "0"})


def _cell_text(raw: object) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "yes" if raw else "no"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat(" ")
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return str(raw)


def parse_text(raw: object) -> Value:
    if type(raw) is str:
        text = raw.strip()
        # The common case, decided at C speed: printable text has no control character
        # and no CR, and text not starting with ' has nothing to unescape.
        if text.isprintable() and not text.startswith("'"):
            return text or None
    elif raw is None:
        return None
    else:
        text = _cell_text(raw).strip()
    if not text:
        return None
    if text[0] == "'":
        text = unescape_cell(text).strip()
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _CONTROL.search(text):
        raise BadValue("contains a control character")
    return text or None


def parse_date(raw: object) -> Value:
    if raw is None:
        return None
    if isinstance(raw, dt.datetime):
        if raw.time() != dt.time():
            raise BadValue(f"{raw.isoformat(' ')} has a time of day; give a date")
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    text = _cell_text(raw).strip()
    if not text:
        return None
    m = _ISO_DATE.fullmatch(text)
    if m:
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    else:
        m = _US_DATE.fullmatch(text)
        if not m:
            raise BadValue(f"{text!r} is not a date (use YYYY-MM-DD or MM/DD/YYYY)")
        mo, d, y = int(m[1]), int(m[2]), int(m[3])
    try:
        return dt.date(y, mo, d).isoformat()
    except ValueError:
        raise BadValue(f"{text!r} is not a real date") from None


_MONEY_CHARS = re.compile(r"-?\$?-?[0-9,]*\.?[0-9]*")
_INT64_MAX = 2**63 - 1  # what an SQLite INTEGER holds


def _fits(number: int, raw: object) -> int:
    if -_INT64_MAX - 1 <= number <= _INT64_MAX:
        return number
    raise BadValue(f"{raw!r} is too large")


def parse_money(raw: object) -> Value:
    """Dollars to integer cents, exactly; '$1,234.50', '-12', '(12.00)' all accepted."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise BadValue(f"{raw!r} is not an amount")
    if isinstance(raw, int):
        return _fits(raw * 100, raw)
    if isinstance(raw, float):
        digits = repr(raw)  # the shortest text that reads back as this float
        whole, dot, frac = digits.partition(".")
        if dot and len(frac) <= 2 and frac.isdigit():  # "1234.5", "-0.25": whole cents
            return _fits(int(whole + frac.ljust(2, "0")), raw)
        from decimal import Decimal  # (not at import: see to_cell_native)

        amount = Decimal(digits)
        if not amount.is_finite() or amount * 100 != (amount * 100).to_integral_value():
            raise BadValue(f"{raw!r} is not an amount in whole cents")
        return _fits(int(amount * 100), raw)
    text = _cell_text(raw).strip()
    if not text:
        return None
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    compact = text.replace(" ", "")
    if not _MONEY_CHARS.fullmatch(compact):
        raise BadValue(f"{text!r} is not an amount in dollars")
    if compact.count("-") > 1:
        raise BadValue(f"{text!r} is not an amount in dollars")
    if "-" in compact:
        if negative:  # "(-12)": a minus inside accounting brackets is no amount
            raise BadValue(f"{text!r} is not an amount in dollars")
        negative = True
    digits = compact.replace("-", "").replace("$", "").replace(",", "")
    from decimal import Decimal, InvalidOperation

    try:
        amount = Decimal(digits)
    except InvalidOperation:
        raise BadValue(f"{text!r} is not an amount in dollars") from None
    if not amount.is_finite():
        raise BadValue(f"{text!r} is not an amount in dollars")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise BadValue(f"{text!r} has fractions of a cent")
    return _fits(-int(cents) if negative else int(cents), text)  # the sign first: -2**63 fits


def parse_integer(raw: object) -> Value:
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise BadValue(f"{raw!r} is not a whole number")
    if isinstance(raw, int):
        return _fits(raw, raw)
    if isinstance(raw, float):
        if raw.is_integer():
            return _fits(int(raw), raw)
        raise BadValue(f"{raw!r} is not a whole number")
    text = _cell_text(raw).strip().replace(",", "")
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        raise BadValue(f"{text!r} is not a whole number") from None
    return _fits(number, text)


def parse_yesno(raw: object) -> Value:
    if raw is None:
        return None
    if isinstance(raw, bool):
        return raw
    text = (raw if type(raw) is str else _cell_text(raw)).strip().lower()
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise BadValue(f"{text!r} is not yes or no")


def make_choice_parser(choices: tuple[str, ...]) -> Callable[[object], Value]:
    allowed = frozenset(choices)
    listing = "|".join(choices)

    def parse_choice(raw: object) -> Value:
        if raw is None:
            return None
        text = (raw if type(raw) is str else _cell_text(raw)).strip().lower()
        if not text:
            return None
        if text in allowed:
            return text
        norm = "-".join(text.replace("_", " ").replace("-", " ").split())
        if norm in allowed:
            return norm
        raise BadValue(f"{text!r} is not one of {listing}")

    return parse_choice


def parse_list(raw: object) -> Value:
    if raw is None:
        return None
    text = parse_text(raw)
    if text is None:
        return None
    assert isinstance(text, str)
    items = [item.strip() for item in text.split(";")]
    items = [i for i in items if i]
    return items or None


_PARSERS: dict[str, Callable[[object], Value]] = {
    "text": parse_text,
    "date": parse_date,
    "money": parse_money,
    "integer": parse_integer,
    "yesno": parse_yesno,
    "list": parse_list,
}


def parser_for(f: Field, raw_text: bool = False) -> Callable[[object], Value]:
    """The field's parser. ``raw_text``: the file holds texts as typed (CALNET Desk's XLSX
    layout 2), so a leading apostrophe is part of the text, not an escape."""
    if f.type == "choice":
        return make_choice_parser(f.choices)
    parse = _PARSERS[f.type]
    if raw_text and f.type in ("text", "list"):
        return lambda raw: parse(escape_cell(raw) if type(raw) is str else raw)
    least = f.minimum
    if least is None:
        return parse

    def bounded(raw: object) -> Value:
        value = parse(raw)
        if isinstance(value, int) and value < least:
            raise BadValue(f"{value} is less than {least}: {f.label} cannot be negative"
                           if least == 0 else f"{value} is less than {least}")
        return value
    return bounded


# --- storage ------------------------------------------------------------------------


def to_db(f: Field, value: Value) -> object:
    """A record value as its SQLite column holds it."""
    if value is None:
        return None
    if f.type == "list":
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if f.type == "yesno":
        return 1 if value else 0
    return value


def from_db(f: Field, stored: object) -> Value:
    if stored is None:
        return None
    if f.type == "list":
        items = json.loads(str(stored))
        assert isinstance(items, list)
        return [str(i) for i in items]
    if f.type == "yesno":
        return bool(stored)
    assert isinstance(stored, str | int)
    return stored


# --- presentation ------------------------------------------------------------------


def cents_to_text(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


def to_json(f: Field, value: Value) -> Any:
    """The CLI's JSON: money as numbers, yes/no as booleans, lists as arrays."""
    if value is None:
        return None
    if f.type == "money":
        assert isinstance(value, int)
        return value / 100 if value % 100 else value // 100
    return value


def from_json(f: Field, raw: Any) -> Value:
    """The inverse of to_json: a JSON value as `list --json` prints it (and bundles hold
    it), back to a record value, exactly; BadValue says why it cannot be."""
    if raw is None:
        return None
    t = f.type
    if t in ("text", "choice", "date"):
        if not isinstance(raw, str):
            raise BadValue(f"{raw!r} is not text")
        if _CONTROL.search(raw):
            raise BadValue("contains a control character")
        if raw == "":
            return None
        if t == "choice" and raw not in f.choices:
            raise BadValue(f"{raw!r} is not one of {'|'.join(f.choices)}")
        if t == "date":
            try:
                if not _STRICT_ISO_DATE.fullmatch(raw):
                    raise ValueError
                dt.date.fromisoformat(raw)
            except ValueError:
                raise BadValue(f"{raw!r} is not a date YYYY-MM-DD") from None
        return raw
    if t == "money":
        from decimal import Decimal

        if isinstance(raw, bool) or not isinstance(raw, int | Decimal):
            raise BadValue(f"{raw!r} is not an amount in dollars")
        cents = Decimal(raw) * 100
        if not cents.is_finite() or cents != cents.to_integral_value():
            raise BadValue(f"{raw} is not an amount in whole cents")
        n = int(cents)
        if not -_INT64_MAX - 1 <= n <= _INT64_MAX:
            raise BadValue(f"{raw} is too large")  # as written in the file, not repr
        return n
    if t == "integer":
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise BadValue(f"{raw!r} is not a whole number")
        return _fits(raw, raw)
    if t == "yesno":
        if not isinstance(raw, bool):
            raise BadValue(f"{raw!r} is not true or false")
        return raw
    if t == "list":
        if not isinstance(raw, list) or not all(isinstance(i, str) and i for i in raw):
            raise BadValue(f"{raw!r} is not a list of texts")
        if any(_CONTROL.search(i) for i in raw):
            raise BadValue("contains a control character")
        return list(raw) or None
    raise BadValue(f"unknown field type {t}")  # pragma: no cover


def to_cell_text(f: Field, value: Value) -> str:
    """A value as a text cell (CSV), escaped against formula injection where it is text."""
    if value is None:
        return ""
    if f.type == "money":
        assert isinstance(value, int)
        return cents_to_text(value)
    if f.type == "yesno":
        return "yes" if value else "no"
    if f.type == "integer":
        return str(value)
    if f.type == "list":
        assert isinstance(value, list)
        return escape_cell("; ".join(value))
    assert isinstance(value, str)
    if f.type == "text":
        return escape_cell(value)
    return value


def cell_texts(f: Field, values: list[Value]) -> list[str]:
    """``[to_cell_text(f, v) for v in values]``: a column at once, texts, choices and dates
    (most of a register) without a call per value."""
    t = f.type
    if t in ("text", "choice", "date"):
        texts = cast(list[str | None], values)
        if t != "text":
            return ["" if v is None else v for v in texts]
        escape = _ESCAPE_NEEDED
        return ["" if v is None else "'" + v if v.startswith(escape) else v for v in texts]
    return [to_cell_text(f, v) for v in values]


def json_values(f: Field, values: list[Value]) -> list[Any]:
    """``[to_json(f, v) for v in values]``: a column at once (only money changes)."""
    if f.type == "money":
        cents = cast(list[int | None], values)
        return [None if v is None else v / 100 if v % 100 else v // 100 for v in cents]
    return values


def cell_natives(f: Field, values: list[Value]) -> list[object]:
    """``[to_cell_native(f, v) for v in values]``: a column at once (texts and choices as
    they are, dates without a call per value)."""
    t = f.type
    if t in ("text", "choice"):
        return list(values)
    if t == "date":
        first, day = EXCEL_FIRST_DAY, dt.date.fromisoformat
        return [None if v is None else v if v < first else day(v)
                for v in cast(list[str | None], values)]
    return [to_cell_native(f, v) for v in values]


# Excel's 1900 date system starts here; openpyxl writes earlier dates as serials Excel
# cannot show (negative) or reads back as a time of day (1899-12-30 and -31 are serial 0).
EXCEL_FIRST_DAY = "1900-01-01"


def to_cell_native(f: Field, value: Value) -> object:
    """A value as an XLSX cell: numbers and dates native, texts as they are (the writer
    makes them string cells, never formulas: nothing to escape)."""
    if value is None:
        return None
    if f.type == "money":
        # decimal (its C module and numbers) is imported where money is converted, not by
        # every program that reads the register: ~1 ms of the desktop's start (issue 16
        # item 15)
        from decimal import Decimal

        assert isinstance(value, int)
        return Decimal(value) / 100
    if f.type == "integer":
        return value
    if f.type == "date":
        assert isinstance(value, str)
        if value < EXCEL_FIRST_DAY:  # Excel has no serial for it: keep it as ISO text
            return value
        return dt.date.fromisoformat(value)
    if f.type == "yesno":
        return "yes" if value else "no"
    if f.type == "list":
        assert isinstance(value, list)
        return "; ".join(value)
    return value


def words(f: Field, value: Value) -> str:
    """A value as a person reads it in a PDF or report: display()'s, with a choice's label
    instead of its code ('in-progress' -> 'In progress')."""
    if f.type == "choice" and isinstance(value, str) and value in f.choices:
        return choice_label(value)
    return display(f, value)


def display(f: Field, value: Value) -> str:
    """A value as a person reads it (CLI tables): MM/DD/YYYY dates, $ amounts."""
    if value is None:
        return ""
    if f.type == "date":
        assert isinstance(value, str)
        d = dt.date.fromisoformat(value)
        return f"{d.month:02d}/{d.day:02d}/{d.year}"
    if f.type == "money":
        assert isinstance(value, int)
        sign = "-" if value < 0 else ""
        whole, frac = divmod(abs(value), 100)
        return f"{sign}${whole:,}.{frac:02d}"
    if f.type == "list":
        assert isinstance(value, list)
        return "; ".join(value)
    if f.type == "yesno":
        return "yes" if value else "no"
    return str(value)
