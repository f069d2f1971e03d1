"""A delegation's timeframe starts before it ends (STMM 3-502.0 asks for the timeframes; a
start on or after the end is refused wherever the record is written, naming the field)."""

from __future__ import annotations

from pathlib import Path

import pytest

from calnet_desk.exchange.importer import import_file
from calnet_desk.records import KINDS, order_problems
from calnet_desk.store import RecordError, Register

DELEGATIONS = KINDS["delegations"]


def delegation(key: str = "GD-1", **extra: object) -> dict[str, object]:
    return {"delegation_id": key, "type": "general", "project": "PBX", **extra}


def test_the_declaration_names_the_field_and_both_dates() -> None:
    assert order_problems(DELEGATIONS, delegation(timeframe_start="2026-03-01",
                                                  timeframe_end="2026-02-01")) == [
        ("timeframe_end", "Timeframe end 02/01/2026 must come after Timeframe start "
                          "03/01/2026")]
    same = delegation(timeframe_start="2026-03-01", timeframe_end="2026-03-01")
    assert [n for n, _ in order_problems(DELEGATIONS, same)] == ["timeframe_end"]
    assert order_problems(DELEGATIONS, delegation(timeframe_start="2026-03-01",
                                                  timeframe_end="2027-03-01")) == []
    assert order_problems(DELEGATIONS, delegation(timeframe_end="2026-03-01")) == []


def test_the_store_refuses_an_end_before_the_start_and_writes_nothing(reg: Register) -> None:
    with pytest.raises(RecordError, match="GD-1: Timeframe end 02/01/2026 must come after "
                                          "Timeframe start 03/01/2026"), \
            reg.transaction("bad") as tx:
        tx.put(DELEGATIONS, delegation(timeframe_start="2026-03-01",
                                       timeframe_end="2026-02-01"))
    assert reg.count(DELEGATIONS) == 0
    with reg.transaction("good") as tx:
        tx.put(DELEGATIONS, delegation(timeframe_start="2026-03-01",
                                       timeframe_end="2027-02-01"))
    # an edit of one date is judged against the stored other
    with pytest.raises(RecordError, match="must come after"), reg.transaction("bad") as tx:
        tx.put(DELEGATIONS, {"delegation_id": "GD-1", "timeframe_start": "2027-03-01"})
    assert reg.get(DELEGATIONS, "GD-1")["timeframe_start"] == "2026-03-01"


def test_import_names_file_row_and_column(reg: Register, tmp_path: Path) -> None:
    src = tmp_path / "delegations.csv"
    src.write_text("Delegation id,Type,Project,Timeframe start,Timeframe end\n"
                   "GD-1,general,PBX,2026-01-01,2026-12-31\n"
                   "GD-2,general,PBX,2026-05-01,2026-04-30\n", encoding="utf-8")
    result = import_file(reg, src, DELEGATIONS)
    assert result.errors == [f"{src}:3:Timeframe end: Timeframe end 04/30/2026 must come "
                             "after Timeframe start 05/01/2026"]
    assert reg.count(DELEGATIONS) == 0
