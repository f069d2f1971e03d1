"""A large import writes while it reads (importer.HOLD_ROWS), in one transaction that a
problem found later rolls back: the same all-or-nothing result as a small one."""

from __future__ import annotations

from pathlib import Path

import pytest

from calnet_desk.exchange import importer
from calnet_desk.exchange.importer import import_file
from calnet_desk.records import ORDERS
from calnet_desk.store import Register
from calnet_desk.store.verify import verify

HEADER = "request_number,request_date,order_type,contractor,city\n"


def rows(n: int, start: int = 0) -> str:
    return "".join(f"O-{i:03d},2026-01-05,new,AT&T,Fresno\n" for i in range(start, start + n))


@pytest.fixture(autouse=True)
def small_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "HOLD_ROWS", 3)  # a "large" file is more than 3 rows
    monkeypatch.setattr(importer, "CHUNK_ROWS", 2)  # parsed 2 rows at a time


def test_a_large_import_is_written_whole_with_one_entry_per_row(
        reg: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from calnet_desk.store.register import Changes

    streamed: list[str] = []
    real = Changes.upsert
    monkeypatch.setattr(Changes, "upsert", lambda self, kind, **kw: (
        streamed.append(kind.name), real(self, kind, **kw))[1])
    path = tmp_path / "o.csv"
    path.write_text(HEADER + rows(10), encoding="utf-8")
    reports: list[tuple[int, int]] = []
    result = import_file(reg, path, ORDERS, progress=lambda d, t: reports.append((d, t)))
    assert result.written and result.errors == [] and result.inserted == 10
    assert result.rows == 10
    assert sorted(r["request_number"] for r in reg.records(ORDERS)) == [
        f"O-{i:03d}" for i in range(10)]
    assert len(reg.history(ORDERS.name)) == 10
    assert result.entries is not None and result.entries[1] - result.entries[0] == 10
    assert reports and reports[-1] == (10, 10)
    assert streamed == ["orders"]  # written while read
    findings, _ = verify(reg)
    assert findings == []
    again = import_file(reg, path, ORDERS)
    assert again.written and again.unchanged == 10 and not again.inserted


@pytest.mark.parametrize("bad", ["cell", "duplicate", "reference", "torn"])
def test_a_problem_after_writing_started_rolls_everything_back(reg: Register, tmp_path: Path,
                                                               bad: str) -> None:
    path = tmp_path / "o.csv"
    late = {"cell": "O-900,not a date,new,AT&T,Fresno\n",
            "duplicate": "O-001,2026-01-05,new,AT&T,Fresno\n",
            "reference": "",
            "torn": "O-901,2026-01-05,new,AT&T,Fres"}[bad]
    header = HEADER if bad != "reference" else HEADER.replace("city", "delegation_id")
    body = rows(9) if bad != "reference" else rows(9).replace("Fresno", "")
    if bad == "reference":
        late = "O-902,2026-01-05,new,AT&T,CD-NOPE\n"
    path.write_text(header + body + late, encoding="utf-8")
    head_before = reg.newest_entry_id()
    result = import_file(reg, path, ORDERS)
    assert not result.written and result.errors, result
    assert result.errors[0].startswith(f"{path}:11"), result.errors
    assert reg.count(ORDERS) == 0
    assert reg.newest_entry_id() == head_before


def test_a_dry_run_of_a_large_file_writes_nothing(reg: Register, tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text(HEADER + rows(10), encoding="utf-8")
    result = import_file(reg, path, ORDERS, dry_run=True)
    assert not result.written and result.errors == [] and result.rows == 10
    assert reg.count(ORDERS) == 0


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_progress_of_a_large_import_counts_towards_the_files_rows(
        reg: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    """Written while read, the import reports its progress against the rows the file
    holds, known before the first batch: the bar does not show full half-way."""
    from calnet_desk.exchange.sheets import write_xlsx
    from calnet_desk.store import register

    monkeypatch.setattr(register, "BATCH", 2)  # a report every 2 records
    path = tmp_path / f"o{suffix}"
    if suffix == ".csv":
        path.write_text(HEADER + rows(10), encoding="utf-8")
    else:
        write_xlsx(path, "orders", HEADER.strip().split(","),
                   [line.split(",") for line in rows(10).splitlines()], [None] * 5)
    reports: list[tuple[int, int]] = []
    result = import_file(reg, path, ORDERS, progress=lambda d, t: reports.append((d, t)))
    assert result.written and result.inserted == 10
    assert reports[-1] == (10, 10)
    assert reports[:-1] and all(total == 10 for _, total in reports[:-1]), reports
    assert [done for done, _ in reports] == sorted(done for done, _ in reports)
    assert any(done < total for done, total in reports), reports  # never full half-way


def test_the_guards_lifted_while_an_import_writes_are_back_after_it(
        reg: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The import writes its rows on a thread of its own with the table's guard triggers
    lifted; every committed state has them, after an import and after a refused one."""
    from calnet_desk.store import register
    from calnet_desk.store.schema import expected_triggers

    monkeypatch.setattr(register, "BATCH", 2)  # the writes thread starts at the 2nd row

    def triggers() -> set[str]:
        return {r[0] for r in reg.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")}

    path = tmp_path / "o.csv"
    path.write_text(HEADER + rows(10), encoding="utf-8")
    assert import_file(reg, path, ORDERS).inserted == 10
    assert triggers() == expected_triggers()
    path.write_text(HEADER + rows(10, 10) + "O-900,not a date,new,AT&T,Fresno\n",
                    encoding="utf-8")
    assert not import_file(reg, path, ORDERS).written
    assert triggers() == expected_triggers()
    assert reg.count(ORDERS) == 10
    findings, _ = verify(reg)
    assert findings == []


def test_the_larger_page_cache_of_an_import_is_given_back_after_it(
        reg: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While its writes thread runs, an import keeps a larger page cache; the connection
    has its own again after an import and after a refused one."""
    from calnet_desk.store import register

    monkeypatch.setattr(register, "BATCH", 2)  # the writes thread starts at the 2nd row
    seen: list[int] = []
    start = register.Changes.start_background

    def watched(self: register.Changes, kind: object) -> None:
        start(self, kind)  # type: ignore[arg-type]
        seen.append(int(reg.conn.execute("PRAGMA cache_size").fetchone()[0]))

    monkeypatch.setattr(register.Changes, "start_background", watched)
    before = reg.conn.execute("PRAGMA cache_size").fetchone()[0]
    path = tmp_path / "o.csv"
    path.write_text(HEADER + rows(10), encoding="utf-8")
    assert import_file(reg, path, ORDERS).inserted == 10
    assert seen and all(size == -register.BULK_CACHE_KIB for size in seen), seen
    assert reg.conn.execute("PRAGMA cache_size").fetchone()[0] == before
    path.write_text(HEADER + rows(10, 10) + "O-900,not a date,new,AT&T,Fresno\n",
                    encoding="utf-8")
    assert not import_file(reg, path, ORDERS).written
    assert reg.conn.execute("PRAGMA cache_size").fetchone()[0] == before
    findings, _ = verify(reg)
    assert findings == []
