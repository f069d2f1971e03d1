"""The desktop's XLSX exports ("Export this view", the dashboard's) refuse a text longer
than an XLSX cell holds with a message box naming the record, the field and its length,
and write nothing: XlsxWriter cut it silently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6 import QtWidgets

from calnet_desk.records import KINDS
from calnet_desk.store import Register
from ui import messages as messages_mod

ORDERS = KINDS["orders"]
LONG = "x" * 40_000


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    boxes: list[tuple[str, str, str]] = []
    monkeypatch.setattr(messages_mod, "show_error",
                        lambda parent, title, message, details="": boxes.append(
                            (title, message, details)))
    return boxes


def _set_description(qtbot: Any, window: Any, key: str, text: str) -> None:
    def write(reg: Register, progress: Any, cancelled: Any) -> None:
        with reg.transaction("a long note") as tx:
            tx.put(ORDERS, {"request_number": key, "description": text})

    done: list[object] = []
    window.session.writer.submit(write, done.append, lambda m, d: done.append(m))
    qtbot.waitUntil(lambda: bool(done), timeout=10000)
    assert done == [None]


def _export_view_of_orders(qtbot: Any, open_window: Any, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch, shown: list[tuple[str, str, str]],
                           description: str) -> tuple[str, Path]:
    """The first order of the Orders page given this description, then "Export this view"
    to orders.xlsx in a folder of its own, until a message box is shown: (its key, the
    target)."""
    window = open_window(20)
    page = window.pages["orders"]
    window.show_page("orders")
    qtbot.waitUntil(lambda: page.model.total() > 0)
    key = page.model.keys[0]
    _set_description(qtbot, window, key, description)
    target = tmp_path / "out" / "orders.xlsx"
    target.parent.mkdir()
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(target), "Excel workbook (*.xlsx)"))
    window.export_view()
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    return key, target


def test_export_this_view_refuses_a_text_too_long_for_xlsx(
        qtbot: Any, open_window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        shown: list[tuple[str, str, str]]) -> None:
    key, target = _export_view_of_orders(qtbot, open_window, tmp_path, monkeypatch, shown,
                                         LONG)
    title, message, details = shown[0]
    assert title == "Not exported"
    assert message == (f"{target} was not written: the description of order {key} is 40,000 "
                       "characters long (as Excel counts them), more than the 32,767 an XLSX "
                       "cell holds, and would be cut short. Export as CSV instead: it keeps "
                       "texts of any length.")
    assert details == ""  # a refusal, not a failure: no traceback behind it
    assert list(target.parent.iterdir()) == []  # nothing written, no partial file


def test_the_dashboard_export_refuses_a_text_too_long_for_xlsx(
        qtbot: Any, open_window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        shown: list[tuple[str, str, str]]) -> None:
    window = open_window(20, overview=True)
    columns, rows = window.dashboard.view_rows()
    assert rows
    long_row = [*rows[0][:7], LONG]
    monkeypatch.setattr(window.dashboard, "view_rows", lambda: (columns, [long_row]))
    target = tmp_path / "out" / "dash.xlsx"
    target.parent.mkdir()
    window.export_dashboard(target)
    assert len(shown) == 1
    title, message, _details = shown[0]
    assert title == "Not exported"
    assert message.startswith(f"{target} was not written: the Why or what to do of the "
                              f"{long_row[0].lower()} on {long_row[5]} is 40,000 characters")
    assert "Export as CSV instead" in message
    assert list(target.parent.iterdir()) == []
    window.export_dashboard(target.with_suffix(".csv"))  # CSV keeps it whole
    assert LONG in target.with_suffix(".csv").read_text(encoding="utf-8-sig")


def test_export_this_view_refuses_a_text_a_cell_would_change(
        qtbot: Any, open_window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        shown: list[tuple[str, str, str]]) -> None:
    """U+FFFF came back from the workbook as the text "_xFFFF_" (sheets.changed_in_xlsx)."""
    key, target = _export_view_of_orders(qtbot, open_window, tmp_path, monkeypatch, shown,
                                         "Line\uffff7")
    assert shown == [("Not exported", f"{target} was not written: the description of order "
                      f"{key} holds U+FFFF at character 5, which is not a character and which "
                      "no XLSX file can hold. Export as CSV instead: it keeps every character "
                      "as it is.", "")]
    assert list(target.parent.iterdir()) == []
