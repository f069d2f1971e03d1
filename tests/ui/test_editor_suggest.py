"""Issue 16 item 9: placed by, signer, contractor and contract number are picked from the
register's people and contracts (typing stays allowed, inactive people marked), and an open
order placed by an inactive ATR is caught before saving, not after."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from calnet_desk.records import KINDS
from ui.editors.record_editor import RecordEditor, SuggestInput


def shown_choices(inp: SuggestInput) -> list[str]:
    model = inp.completer.completionModel()
    return [str(model.index(r, 0).data()) for r in range(model.rowCount())]


# the completion list is a popup: the offscreen platform cannot raise it or grab the keyboard
@pytest.mark.qt_log_ignore("This plugin does not support raise",
                           "This plugin does not support grabbing the keyboard")
def test_people_and_contracts_are_offered_while_typing_and_an_inactive_atr_is_caught(
        qtbot: Any, open_window: Any) -> None:
    window = open_window(20)
    people = window.session.reader.records(KINDS["people"])
    gone = next(p for p in people if p["role"] == "atr" and p["active"] is False)
    active = next(p for p in people if p["role"] == "atr" and p["active"] is True)
    editor = RecordEditor(window.session, KINDS["orders"], None, "new", window)
    qtbot.addWidget(editor)
    editor.show()
    placed_by = editor.inputs["placed_by"]
    assert isinstance(placed_by, SuggestInput)
    line = placed_by.line
    line.setFocus()
    qtbot.keyClicks(line, gone["name"][:4].lower())  # any part, any case
    popup = placed_by.completer.popup()
    qtbot.waitUntil(popup.isVisible)
    offered = shown_choices(placed_by)
    assert f"{gone['name']} — ATR ({gone['person_id']}), inactive" in offered
    row = offered.index(f"{gone['name']} — ATR ({gone['person_id']}), inactive")
    for _ in range(row + 1):  # Down to it, as a person does, then Enter
        qtbot.keyClick(popup, Qt.Key.Key_Down)
    assert popup.currentIndex().row() == row
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert line.text() == gone["name"]  # the name goes in, not the label
    error = editor.errors["placed_by"]
    assert "is an inactive ATR" in error.text() and gone["person_id"] in error.text()
    assert "placed_by" in editor.problems() and not editor.save_button.isEnabled()
    line.setText(active["name"])
    assert error.text() == "" and "placed_by" not in editor.problems()
    line.setText("Someone not in the register")  # typing stays allowed
    assert error.text() == ""
    line.setText(gone["person_id"])  # by id too
    assert "is an inactive ATR" in error.text()
    status = editor.inputs["status"]
    status.combo.setCurrentIndex(status.combo.findData("completed"))  # type: ignore[attr-defined]
    assert error.text() == ""  # a completed order is history: the finding says what to note
    contractor, number = editor.inputs["contractor"], editor.inputs["contract_number"]
    assert isinstance(contractor, SuggestInput) and isinstance(number, SuggestInput)
    contracts = window.session.reader.records(KINDS["contracts"])
    contractor.line.clear()
    contractor.line.setFocus()
    qtbot.keyClicks(contractor.line, "verizon"[:3])
    assert "Verizon" in shown_choices(contractor)
    first = contracts[0]
    labels = [number.model.item(r).text() for r in range(number.model.rowCount())]
    assert any(t.startswith(f"{first['contract_number']} — {first['contractor']}")
               for t in labels)
    editor.drop_draft()
    editor.done(0)


def test_the_signer_is_picked_from_people(qtbot: Any, open_window: Any) -> None:
    window = open_window(10)
    for kind in ("exemptions", "delegations"):
        editor = RecordEditor(window.session, KINDS[kind], None, "new", window)
        qtbot.addWidget(editor)
        signer = editor.inputs["signer"]
        assert isinstance(signer, SuggestInput)
        names = {str(p["name"]) for p in window.session.reader.records(KINDS["people"])}
        offered = {signer.model.item(r).data(signer.completer.completionRole())
                   for r in range(signer.model.rowCount())}
        assert offered == names
        editor.done(0)


def test_an_order_already_placed_by_an_inactive_atr_can_still_be_edited(
        qtbot: Any, open_window: Any) -> None:
    """The dashboard's finding speaks for an order as it was; changing placed_by to an
    inactive ATR is what is caught."""
    window = open_window(60)
    gone = [p for p in window.session.reader.records(KINDS["people"])
            if p["role"] == "atr" and p["active"] is False]
    names = {str(p["name"]) for p in gone}
    order = next(o for o in window.session.reader.records(KINDS["orders"])
                 if o["placed_by"] in names and o["status"] != "completed")
    editor = window.edit_record("orders", order["request_number"])
    assert editor.errors["placed_by"].text() == ""
    type_in = editor.inputs["placed_by"].line  # type: ignore[attr-defined]
    type_in.setText(next(str(p["person_id"]) for p in gone))
    assert "is an inactive ATR" in editor.errors["placed_by"].text()
    type_in.setText(order["placed_by"])
    assert editor.errors["placed_by"].text() == ""
    editor.drop_draft()
    editor.done(0)
