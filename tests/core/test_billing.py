"""Billing cross-check (issue 18): import-billing, billing, reconcile, reconcile-mark.

Every statement here is built by hand, a few lines each, so each finding code and each
matching route is seen for exactly the reason it exists.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from calnet_desk.exchange.importer import header_aliases, header_key, match_header
from calnet_desk.policy.billing_codes import CODES
from calnet_desk.policy.reconcile import normalise
from calnet_desk.policy.rules import load_rules
from calnet_desk.records import STATEMENT_LINES

ORDER_HEADER = ("request_number,request_date,order_type,contractor,status,circuit_id,"
                "billing_account,monthly_cost,completed_on")
LINE_HEADER = "ban,wtn,circuit_id,sr_number,product_id,quantity,mrc,nrc,usage"


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


@pytest.fixture
def home(isolated_home: Path, run_cli: Any) -> Path:
    r = run_cli("init", "--agency", "Department of Testing", "--agency-class",
                "non-exempt-state")
    assert r.code == 0, r
    return isolated_home


def orders(home: Path, run_cli: Any, *rows: str) -> None:
    f = write(home.parent / "orders.csv", ORDER_HEADER, *rows)
    r = run_cli("import", str(f), "--kind", "orders")
    assert r.code == 0, r


def statement(home: Path, run_cli: Any, month: str, *rows: str, contractor: str = "AT&T",
              header: str = LINE_HEADER, name: str | None = None, extra: tuple[str, ...] = ()
              ) -> Any:
    f = write(home.parent / (name or f"st-{month}.csv"), header, *rows)
    return run_cli("import-billing", str(f), "--contractor", contractor, "--month", month,
                   *extra)


def reconcile(run_cli: Any, *args: str) -> tuple[int, list[dict[str, Any]]]:
    r = run_cli("reconcile", "--json", *args)
    assert r.code in (0, 1), r
    return r.code, json.loads(r.out)


def codes(found: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(f["code"], f["line"]) for f in found]


# --- normalising -----------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("(916) 555-0100", "9165550100"),
    ("1-916-555-0100", "9165550100"),  # 11 digits: the last ten
    ("+1 916.555.0100", "9165550100"),
    ("916 555 010", "916555010"),  # 9 digits: letters and digits
    ("12.KXFN.123456..PB", "12KXFN123456PB"),
    ("ab-12/cd", "AB12CD"),
    ("916-555-0100 x12", "9165550100X12"),  # not phone-like: letters and digits
    ("---", None),
    ("", None),
])
def test_normalise(raw: str, expected: str | None) -> None:
    assert normalise(raw) == expected


# --- import-billing ----------------------------------------------------------------------------


def test_import_billing_stores_the_file_and_one_history_entry(home: Path, run_cli: Any) -> None:
    r = statement(home, run_cli, "2026-01", "B1,9165550100,,,P1,1,10.50,5,0",
                  'B1,,C-7,,P2,1,"$1,000.00",,12')
    assert r.code == 0, r
    assert "Imported the statement of AT&T 2026-01" in r.out and "2 lines" in r.out
    listed = json.loads(run_cli("billing", "--json").out)
    sha = listed[0]["sha256"]
    assert listed == [{"contractor": "AT&T", "month": "2026-01", "lines": 2,
                       "total_mrc": 1010.5, "sha256": sha}]
    assert (home / "documents" / sha[:2] / sha).read_bytes() == \
        (home.parent / "st-2026-01.csv").read_bytes()
    import calnet_desk.store as store

    with store.Register.open(home, write=False) as reg:
        billing = [e for e in reg.history() if e["kind"] == "statements"]
    assert len(billing) == 1
    assert billing[0]["key"] == "AT&T:2026-01"
    assert billing[0]["changes"]["sha256"] == [None, sha]
    assert billing[0]["changes"]["lines"] == [None, 2]
    assert billing[0]["changes"]["total_mrc"] == [None, 101050]
    assert run_cli("verify").code == 0


def test_billing_lists_sorted_by_contractor_then_month(home: Path, run_cli: Any) -> None:
    assert statement(home, run_cli, "2026-02", "B,,C1,,,,1,,").code == 0
    assert statement(home, run_cli, "2026-01", "B,,C1,,,,2,,", name="a.csv").code == 0
    assert statement(home, run_cli, "2026-01", "B,,C1,,,,3,,", contractor="Verizon",
                     name="b.csv").code == 0
    # a contractor alias names the same contractor
    assert statement(home, run_cli, "2025-12", "B,,C1,,,,4,,", contractor="pacific bell",
                     name="c.csv").code == 0
    listed = json.loads(run_cli("billing", "--json").out)
    assert [(s["contractor"], s["month"]) for s in listed] == [
        ("AT&T", "2025-12"), ("AT&T", "2026-01"), ("AT&T", "2026-02"), ("Verizon", "2026-01")]
    assert [s["total_mrc"] for s in listed] == [4, 2, 1, 3]


def test_same_file_again_changes_nothing_and_says_so(home: Path, run_cli: Any) -> None:
    assert statement(home, run_cli, "2026-01", "B,,C1,,,,1,,").code == 0
    before = len(json.loads(run_cli("verify", "--json").out)["findings"])
    r = statement(home, run_cli, "2026-01", "B,,C1,,,,1,,")
    assert r.code == 0 and "already this file" in r.out and "nothing changed" in r.out
    import calnet_desk.store as store

    with store.Register.open(home, write=False) as reg:
        assert sum(e["kind"] == "statements" for e in reg.history()) == 1
    assert before == 0


def test_a_different_file_is_refused_without_replace(home: Path, run_cli: Any) -> None:
    assert statement(home, run_cli, "2026-01", "B,,C1,,,,1,,").code == 0
    r = statement(home, run_cli, "2026-01", "B,,C1,,,,2,,", name="other.csv")
    assert r.code == 1 and "already imported" in r.err and "--replace" in r.err
    assert json.loads(run_cli("billing", "--json").out)[0]["total_mrc"] == 1


def test_replace_swaps_the_statement_in_one_history_entry(home: Path, run_cli: Any) -> None:
    assert statement(home, run_cli, "2026-01", "B,,C1,,,,1,,").code == 0
    r = statement(home, run_cli, "2026-01", "B,,C1,,,,2,,", "B,,C2,,,,3,,", name="other.csv",
                  extra=("--replace",))
    assert r.code == 0 and "Replaced" in r.out, r
    listed = json.loads(run_cli("billing", "--json").out)
    assert listed[0]["lines"] == 2 and listed[0]["total_mrc"] == 5
    import calnet_desk.store as store

    with store.Register.open(home, write=False) as reg:
        entries = [e for e in reg.history() if e["kind"] == "statements"]
    assert [e["action"] for e in entries] == ["insert", "update"]
    assert entries[1]["changes"]["lines"] == [1, 2]
    assert run_cli("verify").code == 0


def test_dry_run_writes_nothing(home: Path, run_cli: Any) -> None:
    r = statement(home, run_cli, "2026-01", "B,,C1,,,,1,,", extra=("--dry-run",))
    assert r.code == 0 and "dry run" in r.out
    assert json.loads(run_cli("billing", "--json").out) == []


def _assert_nothing_written(run_cli: Any, home: Path) -> None:
    assert json.loads(run_cli("billing", "--json").out) == []
    assert not any((home / "documents").rglob("*")) if (home / "documents").exists() else True


def test_bad_file_names_file_row_and_column_and_writes_nothing(home: Path,
                                                               run_cli: Any) -> None:
    r = statement(home, run_cli, "2026-01",
                  "B,,C1,,,,12.345,,",  # fractions of a cent
                  "B,,,,P,1,1,,",  # no circuit id, WTN or SR number
                  "B,,C3,,,x,1,,",  # quantity not a number
                  "B,,C4,,,,1,,-3",  # negative usage
                  "B,,C5,,,,abc,,")
    assert r.code == 1
    name = str(home.parent / "st-2026-01.csv")
    assert f"{name}:2:mrc: '12.345' has fractions of a cent" in r.err
    assert f"{name}:3:wtn: a line needs a circuit id, a WTN or an SR number" in r.err
    assert f"{name}:4:quantity: 'x' is not a whole number" in r.err
    assert f"{name}:5:usage:" in r.err
    assert f"{name}:6:mrc: 'abc' is not an amount in dollars" in r.err
    assert "5 problem(s); nothing was imported" in r.err
    _assert_nothing_written(run_cli, home)


@pytest.mark.parametrize(("header", "rows", "message"), [
    ("ban,colour,mrc", ["B,red,1"], ":1:colour: unknown column for statement-lines"),
    ("ban,product_id,mrc", ["B,P,1"], ":1:circuit_id: the statement needs a column for"),
    ("ban,circuit_id,mrc", ["B,C1"], ":2:mrc: the row has 2 cell(s) but the header 3"),
    ("ban,circuit_id,mrc", ["B,C1,1,9"], ":2:(column 4): a value beyond the last header"),
    ("ban,circuit_id,,mrc", ["B,C1,x,1"], ":2:(column 3): a value under a blank header"),
    ("ban,circuit_id,circuit,mrc", ["B,C1,C1,1"], ":1:circuit: column circuit_id appears"),
])
def test_bad_headers_and_torn_rows(home: Path, run_cli: Any, header: str, rows: list[str],
                                   message: str) -> None:
    r = statement(home, run_cli, "2026-01", *rows, header=header)
    assert r.code == 1 and message in r.err, r
    _assert_nothing_written(run_cli, home)


def test_empty_and_unreadable_files(home: Path, run_cli: Any) -> None:
    empty = home.parent / "empty.csv"
    empty.write_text("", "utf-8")
    r = run_cli("import-billing", str(empty), "--contractor", "AT&T", "--month", "2026-01")
    assert r.code == 1 and "empty" in r.err
    missing = home.parent / "missing.csv"
    r = run_cli("import-billing", str(missing), "--contractor", "AT&T", "--month", "2026-01")
    assert r.code == 1 and "cannot read" in r.err and "Traceback" not in r.err
    _assert_nothing_written(run_cli, home)


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "January", "26-01"])
def test_a_bad_month_is_usage(home: Path, run_cli: Any, month: str,
                              capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli("import-billing", "x.csv", "--contractor", "AT&T", "--month", month)
    assert r.code == 2 and "is not a month YYYY-MM" in capsys.readouterr().err


ISSUE_ALIASES = {
    "BAN": "ban", "Billing Account Number": "ban", "WTN": "wtn",
    "Working Telephone Number": "wtn", "Phone Number": "wtn", "Circuit ID": "circuit_id",
    "Circuit": "circuit_id", "SR Number": "sr_number", "Service Request Number": "sr_number",
    "Product ID": "product_id", "Qty": "quantity", "MRC": "mrc", "Contract MRC": "mrc",
    "Monthly Recurring Charge": "mrc", "NRC": "nrc", "Contract NRC": "nrc", "Usage": "usage",
    "Minutes of Use": "usage", "Service Address": "street",
}


@pytest.mark.parametrize(("alias", "column"), sorted(ISSUE_ALIASES.items()))
def test_each_header_alias_names_its_column(alias: str, column: str) -> None:
    mapped, errors, _ = match_header(STATEMENT_LINES, [alias])
    assert errors == [] and [f.name for _, f in mapped] == [column]


def test_aliases_are_data() -> None:
    data = header_aliases()["statement-lines"]
    own = {header_key(f.label) for f in STATEMENT_LINES.fields} | set(STATEMENT_LINES.columns)
    assert {header_key(a) for a in ISSUE_ALIASES} <= set(data) | own


def test_a_file_with_alias_headers_imports_every_column(home: Path, run_cli: Any) -> None:
    orders(home, run_cli, "O-1,2025-01-05,new,AT&T,completed,C-1,B1,10.00,2025-01-10")
    header = ("Billing Account Number,Working Telephone Number,Circuit,Service Request Number,"
              "Product ID,Qty,Monthly Recurring Charge,Contract NRC,Minutes of Use,"
              "Service Address")
    r = statement(home, run_cli, "2026-01", 'B1,(916) 555-0100,C-1,O-1,P,2,10.00,1.25,7,'
                  '"1 Main St"', header=header)
    assert r.code == 0, r
    import calnet_desk.store as store
    from calnet_desk.store.billing import lines

    with store.Register.open(home, write=False) as reg:
        got = list(lines(reg, "AT&T", "2026-01"))
    assert got == [(2, "B1", "(916) 555-0100", "C-1", "O-1", "P", None, 2, 1000, 125, 7.0,
                    "1 Main St", None, None)]
    assert reconcile(run_cli)[1] == []


def test_xlsx_statement(home: Path, run_cli: Any, tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["BAN", "WTN", "MRC", "Usage"])
    ws.append(["B1", 9165550100, 12.5, 0])
    ws.append(["B1", "916-555-0101", "bad", None])
    f = tmp_path / "st.xlsx"
    wb.save(f)
    r = run_cli("import-billing", str(f), "--contractor", "AT&T", "--month", "2026-01")
    assert r.code == 1 and f"{f}:3:MRC: 'bad' is not an amount in dollars" in r.err
    ws.delete_rows(3)
    wb.save(f)
    r = run_cli("import-billing", str(f), "--contractor", "AT&T", "--month", "2026-01")
    assert r.code == 0, r
    assert reconcile(run_cli)[1][0]["line"] == "9165550100"
    assert run_cli("verify").code == 0  # re-derives the lines from the stored workbook


def test_verify_re_derives_the_lines(home: Path, run_cli: Any) -> None:
    assert statement(home, run_cli, "2026-01", "B,,C1,,,,1,,", "B,,C2,,,,2,,").code == 0
    assert run_cli("verify").code == 0
    conn = sqlite3.connect(home / "register.sqlite3")
    conn.create_function("calnet_desk_writing", 0, lambda: 1)
    with conn:  # an edit that keeps the count and totals: only re-reading the file sees it
        conn.execute("UPDATE statement_lines SET circuit_id = 'C9' WHERE circuit_id = 'C2'")
    conn.close()
    r = run_cli("verify")
    assert r.code == 1 and "does not give the stored lines" in r.out
    conn = sqlite3.connect(home / "register.sqlite3")
    conn.create_function("calnet_desk_writing", 0, lambda: 1)
    with conn:
        conn.execute("DELETE FROM statement_lines WHERE circuit_id = 'C1'")
    conn.close()
    r = run_cli("verify")
    assert r.code == 1 and "differ from the statement's count or totals" in r.out


def test_lines_cannot_be_changed_outside_calnet_desk(home: Path, run_cli: Any) -> None:
    assert statement(home, run_cli, "2026-01", "B,,C1,,,,1,,").code == 0
    conn = sqlite3.connect(home / "register.sqlite3")
    with pytest.raises(sqlite3.DatabaseError, match="calnet_desk_writing"):
        conn.execute("UPDATE statement_lines SET mrc = 5")
    conn.close()


# --- reconcile: each code ----------------------------------------------------------------------

ATT_ORDERS = (
    # a service (916) 555-0100: new, then disconnected in June 2025
    "O-1,2025-01-05,new,AT&T,completed,(916) 555-0100,BAN1,50.00,2025-01-20",
    "O-2,2025-06-01,disconnect,AT&T,completed,916-555-0100,BAN1,,2025-06-10",
    # a circuit at $300 a month (ordered from Pacific Bell: the same contractor by alias)
    "O-3,2025-02-01,new,Pacific Bell,completed,12.KXFN.123456..PB,BAN1,300.00,2025-02-15",
    # an order without a circuit id, matched by its SR number
    "O-4,2025-02-01,new,AT&T,completed,,BAN2,20.00,2025-02-10",
    # a draft never matches
    "O-5,2025-02-01,new,AT&T,draft,C-DRAFT,BAN2,20.00,",
    # a service whose every order was cancelled
    "O-6,2025-03-01,new,AT&T,cancelled,C-CANCEL,BAN2,20.00,",
    # another contractor's order with the same circuit id never matches an AT&T line
    "O-7,2025-03-01,new,Verizon,completed,C-VZ,BAN3,20.00,2025-03-05",
)


def test_billed_after_disconnect(home: Path, run_cli: Any) -> None:
    orders(home, run_cli, *ATT_ORDERS)
    assert statement(home, run_cli, "2026-01", "BAN1,1-916-555-0100,,,P1,1,50.00,,",
                     "BAN2,,C-CANCEL,,P1,1,20.00,,").code == 0
    code, found = reconcile(run_cli)
    assert code == 1
    found = [f for f in found if f["code"] == "billed-after-disconnect"]
    assert codes(found) == [("billed-after-disconnect", "1-916-555-0100"),
                            ("billed-after-disconnect", "C-CANCEL")]
    first = found[0]
    assert first == {**first, "contractor": "AT&T", "month": "2026-01", "ban": "BAN1",
                     "order": "O-2", "monthly_amount": 50, "annual_amount": 600, "mark": None}
    assert "06/10/2025" in first["message"]
    assert found[1]["order"] == "O-6" and "cancelled" in found[1]["message"]


def test_a_disconnect_in_the_month_itself_is_not_billed_after_disconnect(
        home: Path, run_cli: Any) -> None:
    orders(home, run_cli, *ATT_ORDERS)
    # the disconnect completed 2025-06-10: June's statement may still bill it
    assert statement(home, run_cli, "2025-06", "BAN1,9165550100,,,P1,1,50.00,,").code == 0
    assert "billed-after-disconnect" not in {c for c, _ in codes(reconcile(run_cli)[1])}


def test_billed_not_in_register_and_drafts_never_match(home: Path, run_cli: Any) -> None:
    orders(home, run_cli, *ATT_ORDERS)
    assert statement(home, run_cli, "2026-01", "BAN9,9165559999,,,P1,1,19.99,,",
                     "BAN2,,C-DRAFT,,P1,1,20.00,,", "BAN3,,C-VZ,,P1,1,20.00,,").code == 0
    code, found = reconcile(run_cli, "--month", "2026-01")
    assert code == 1
    assert [(f["code"], f["line"], f["monthly_amount"], f["order"]) for f in found
            if f["code"] == "billed-not-in-register"] == [
        ("billed-not-in-register", "9165559999", 19.99, None),
        ("billed-not-in-register", "C-DRAFT", 20, None),
        ("billed-not-in-register", "C-VZ", 20, None)]


def test_rate_mismatch_with_tolerance(home: Path, run_cli: Any) -> None:
    orders(home, run_cli, *ATT_ORDERS)
    # port + access: one service billed as two products, $303.01 against $300.00
    assert statement(home, run_cli, "2026-01", "BAN1,,12KXFN123456PB,,PORT,1,250.00,,",
                     "BAN1,,12 kxfn 123456 pb,,ACCESS,1,53.01,,").code == 0
    found = reconcile(run_cli)[1]
    rate = [f for f in found if f["code"] == "rate-mismatch"]
    assert [(f["line"], f["order"], f["monthly_amount"], f["annual_amount"]) for f in rate] == [
        ("12KXFN123456PB", "O-3", 3.01, 36.12)]
    assert "duplicate-billing" not in {f["code"] for f in found}  # two products


@pytest.mark.parametrize(("billed", "flagged"), [
    ("303.00", False),  # exactly 1 % over: not strictly greater
    ("303.01", True),
    ("296.99", True),  # under-billed: a negative amount
    ("297.00", False),
])
def test_rate_tolerance_is_one_percent_or_a_dollar(home: Path, run_cli: Any, billed: str,
                                                   flagged: bool) -> None:
    orders(home, run_cli, *ATT_ORDERS)
    assert statement(home, run_cli, "2026-01", f"BAN1,,12KXFN123456PB,,PORT,1,{billed},,"
                     ).code == 0
    rate = [f for f in reconcile(run_cli)[1] if f["code"] == "rate-mismatch"]
    assert bool(rate) == flagged
    if rate and billed < "300":
        assert rate[0]["monthly_amount"] < 0


def test_rate_tolerance_of_a_dollar_for_small_costs(home: Path, run_cli: Any) -> None:
    orders(home, run_cli, "S-1,2025-01-01,new,AT&T,completed,C-S,B,20.00,2025-01-02")
    assert statement(home, run_cli, "2026-01", "B,,C-S,,P,1,21.00,,").code == 0
    assert reconcile(run_cli)[1] == []  # $1.00 over $20: within the dollar
    assert statement(home, run_cli, "2026-02", "B,,C-S,,P,1,21.01,,").code == 0
    assert codes(reconcile(run_cli, "--month", "2026-02")[1]) == [("rate-mismatch", "C-S")]


def test_duplicate_billing(home: Path, run_cli: Any) -> None:
    orders(home, run_cli, *ATT_ORDERS)
    assert statement(home, run_cli, "2026-01",
                     "BAN1,,12KXFN123456PB,,ACCESS,1,300.00,,",
                     "BAN1,,12.KXFN.123456..PB,,ACCESS,1,300.00,,",  # same service, product
                     "BAN1,,12KXFN123456PB,,ACCESS,1,300.00,,",
                     "BAN9,,X-1,,,1,5.00,,",
                     "BAN9,,X-1,,,1,5.00,,").code == 0  # blank product counts as a value
    found = reconcile(run_cli)[1]
    dup = [(f["line"], f["monthly_amount"], f["order"]) for f in found
           if f["code"] == "duplicate-billing"]
    assert dup == [("12.KXFN.123456..PB", 300, "O-3"), ("12KXFN123456PB", 300, "O-3"),
                   ("X-1", 5, None)]
    # the extras are left out of the rate check: $300 billed once matches the order
    assert "rate-mismatch" not in {f["code"] for f in found}


def test_unused_line_needs_three_imported_months_of_zero_usage(home: Path,
                                                                 run_cli: Any) -> None:
    orders(home, run_cli, "U-1,2025-01-01,new,AT&T,completed,C-U,B,10.00,2025-01-02",
           "U-2,2025-01-01,new,AT&T,completed,C-V,B,10.00,2025-01-02")
    assert statement(home, run_cli, "2026-01", "B,,C-U,,P,1,10.00,,0",
                     "B,,C-V,,P,1,10.00,,0").code == 0
    assert statement(home, run_cli, "2026-02", "B,,C-U,,P,1,10.00,,0",
                     "B,,C-V,,P,1,10.00,,").code == 0  # blank is not zero
    assert reconcile(run_cli, "--month", "2026-02")[1] == []  # only two months so far
    assert statement(home, run_cli, "2026-03", "B,,C-U,,P,1,10.00,,0",
                     "B,,C-V,,P,1,10.00,,0").code == 0
    found = reconcile(run_cli, "--month", "2026-03")[1]
    assert [(f["code"], f["line"], f["monthly_amount"], f["order"]) for f in found] == [
        ("unused-line", "C-U", 10, "U-1")]
    # a month missing in between: no finding
    assert statement(home, run_cli, "2026-05", "B,,C-U,,P,1,10.00,,0",
                     "B,,C-V,,P,1,10.00,,0").code == 0
    assert statement(home, run_cli, "2026-06", "B,,C-U,,P,1,10.00,,0",
                     "B,,C-V,,P,1,10.00,,0").code == 0
    assert reconcile(run_cli, "--month", "2026-06")[1] == []


def test_unused_months_are_rule_data(home: Path, run_cli: Any) -> None:
    (home / "rules.toml").write_text("[findings.unused-line]\nmonths_before = 0\n", "utf-8")
    orders(home, run_cli, "U-1,2025-01-01,new,AT&T,completed,C-U,B,10.00,2025-01-02")
    assert statement(home, run_cli, "2026-01", "B,,C-U,,P,1,10.00,,0").code == 0
    assert codes(reconcile(run_cli)[1]) == [("unused-line", "C-U")]


def test_ordered_not_billed(home: Path, run_cli: Any) -> None:
    orders(home, run_cli, *ATT_ORDERS,
           "N-1,2025-12-01,new,AT&T,completed,C-LATE,BAN4,15.00,2026-01-05",  # in the month
           "N-2,2025-11-01,change,AT&T,completed,C-FREE,BAN4,0,2025-11-05",  # no cost
           "N-3,2025-11-01,move,AT&T,in-progress,C-OPEN,BAN4,15.00,")  # not completed
    assert statement(home, run_cli, "2026-01", "BAN1,,12KXFN123456PB,,PORT,1,300.00,,").code == 0
    found = reconcile(run_cli)[1]
    assert [(f["code"], f["line"], f["ban"], f["order"], f["monthly_amount"]) for f in found] == [
        ("ordered-not-billed", "O-4", "BAN2", "O-4", 0)]  # no circuit id: its request number


def test_ordered_not_billed_names_the_circuit(home: Path, run_cli: Any) -> None:
    orders(home, run_cli, "N-1,2025-01-01,new,AT&T,completed,(800) 555-0199,BAN4,15.00,"
                          "2025-01-05")
    assert statement(home, run_cli, "2026-01", "BAN1,,OTHER,,PORT,1,3.00,,").code == 0
    found = reconcile(run_cli)[1]
    assert [(f["code"], f["line"], f["ban"]) for f in found] == [
        ("billed-not-in-register", "OTHER", "BAN1"),
        ("ordered-not-billed", "(800) 555-0199", "BAN4")]


# --- matching routes ---------------------------------------------------------------------------


@pytest.mark.parametrize(("row", "route"), [
    ("B,,12-kxfn-123456-pb,,P,1,300.00,,", "circuit id"),
    ("B,916.555.0142,,,P,1,300.00,,", "WTN, 10 digits"),
    ("B,1 (916) 555-0142,,,P,1,300.00,,", "WTN, 11 digits"),
    ("B,9165550142,NOT-KNOWN,,P,1,300.00,,", "circuit id unknown, then WTN"),
    ("B,,,M-3,P,1,300.00,,", "SR number"),
    ("B,5551112222,UNKNOWN,M-3,P,1,300.00,,", "circuit and WTN unknown, then SR number"),
])
def test_each_matching_route(home: Path, run_cli: Any, row: str, route: str) -> None:
    orders(home, run_cli,
           "M-1,2025-01-01,new,AT&T,completed,12KXFN123456PB,B,300.00,2025-01-05",
           "M-2,2025-01-01,new,AT&T,completed,916-555-0142,B,300.00,2025-01-05",
           "M-3,2025-01-01,new,AT&T,completed,,B,300.00,2025-01-05")
    assert statement(home, run_cli, "2026-01", row).code == 0
    found = reconcile(run_cli)[1]
    assert "billed-not-in-register" not in {f["code"] for f in found}, route
    assert len([f for f in found if f["code"] == "ordered-not-billed"]) == 2, route


def test_the_last_order_of_a_service_describes_it(home: Path, run_cli: Any) -> None:
    # same request date: the completed one sorts before the blank; then request number
    orders(home, run_cli,
           "L-2,2025-03-01,disconnect,AT&T,completed,C-L,B,,2025-03-05",
           "L-1,2025-01-01,new,AT&T,completed,C-L,B,10.00,2025-01-05",
           "L-3,2025-03-01,new,AT&T,submitted,C-L,B,12.00,")
    assert statement(home, run_cli, "2026-01", "B,,C-L,,P,1,10.00,,").code == 0
    found = reconcile(run_cli)[1]
    # L-3 (blank completed_on) is last: the service is not "since disconnected"
    assert [(f["code"], f["order"]) for f in found] == [("rate-mismatch", "L-3")]


def test_reconcile_sorts_by_month_contractor_code_line(home: Path, run_cli: Any) -> None:
    orders(home, run_cli, *ATT_ORDERS)
    assert statement(home, run_cli, "2026-02", "B,,Z-1,,,1,1,,", "B,,A-1,,,1,1,,").code == 0
    assert statement(home, run_cli, "2026-01", "B,,Y-1,,,1,1,,", name="x.csv").code == 0
    assert statement(home, run_cli, "2026-01", "B,,Y-2,,,1,1,,", contractor="Verizon",
                     name="y.csv").code == 0
    found = reconcile(run_cli)[1]
    keys = [(f["month"], f["contractor"], f["code"], f["line"]) for f in found]
    assert keys == sorted(keys)
    assert keys[0][:2] == ("2026-01", "AT&T") and keys[-1][:2] == ("2026-02", "AT&T")
    assert {k[1] for k in keys if k[0] == "2026-01"} == {"AT&T", "Verizon"}
    only = reconcile(run_cli, "--contractor", "verizon")[1]
    assert {f["contractor"] for f in only} == {"Verizon"}


# --- marks and exit codes ----------------------------------------------------------------------


def test_marks_survive_re_runs_and_re_imports(home: Path, run_cli: Any) -> None:
    assert statement(home, run_cli, "2026-01", "BAN9,9165559999,,,P1,1,19.99,,").code == 0
    code, found = reconcile(run_cli)
    assert code == 1 and found[0]["mark"] is None
    r = run_cli("reconcile-mark", "2026-01", "AT&T", "billed-not-in-register", "9165559999",
                "--as", "credited", "--amount", "19.99", "--note", "credit memo 7")
    assert r.code == 0, r
    code, found = reconcile(run_cli)
    assert code == 0
    mark = found[0]["mark"]
    assert mark["as"] == "credited" and mark["amount"] == 19.99 and mark["note"] == "credit memo 7"
    assert mark["by"] and mark["at"].endswith("Z")
    assert "recovered $19.99" in run_cli("reconcile").out
    # a re-import of a corrected file keeps the mark on the line that is still billed
    r = statement(home, run_cli, "2026-01", "BAN9,9165559999,,,P1,1,19.99,,",
                  "BAN9,,NEW-1,,P1,1,1.00,,", name="v2.csv", extra=("--replace",))
    assert r.code == 0
    code, found = reconcile(run_cli)
    assert code == 1  # NEW-1 is unmarked
    assert [(f["line"], f["mark"] and f["mark"]["as"]) for f in found] == [
        ("9165559999", "credited"), ("NEW-1", None)]


def test_disputed_keeps_reconcile_failing(home: Path, run_cli: Any) -> None:
    assert statement(home, run_cli, "2026-01", "BAN9,9165559999,,,P1,1,19.99,,").code == 0
    args = ("reconcile-mark", "2026-01", "Pacific Bell", "billed-not-in-register",
            "9165559999")
    assert run_cli(*args, "--as", "disputed").code == 0
    code, found = reconcile(run_cli)
    assert code == 1 and found[0]["mark"]["as"] == "disputed"
    assert "disputed $19.99 a month" in run_cli("reconcile").out
    for how in ("explained", "resolved"):
        assert run_cli(*args, "--as", how).code == 0
        assert reconcile(run_cli)[0] == 0
    r = run_cli(*args, "--as", "resolved")
    assert r.code == 0 and "nothing changed" in r.out
    import calnet_desk.store as store

    with store.Register.open(home, write=False) as reg:
        marks = [e for e in reg.history() if e["kind"] == "billing-marks"]
    assert [e["action"] for e in marks] == ["insert", "update", "update"]
    assert run_cli("verify").code == 0


def test_marking_something_not_found(home: Path, run_cli: Any) -> None:
    assert statement(home, run_cli, "2026-01", "B,,C1,,,1,1,,").code == 0
    r = run_cli("reconcile-mark", "2026-01", "AT&T", "unused-line", "C1", "--as", "resolved")
    assert r.code == 1 and "no unused-line finding" in r.err
    r = run_cli("reconcile-mark", "2026-01", "AT&T", "no-such-code", "C1", "--as", "resolved")
    assert r.code == 2
    r = run_cli("reconcile-mark", "2026-01", "AT&T", "unused-line", "C1", "--as", "forgiven")
    assert r.code == 2
    r = run_cli("reconcile-mark", "2026-01", "AT&T", "unused-line", "C1", "--as", "credited",
                "--amount", "-5")
    assert r.code == 2


def test_reconcile_exit_codes(home: Path, run_cli: Any) -> None:
    r = run_cli("reconcile")
    assert r.code == 1 and "no statement" in r.err
    orders(home, run_cli, "S-1,2025-01-01,new,AT&T,completed,C-S,B,20.00,2025-01-02")
    assert statement(home, run_cli, "2026-01", "B,,C-S,,P,1,20.00,,").code == 0
    assert reconcile(run_cli) == (0, [])
    r = run_cli("reconcile", "--month", "2026-02")
    assert r.code == 1 and "no statement for 2026-02" in r.err
    r = run_cli("reconcile", "--month", "2026-01", "--contractor", "Verizon")
    assert r.code == 1 and "no statement for Verizon for 2026-01" in r.err
    assert run_cli("reconcile", "--month", "2026-1").code == 2


# --- the rule set ------------------------------------------------------------------------------


def test_each_code_is_in_the_rule_set_as_a_design_choice() -> None:
    rules = load_rules()
    for code in CODES:
        entry = rules.findings[code]
        assert entry["severity"] in ("error", "warning", "info")
        assert entry["citation"] == "design"
        assert "CALNET Desk's own check" in entry["design"]
        assert entry["message"]


def test_the_rule_set_changes_the_tolerance(home: Path, run_cli: Any) -> None:
    (home / "rules.toml").write_text(
        "[findings.rate-mismatch]\ntolerance_cents = 500\ntolerance_percent = 0\n", "utf-8")
    orders(home, run_cli, "S-1,2025-01-01,new,AT&T,completed,C-S,B,20.00,2025-01-02")
    assert statement(home, run_cli, "2026-01", "B,,C-S,,P,1,25.00,,").code == 0
    assert reconcile(run_cli)[1] == []
    assert statement(home, run_cli, "2026-02", "B,,C-S,,P,1,25.01,,").code == 0
    assert codes(reconcile(run_cli, "--month", "2026-02")[1]) == [("rate-mismatch", "C-S")]


def test_the_readme_lists_every_reconcile_code() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    assert [c for c in CODES if f"| `{c}` |" not in readme] == []
    for command in ("import-billing", "billing", "reconcile", "reconcile-mark"):
        assert f"| `{command} " in readme or f"| `{command}` " in readme


# --- toll-free numbers (STMM 0507.0) ------------------------------------------------------------


def test_toll_free_list_from_orders_and_statements(home: Path, run_cli: Any) -> None:
    orders(home, run_cli,
           "T-1,2025-01-01,new,AT&T,completed,(800) 555-0100,BAN1,12.00,2025-01-05",
           "T-2,2025-03-01,change,AT&T,completed,1-800-555-0100,BAN1,15.00,2025-03-05",
           "T-3,2025-01-01,new,Verizon,completed,888.555.0101,BAN7,9.00,2025-01-05",
           "T-4,2025-01-01,new,AT&T,draft,8775550102,BAN1,9.00,",  # a draft: not listed
           "T-5,2025-01-01,new,AT&T,completed,916-555-0100,BAN1,9.00,2025-01-05",  # not toll-free
           "T-6,2025-01-01,new,AT&T,completed,8995550100,BAN1,9.00,2025-01-05")  # 899 is not
    assert statement(home, run_cli, "2026-01", "BAN1,8005550100,,,P,1,14.00,,",
                     "BAN1,8005550100,,,F,1,1.00,,",
                     "BAN2,,1 (833) 555-0103,,P,1,3.00,,").code == 0
    assert statement(home, run_cli, "2026-02", "BAN1,800-555-0100,,,P,1,16.00,,",
                     name="feb.csv").code == 0
    r = run_cli("toll-free", "--json")
    assert r.code == 0, r
    assert json.loads(r.out) == [
        {"number": "8005550100", "contractor": "AT&T", "ban": "BAN1", "monthly_cost": 16,
         "sources": ["order:T-1", "order:T-2", "statement:AT&T:2026-01",
                     "statement:AT&T:2026-02"]},
        {"number": "8335550103", "contractor": "AT&T", "ban": "BAN2", "monthly_cost": 3,
         "sources": ["statement:AT&T:2026-01"]},
        {"number": "8885550101", "contractor": "Verizon", "ban": "BAN7", "monthly_cost": 9,
         "sources": ["order:T-3"]},
    ]


def test_toll_free_writes_a_file(home: Path, run_cli: Any, tmp_path: Path) -> None:
    orders(home, run_cli, "T-1,2025-01-01,new,AT&T,completed,(844) 555-0100,BAN1,12.00,"
                          "2025-01-05")
    target = tmp_path / "toll-free.csv"
    r = run_cli("toll-free", "-o", str(target))
    assert r.code == 0 and "8445550100" in r.out and f"Wrote 1 number(s) to {target}" in r.out
    text = target.read_text("utf-8-sig").splitlines()
    assert text == ["number,contractor,ban,monthly_cost,sources",
                    "8445550100,AT&T,BAN1,12.00,order:T-1"]
    xlsx = tmp_path / "toll-free.xlsx"
    assert run_cli("toll-free", "--json", "-o", str(xlsx)).code == 0
    import openpyxl

    rows = list(openpyxl.load_workbook(xlsx).active.iter_rows(values_only=True))
    assert rows[1][:4] == ("8445550100", "AT&T", "BAN1", 12)
    r = run_cli("toll-free", "-o", str(tmp_path / "no" / "such" / "x.csv"))
    assert r.code == 1 and "nothing was written" in r.err


def test_toll_free_empty_register(home: Path, run_cli: Any) -> None:
    r = run_cli("toll-free", "--json")
    assert r.code == 0 and json.loads(r.out) == []


# --- reports: workbook, one-page PDF, dispute list -----------------------------------------------


@pytest.fixture
def reconciled(home: Path, run_cli: Any) -> Path:
    orders(home, run_cli, *ATT_ORDERS)
    assert statement(home, run_cli, "2026-01", "BAN1,1-916-555-0100,,,P1,1,50.00,,",
                     "BAN9,9165559999,,,P1,1,19.99,,",
                     "BAN1,,12KXFN123456PB,,PORT,1,330.00,,",
                     "BAN2,,,O-4,X,1,20.00,,").code == 0
    assert run_cli("reconcile-mark", "2026-01", "AT&T", "billed-not-in-register",
                   "9165559999", "--as", "credited", "--amount", "19.99").code == 0
    return home


def test_reconcile_report_workbook(reconciled: Path, run_cli: Any, tmp_path: Path) -> None:
    import openpyxl

    target = tmp_path / "report.xlsx"
    r = run_cli("reconcile-report", "--month", "2026-01", "-o", str(target))
    assert r.code == 0 and "$80.00 a month ($960.00 a year) at stake" in r.out, r
    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames == ["Summary", *CODES]
    summary = [row for row in wb["Summary"].iter_rows(values_only=True) if any(row)]
    assert summary[1][:2] == ("At stake a month", 80)
    assert summary[2][:2] == ("At stake a year", 960)
    assert summary[4][:2] == ("Recovered (credited)", 19.99)
    table = summary[summary.index(("Contractor", "BAN", "Findings", "Open", "At stake a month",
                                   "At stake a year", "Disputed a month", "Recovered")) + 1:]
    assert table[0][:6] == ("AT&T", "(all BANs)", 3, 2, 80, 960)
    assert [row[1] for row in table[1:3]] == ["BAN1", "BAN9"]
    assert table[1][:6] == ("AT&T", "BAN1", 2, 2, 80, 960)
    assert table[2][:8] == ("AT&T", "BAN9", 1, 0, 0, 0, 0, 19.99)
    sheet = list(wb["billed-not-in-register"].iter_rows(values_only=True))
    assert sheet[0][:7] == ("Contractor", "BAN", "Line", "Order", "Monthly amount",
                            "Annual amount", "Mark")
    assert sheet[1][:8] == ("AT&T", "BAN9", "9165559999", None, 19.99, 239.88, "credited",
                            19.99)
    assert len(list(wb["unused-line"].iter_rows())) == 1  # the header only


def test_reconcile_report_one_page_pdf(reconciled: Path, run_cli: Any, tmp_path: Path) -> None:
    from pypdf import PdfReader

    target = tmp_path / "report.pdf"
    r = run_cli("reconcile-report", "--month", "2026-01", "-o", str(target), "--today",
                "2026-02-01")
    assert r.code == 0, r
    pdf = PdfReader(target)
    assert len(pdf.pages) == 1
    text = " ".join(pdf.pages[0].extract_text().split())
    assert "$80.00 a month, $960.00 a year at stake" in text
    assert "Recovered so far: $19.99" in text and "Billed after disconnect" in text
    assert "CALNET Desk's own design" in text
    # tagged (issue 17 item 4): headings, then the tables with their header cells
    from pdf_structure import structure, table_rows, tagged

    assert tagged(target) == "yes"
    doc = structure(target).kids[0]
    assert [n.role for n in doc.kids if n.role in ("H1", "H2")] == ["H1", "H2", "H2"]
    by_finding = table_rows(doc.all("Table")[1])
    assert by_finding[0] == ["Finding", "Open", "A month", "A year", "Recovered"]
    assert by_finding[1][0] == "Billed after disconnect"
    first = target.read_bytes()
    assert run_cli("reconcile-report", "--month", "2026-01", "-o", str(target), "--today",
                   "2026-02-01").code == 0
    assert target.read_bytes() == first  # the same data, the same bytes


def test_reconcile_report_refusals(reconciled: Path, run_cli: Any, tmp_path: Path) -> None:
    r = run_cli("reconcile-report", "--month", "2026-01", "-o", str(tmp_path / "r.docx"))
    assert r.code == 1 and "must end in .xlsx or .pdf" in r.err
    r = run_cli("reconcile-report", "--month", "2026-03", "-o", str(tmp_path / "r.pdf"))
    assert r.code == 1 and "no statement for 2026-03" in r.err
    assert not (tmp_path / "r.pdf").exists()
    r = run_cli("reconcile-report", "--month", "2026-01", "-o", str(tmp_path / "no" / "r.pdf"))
    assert r.code == 1 and "nothing was written" in r.err


def test_dispute_list(reconciled: Path, run_cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "dispute.csv"
    r = run_cli("dispute-list", "--contractor", "Pacific Bell", "--month", "2026-01", "-o",
                str(target))
    assert r.code == 0 and "2 line(s) to dispute with AT&T" in r.out, r
    lines = target.read_text("utf-8-sig").splitlines()
    assert lines[0] == "BAN,Line,Amount,Reason"
    assert lines[1].startswith("BAN1,1-916-555-0100,50.00,Billed in 2026-01 after the service "
                               "was disconnected (our order O-2)")
    assert lines[2].startswith("BAN1,12KXFN123456PB,30.00,Billed above the ordered rate")
    assert len(lines) == 3  # credited, unused and ordered-not-billed ones are not disputed
    r = run_cli("dispute-list", "--contractor", "AT&T", "--month", "2026-01", "-o",
                str(tmp_path / "d.txt"))
    assert r.code == 1 and "must end in .csv" in r.err


def test_each_disputable_code_has_a_reason_in_the_rule_set() -> None:
    from calnet_desk.exchange.billing_report import DISPUTABLE

    rules = load_rules()
    for code in DISPUTABLE:
        assert "{amount}" in rules.findings[code]["dispute"]


# --- the demo agency's statements ----------------------------------------------------------------


def test_the_demo_has_a_year_of_statements_with_every_code(tmp_path: Path) -> None:
    from calnet_desk import demo
    from calnet_desk.policy.reconcile import reconcile
    from calnet_desk.store.billing import statements
    from calnet_desk.store.verify import verify

    reg = demo.create_demo(tmp_path / "a", orders=250)
    with reg:
        found = statements(reg)
        by_contractor: dict[str, list[str]] = {}
        for st in found:
            by_contractor.setdefault(st.contractor, []).append(st.month)
        year = [f"2025-{m}" for m in ("11", "12")] + [f"2026-{m:02d}" for m in range(1, 11)]
        assert all(set(months) <= set(year) for months in by_contractor.values())
        # a contractor with a service all year has twelve statements; none has an empty one
        assert by_contractor["AT&T"] == year and by_contractor["Verizon"] == year
        assert all(st.lines > 0 for st in found)
        codes_seen = {f.code for f in reconcile(reg, load_rules())}
        assert codes_seen == set(CODES)
        problems, _ = verify(reg)
        assert problems == []
        from calnet_desk.exchange.billing import check_statements

        assert check_statements(reg) == []
        shas = [st.sha256 for st in found]
    again = demo.create_demo(tmp_path / "b", orders=250)
    with again:
        assert [st.sha256 for st in statements(again)] == shas  # the same seed, the same files


def test_a_demo_above_the_limit_has_no_statements(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from calnet_desk import demo, demo_billing
    from calnet_desk.store.billing import statements

    monkeypatch.setattr(demo_billing, "MAX_ORDERS", 20)  # as a 100,000-order demo is
    with demo.create_demo(tmp_path / "big", orders=21) as reg:
        assert statements(reg) == []
    with demo.create_demo(tmp_path / "small", orders=20) as reg:
        assert statements(reg) != []


# --- audit bundles: statements and marks travel, and merge like records ---------------------------


def _with_statements(home: Path, run_cli: Any) -> None:
    orders(home, run_cli, *ATT_ORDERS)
    assert statement(home, run_cli, "2026-01", "BAN1,1-916-555-0100,,,P1,1,50.00,,",
                     "BAN9,9165559999,,,P1,1,19.99,,").code == 0
    assert statement(home, run_cli, "2026-02", "BAN9,9165559999,,,P1,1,19.99,,",
                     name="feb.csv").code == 0
    assert run_cli("reconcile-mark", "2026-01", "AT&T", "billed-not-in-register",
                   "9165559999", "--as", "disputed", "--note", "ticket 7").code == 0


def _other(tmp_path: Path, run_cli: Any, name: str) -> Path:
    root = tmp_path / name
    assert run_cli("--data-dir", str(root), "init", "--agency", "Department of Testing",
                   "--agency-class", "non-exempt-state").code == 0
    return root


def test_a_bundle_carries_statements_files_and_marks(home: Path, run_cli: Any,
                                                     tmp_path: Path) -> None:
    import zipfile

    _with_statements(home, run_cli)
    out = tmp_path / "all.zip"
    assert run_cli("export-bundle", str(out)).code == 0
    assert run_cli("verify-bundle", str(out)).code == 0
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        statements_json = json.loads(z.read(next(n for n in names
                                                 if n.endswith("billing/statements.json"))))
        marks_json = json.loads(z.read(next(n for n in names
                                            if n.endswith("billing/marks.json"))))
        entries = [json.loads(line) for line in z.read(
            next(n for n in names if n.endswith("history/entries.jsonl"))).splitlines()]
    assert [(s["contractor"], s["month"], s["lines"]) for s in statements_json] == [
        ("AT&T", "2026-01", 2), ("AT&T", "2026-02", 1)]
    assert any(n.endswith("documents/feb.csv") for n in names)
    assert [(m["code"], m["line"], m["mark"], m["note"]) for m in marks_json] == [
        ("billed-not-in-register", "9165559999", "disputed", "ticket 7")]
    assert {"statements", "billing-marks"} <= {e["kind"] for e in entries}
    # since: the statements imported or marked on or after the date
    for since, expected in (("2000-01-01", True), ("2999-01-01", False)):
        out = tmp_path / f"since-{since}.zip"
        r = run_cli("export-bundle", str(out), "--scope", f"since:{since}")
        assert r.code == 0, r
        with zipfile.ZipFile(out) as z:
            assert any(n.endswith("billing/statements.json") for n in z.namelist()) is expected
        assert run_cli("verify-bundle", str(out)).code == 0
    red = tmp_path / "red.zip"
    assert run_cli("export-bundle", str(red), "--redact").code == 0
    with zipfile.ZipFile(red) as z:
        text = z.read(next(n for n in z.namelist() if n.endswith("billing/marks.json")))
    assert json.loads(text)[0]["marked_by"] == "[redacted]"


def test_merging_a_bundle_adds_statements_and_marks(home: Path, run_cli: Any,
                                                     tmp_path: Path) -> None:
    _with_statements(home, run_cli)
    out = tmp_path / "all.zip"
    assert run_cli("export-bundle", str(out)).code == 0
    expected = reconcile(run_cli)[1]
    other = _other(tmp_path, run_cli, "other")
    r = run_cli("--data-dir", str(other), "merge-bundle", str(out), "--json")
    assert r.code == 0, r
    merged = json.loads(r.out)
    assert merged["added"]["statements"] == 2 and merged["added"]["billing-marks"] == 1
    listed = json.loads(run_cli("--data-dir", str(other), "billing", "--json").out)
    assert [(s["month"], s["lines"]) for s in listed] == [("2026-01", 2), ("2026-02", 1)]
    got = json.loads(run_cli("--data-dir", str(other), "reconcile", "--json").out)
    assert got == expected  # the same findings, the mark included
    assert run_cli("--data-dir", str(other), "verify").code == 0
    again = json.loads(run_cli("--data-dir", str(other), "merge-bundle", str(out),
                               "--json").out)
    assert again["skipped"]["statements"] == 2 and again["added"]["statements"] == 0


def test_the_same_month_with_another_file_is_a_conflict(home: Path, run_cli: Any,
                                                        tmp_path: Path) -> None:
    _with_statements(home, run_cli)
    out = tmp_path / "all.zip"
    assert run_cli("export-bundle", str(out)).code == 0
    other = _other(tmp_path, run_cli, "other")
    f = write(tmp_path / "theirs.csv", LINE_HEADER, "BAN9,,X-1,,P1,1,5.00,,")
    assert run_cli("--data-dir", str(other), "import-billing", str(f), "--contractor", "AT&T",
                   "--month", "2026-01").code == 0
    r = run_cli("--data-dir", str(other), "merge-bundle", str(out))
    assert r.code == 0 and "CONFLICT statements AT&T:2026-01" in r.out, r
    listed = json.loads(run_cli("--data-dir", str(other), "billing", "--json").out)
    assert listed[0]["lines"] == 1  # kept as the register's
    r = run_cli("--data-dir", str(other), "merge-bundle", str(out), "--prefer", "bundle")
    assert r.code == 0
    listed = json.loads(run_cli("--data-dir", str(other), "billing", "--json").out)
    assert listed[0]["lines"] == 2 and listed[0]["sha256"] == json.loads(
        run_cli("billing", "--json").out)[0]["sha256"]
    assert run_cli("--data-dir", str(other), "verify").code == 0


def test_a_since_bundle_carries_a_statement_marked_after_the_date(
        reg: Any, clock: Any, tmp_path: Path) -> None:
    """The `since` scope takes a statement imported before the date when one of its
    findings was marked on or after it (a mark's history key is month:contractor:code:line,
    a statement's contractor:month)."""
    import datetime as dt

    from calnet_desk.exchange.billing import import_statement
    from calnet_desk.exchange.billing_bundle import history_in_scope, in_scope, statement_key
    from calnet_desk.exchange.bundle.scope import Scope
    from calnet_desk.exchange.bundle.verify import verify_bundle
    from calnet_desk.exchange.bundle.write import export_bundle
    from calnet_desk.policy.reconcile import mark_finding

    rules = load_rules()
    f = write(tmp_path / "jan.csv", LINE_HEADER, "BAN9,9165559999,,,P1,1,19.99,,")
    assert import_statement(reg, f, "AT&T", "2026-01").written
    clock.now += dt.timedelta(days=10)
    mark_finding(reg, rules, "2026-01", "AT&T", "billed-not-in-register", "9165559999",
                 "disputed", None, "ticket 7")
    since = (clock.now - dt.timedelta(days=1)).date().isoformat()
    chosen, kept = in_scope(reg, "since", since)
    assert [(st.contractor, st.month) for st in chosen] == [("AT&T", "2026-01")]
    assert [(m.code, m.line) for m in kept] == [("billed-not-in-register", "9165559999")]
    assert history_in_scope("billing-marks", "2026-01:AT&T:billed-not-in-register:9165559999",
                            {statement_key(st) for st in chosen})
    assert in_scope(reg, "since", (clock.now + dt.timedelta(days=1)).date().isoformat()
                    ) == ([], [])
    # the bundle carries it, and verify-bundle (which works the scope out from the chain)
    # agrees
    out = tmp_path / "since.zip"
    export_bundle(reg, out, Scope("since", since), today=clock.now.date())
    assert verify_bundle(out) == []
    import zipfile

    with zipfile.ZipFile(out) as z:
        carried = json.loads(z.read(next(n for n in z.namelist()
                                         if n.endswith("billing/statements.json"))))
    assert [(s["contractor"], s["month"]) for s in carried] == [("AT&T", "2026-01")]


def test_a_contractor_with_a_colon_in_its_name_is_scoped_by_its_whole_name(
        reg: Any, clock: Any, tmp_path: Path) -> None:
    import datetime as dt

    from calnet_desk.exchange.billing import import_statement
    from calnet_desk.exchange.billing_bundle import history_in_scope, in_scope
    from calnet_desk.policy.reconcile import mark_finding

    rules = load_rules()
    f = write(tmp_path / "jan.csv", LINE_HEADER, "BAN9,9165559999,,,P1,1,19.99,,")
    for contractor in ("Acme: West", "Acme"):
        assert import_statement(reg, f, contractor, "2026-01").written
    clock.now += dt.timedelta(days=10)
    mark_finding(reg, rules, "2026-01", "Acme: West", "billed-not-in-register", "9165559999",
                 "explained", None, None)
    chosen, _ = in_scope(reg, "since", clock.now.date().isoformat())
    assert [st.contractor for st in chosen] == ["Acme: West"]
    assert not history_in_scope("billing-marks",
                                "2026-01:Acme: West:billed-not-in-register:9165559999",
                                {"Acme:2026-01"})
    assert history_in_scope("billing-marks",
                            "2026-01:Acme: West:billed-not-in-register:9165559999",
                            {"Acme: West:2026-01"})


def test_history_of_a_statement(home: Path, run_cli: Any) -> None:
    assert statement(home, run_cli, "2026-01", "BAN1,,C1,,P1,1,50.00,,").code == 0
    assert statement(home, run_cli, "2026-01", "BAN1,,C1,,P1,1,50.00,,", "BAN1,,C2,,P1,1,5,,",
                     name="again.csv", extra=("--replace",)).code == 0
    r = run_cli("history", "statements", "AT&T:2026-01")
    assert r.code == 0, r
    lines = r.out.splitlines()
    assert [line.split("  ")[2] for line in lines if not line.startswith(" ")] == [
        "insert (import-billing st-2026-01.csv)", "update (import-billing again.csv)"]
    assert "    total_mrc: $50.00 -> $55.00" in lines and "    lines: 1 -> 2" in lines
    entries = json.loads(run_cli("history", "statement", "AT&T:2026-01", "--json").out)
    assert [(e["kind"], e["key"], e["action"]) for e in entries] == [
        ("statements", "AT&T:2026-01", "insert"), ("statements", "AT&T:2026-01", "update")]
    # the contractor as import-billing takes it: another letter case, or an alias
    for key in ("at&t:2026-01", "Pacific Bell:2026-01"):
        assert json.loads(run_cli("history", "statements", key, "--json").out) == entries
    r = run_cli("history", "statements", "AT&T:2026-02")
    assert r.code == 1 and "no history for statement AT&T:2026-02" in r.err
    for bad in ("AT&T", "AT&T:2026-13", ":2026-01"):
        r = run_cli("history", "statements", bad)
        assert r.code == 1 and ("CONTRACTOR:MONTH" in r.err or "YYYY-MM" in r.err), r
