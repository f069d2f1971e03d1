"""A lone surrogate pasted into the editor: PySide converts a Python text to Qt's and back
without one (the widgets never hold it), so the editor saves the text around it; and if a
record holding one ever reached the save, the form says the store's sentence, naming the
field, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit

from calnet_desk.records import KINDS
from calnet_desk.store import Register

ORDERS = KINDS["orders"]
PLAIN_ORDER = "TSR-2022-00001"


def test_qt_text_widgets_hold_no_lone_surrogate(qtbot: Any) -> None:
    line, text = QLineEdit(), QPlainTextEdit()
    qtbot.addWidget(line)
    qtbot.addWidget(text)
    line.setText("Fres\ud800no")
    text.setPlainText("a note \udcff here")
    assert (line.text(), text.toPlainText()) == ("Fresno", "a note  here")


def test_the_editor_saves_the_text_around_a_pasted_surrogate(qtbot: Any,
                                                             open_window: Any) -> None:
    window = open_window(60)
    editor = window.edit_record("orders", PLAIN_ORDER)
    editor.inputs["city"].line.setText("Fres\ud800no")
    assert editor.save_button.isEnabled(), editor.problems()
    with qtbot.waitSignal(editor.session.changed, timeout=10000):
        editor.save_button.click()
    with Register.open(window.session.root) as reg:
        record = reg.get(ORDERS, PLAIN_ORDER)
    assert record is not None and record["city"] == "Fresno"


def test_a_record_holding_one_is_refused_by_the_store_with_the_field_named(
        qtbot: Any, open_window: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    window = open_window(60)
    editor = window.edit_record("orders", PLAIN_ORDER)
    with Register.open(window.session.root) as reg:
        before = len(reg.history())
        city = reg.get(ORDERS, PLAIN_ORDER)["city"]  # type: ignore[index]
    editor.inputs["city"].line.setText(f"{city} and more")
    record = editor.record
    monkeypatch.setattr(editor, "record", lambda: {**record(), "city": "Fres\ud800no"})
    editor.save_button.click()
    qtbot.waitUntil(lambda: not editor.saving, timeout=10000)
    assert editor.summary.text() == (
        f"Not saved: order {PLAIN_ORDER}: City holds U+D800 at character 5, which is not a "
        "character (half of a UTF-16 pair, or a byte that was not UTF-8 text); the register "
        "stores only whole characters, so nothing was written. Type or paste the text "
        "again, or save its file as UTF-8")
    with Register.open(window.session.root) as reg:
        assert len(reg.history()) == before
        stored = reg.get(ORDERS, PLAIN_ORDER)
        assert stored is not None and stored["city"] == city
