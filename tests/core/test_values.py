"""Cells to values and back (calnet_desk.values), one field type at a time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calnet_desk.records import EXEMPTIONS, ORDERS, Field
from calnet_desk.values import (
    FORMULA_TRIGGERS,
    BadValue,
    escape_cell,
    parse_date,
    parse_integer,
    parse_list,
    parse_money,
    parse_text,
    parse_yesno,
    parser_for,
    to_cell_native,
    to_cell_text,
    to_json,
    unescape_cell,
)

F = ORDERS.by_name


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "iso"), [
    ("2026-03-07", "2026-03-07"),
    ("03/07/2026", "2026-03-07"),
    ("3/7/2026", "2026-03-07"),
    (" 2026-3-7 ", "2026-03-07"),
    ("2026-03-07 00:00:00", "2026-03-07"),
    ("12/31/2026", "2026-12-31"),
    ("2/29/2024", "2024-02-29"),
    (dt.date(2026, 3, 7), "2026-03-07"),
    (dt.datetime(2026, 3, 7), "2026-03-07"),
    (None, None),
    ("", None),
    ("   ", None),
])
def test_parse_date_accepts(raw: object, iso: str | None) -> None:
    assert parse_date(raw) == iso


@pytest.mark.parametrize("raw", [
    "2026-02-30", "2023-02-29", "13/01/2026", "2026/03/07", "07.03.2026", "3/7/26",
    "March 7, 2026", "20260307", "2026-03-07T09:30", "yesterday", 46000,
    dt.datetime(2026, 3, 7, 9, 30),
])
def test_parse_date_rejects(raw: object) -> None:
    with pytest.raises(BadValue):
        parse_date(raw)


# --- money -------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "cents"), [
    ("1234.5", 123450),
    ("$1,234.50", 123450),
    ("-12", -1200),
    ("(12.00)", -1200),
    ("( $1,000 )", -100000),
    ("-$1.05", -105),
    ("$-1.05", -105),
    ("0", 0),
    ("0.01", 1),
    (".5", 50),
    (" 7 ", 700),
    (12, 1200),
    (-3, -300),
    (12.5, 1250),
    (19.99, 1999),
    (-0.01, -1),
    (Decimal("-12.34"), -1234),
    ("-92233720368547758.08", -2**63),  # the smallest the register holds, sign and all
    ("92233720368547758.07", 2**63 - 1),
    (None, None),
    ("", None),
])
def test_parse_money_accepts(raw: object, cents: int | None) -> None:
    assert parse_money(raw) == cents


@pytest.mark.parametrize("raw", [
    "12.345", "abc", "$", "-", ".", "1.2.3", "--12", "(-12)", "(12", "12-", "1e5", "$$5",
    "USD 5", "12 dollars", True, 0.001, 0.1 + 0.2, float("nan"), float("inf"),
    "100000000000000000000", 10**18, 1e300, "92233720368547758.08", "-92233720368547758.09",
])
def test_parse_money_rejects(raw: object) -> None:
    with pytest.raises(BadValue):
        parse_money(raw)


@given(st.integers(-(10**13), 10**13))
def test_money_text_round_trips(cents: int) -> None:
    money = F["monthly_cost"]
    assert parse_money(to_cell_text(money, cents)) == cents
    assert parse_money(to_cell_native(money, cents)) == cents
    assert parse_money(float(Decimal(cents) / 100)) == cents  # as a workbook reads it back


@given(st.integers(-2**63, 2**63 - 1))
def test_money_text_round_trips_over_the_whole_range(cents: int) -> None:
    assert parse_money(to_cell_text(F["monthly_cost"], cents)) == cents


# --- integers, yes/no, choices, lists -----------------------------------------------------


@pytest.mark.parametrize(("raw", "number"), [
    ("12", 12), ("1,000", 1000), ("-3", -3), (" 7 ", 7), (20, 20), (20.0, 20), ("", None),
    (None, None),
])
def test_parse_integer_accepts(raw: object, number: int | None) -> None:
    assert parse_integer(raw) == number


@pytest.mark.parametrize("raw", ["1.5", 1.5, "abc", True, "9" * 20, 2**63, float("inf"),
                                 float("nan")])
def test_parse_integer_rejects(raw: object) -> None:
    with pytest.raises(BadValue):
        parse_integer(raw)


@pytest.mark.parametrize("text", ["yes", "YES", "Yes", "true", "TRUE", "y", "Y", "1", " yes "])
def test_parse_yes(text: str) -> None:
    assert parse_yesno(text) is True


@pytest.mark.parametrize("text", ["no", "NO", "No", "false", "False", "n", "N", "0"])
def test_parse_no(text: str) -> None:
    assert parse_yesno(text) is False


@pytest.mark.parametrize(("raw", "value"), [(True, True), (False, False), (1, True), (0, False),
                                            (None, None), ("", None)])
def test_parse_yesno_native_and_blank(raw: object, value: bool | None) -> None:
    assert parse_yesno(raw) is value


@pytest.mark.parametrize("text", ["maybe", "2", "si", "yess", "-1"])
def test_parse_yesno_rejects(text: str) -> None:
    with pytest.raises(BadValue):
        parse_yesno(text)


@pytest.mark.parametrize(("field", "text", "value"), [
    ("status", "In Progress", "in-progress"),
    ("status", "IN-PROGRESS", "in-progress"),
    ("status", "in_progress", "in-progress"),
    ("status", " in   progress ", "in-progress"),
    ("status", "Completed", "completed"),
    ("order_type", "NEW", "new"),
    ("order_type", "Disconnect", "disconnect"),
    ("catalog_status", "Discretionary", "discretionary"),
    ("status", "", None),
])
def test_choices_are_case_insensitive(field: str, text: str, value: str | None) -> None:
    assert parser_for(F[field])(text) == value


@pytest.mark.parametrize(("field", "text"), [("status", "inprogress"), ("status", "done"),
                                             ("order_type", "purchase")])
def test_choices_reject_other_values(field: str, text: str) -> None:
    with pytest.raises(BadValue, match=r"new\|change\|move\|disconnect|draft\|submitted"):
        parser_for(F[field])(text)


@pytest.mark.parametrize(("text", "items"), [
    (" voice ; data;;video ; ", ["voice", "data", "video"]),
    ("single", ["single"]),
    ("'=a; b", ["=a", "b"]),
    ("a; =b", ["a", "=b"]),
    (";;", None),
    ("", None),
    (None, None),
])
def test_parse_list(text: str | None, items: list[str] | None) -> None:
    assert parse_list(text) == items


# --- text and formula injection -----------------------------------------------------------


@pytest.mark.parametrize(("raw", "text"), [
    ("  x  ", "x"),
    ("a\r\nb\rc", "a\nb\nc"),
    ("'=x", "=x"),
    ("'+1", "+1"),
    ("'-x", "-x"),
    ("'@x", "@x"),
    ("''x", "'x"),
    ("'abc", "'abc"),  # a lone apostrophe before ordinary text is the text's own
    ("'", "'"),
    ("=SUM(A1)", "=SUM(A1)"),
    (95814, "95814"),
    (95814.0, "95814"),
    ("", None),
    (None, None),
])
def test_parse_text(raw: object, text: str | None) -> None:
    assert parse_text(raw) == text


@pytest.mark.parametrize("raw", ["a\x00b", "bell\x07", "esc\x1b[0m", "del\x7f"])
def test_parse_text_rejects_control_characters(raw: str) -> None:
    with pytest.raises(BadValue, match="control character"):
        parse_text(raw)


def test_formula_triggers_are_the_owasp_list() -> None:
    assert set(FORMULA_TRIGGERS) == {"=", "+", "-", "@", "\t", "\r", "\n"}


@pytest.mark.parametrize("first", ["=", "+", "-", "@", "\t", "\r", "\n", "'"])
def test_escape_cell_prefixes_an_apostrophe(first: str) -> None:
    text = first + "cmd|' /C calc'!A0"
    assert escape_cell(text) == "'" + text
    assert unescape_cell(escape_cell(text)) == text


@pytest.mark.parametrize("text", ["", "plain", "a=b", "1+1", " =x", "x-"])
def test_escape_cell_leaves_other_text_alone(text: str) -> None:
    assert escape_cell(text) == text
    assert unescape_cell(text) == text


@given(st.text())
def test_unescape_reverses_escape(text: str) -> None:
    assert unescape_cell(escape_cell(text)) == text


@pytest.mark.parametrize(("field", "value", "cell"), [
    ("contractor", "=HYPERLINK(1)", "'=HYPERLINK(1)"),
    ("contractor", "'quoted", "''quoted"),
    ("contractor", "plain", "plain"),
    ("monthly_cost", -1200, "-12.00"),
    ("monthly_cost", 5, "0.05"),
    ("monthly_cost", 0, "0.00"),
    ("quantity", -3, "-3"),
    ("delegation_required", True, "yes"),
    ("delegation_required", False, "no"),
    ("request_date", "2026-03-07", "2026-03-07"),
    ("status", "in-progress", "in-progress"),
    ("city", None, ""),
])
def test_to_cell_text(field: str, value: Any, cell: str) -> None:
    assert to_cell_text(F[field], value) == cell


def test_to_cell_text_escapes_a_list_by_its_first_item() -> None:
    services = EXEMPTIONS.by_name["services"]
    assert to_cell_text(services, ["=cmd", "data"]) == "'=cmd; data"
    assert to_cell_text(services, ["data", "=cmd"]) == "data; =cmd"
    assert parse_list(to_cell_text(services, ["=cmd", "data"])) == ["=cmd", "data"]


@pytest.mark.parametrize(("field", "value", "cell"), [
    ("monthly_cost", -1200, Decimal("-12")),
    ("monthly_cost", 41250, Decimal("412.5")),
    ("quantity", -3, -3),
    ("request_date", "2026-03-07", dt.date(2026, 3, 7)),
    ("request_date", "1900-01-01", dt.date(1900, 1, 1)),
    ("request_date", "1899-12-31", "1899-12-31"),  # before Excel's first day: text
    ("request_date", "0001-01-01", "0001-01-01"),
    ("contractor", "-x", "-x"),  # a string cell as typed (the writer quote-prefixes it)
    ("delegation_required", True, "yes"),
    ("city", None, None),
])
def test_to_cell_native(field: str, value: Any, cell: object) -> None:
    got = to_cell_native(F[field], value)
    assert got == cell and type(got) is type(cell)


@pytest.mark.parametrize(("field", "value", "out"), [
    ("monthly_cost", 41250, 412.5),
    ("monthly_cost", 25000, 250),
    ("monthly_cost", -1234, -12.34),
    ("monthly_cost", -7, -0.07),
    ("quantity", 3, 3),
    ("delegation_required", False, False),
    ("request_date", "2026-03-07", "2026-03-07"),
    ("city", None, None),
])
def test_to_json(field: str, value: Any, out: object) -> None:
    got = to_json(F[field], value)
    assert got == out and type(got) is type(out)


def test_to_json_list() -> None:
    assert to_json(EXEMPTIONS.by_name["services"], ["a", "b"]) == ["a", "b"]


_TEXT = st.text(st.one_of(st.characters(exclude_categories=("C", "Z")), st.just(" ")),
                min_size=1).map(str.strip).filter(bool)


@given(st.one_of(_TEXT, st.tuples(st.sampled_from("=+-@'"), _TEXT).map("".join)))
def test_text_cells_round_trip(text: str) -> None:
    f: Field = F["description"]
    assert parse_text(to_cell_text(f, text)) == text
    # an XLSX of layout 2 holds texts as typed: import reads them with raw_text (a leading
    # apostrophe is the person's, e.g. "'=" stays "'=")
    assert parser_for(f, raw_text=True)(to_cell_native(f, text)) == text


@given(st.dates())
def test_date_cells_round_trip(day: dt.date) -> None:
    f = F["request_date"]
    assert parse_date(to_cell_text(f, day.isoformat())) == day.isoformat()
    assert parse_date(to_cell_native(f, day.isoformat())) == day.isoformat()
