"""Catalog items in the window (issue 15, reference data): their own page and editor (a
composite key: contract and product id), and the order editor's product id offering the
catalog's items, a pick bringing the item's contract, status, delegation flag and as-of date
(typing any other id stays allowed)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from calnet_desk.records import KINDS
from calnet_desk.store import Register
from ui.editors.record_editor import RecordEditor, SuggestInput

ITEMS = KINDS["catalog-items"]


@pytest.mark.qt_log_ignore("This plugin does not support raise",
                           "This plugin does not support grabbing the keyboard")
def test_an_order_picks_a_catalog_item_and_takes_its_values(qtbot: Any,
                                                            open_window: Any) -> None:
    window = open_window(20)
    items = window.session.reader.records(ITEMS)
    item = next(i for i in items if i["delegation_required"] is True)
    editor = RecordEditor(window.session, KINDS["orders"], None, "new", window)
    qtbot.addWidget(editor)
    editor.show()
    product = editor.inputs["product_id"]
    assert isinstance(product, SuggestInput)
    product.line.setFocus()
    qtbot.keyClicks(product.line, str(item["product_id"]).lower())
    popup = product.completer.popup()
    qtbot.waitUntil(popup.isVisible)
    model = product.completer.completionModel()
    offered = [str(model.index(r, 0).data()) for r in range(model.rowCount())]
    wanted = next(r for r, text in enumerate(offered)
                  if text.startswith(f"{item['product_id']} · {item['contract_number']} · "))
    assert "delegation yes" in offered[wanted] and "as of " in offered[wanted]
    for _ in range(wanted + 1):
        qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert product.line.text() == item["product_id"]
    values = editor.values
    assert values["contract_number"] == item["contract_number"]
    assert values["catalog_status"] == item["catalog_status"]
    assert values["delegation_required"] is True
    assert values["catalog_status_as_of"] == item["as_of"]
    assert values["category"] == item["category"]
    product.line.setText("NOT-IN-THE-CATALOG")  # typing stays allowed
    assert "product_id" not in editor.problems()


def test_the_catalog_items_page_and_editor_take_a_composite_key(qtbot: Any,
                                                                open_window: Any) -> None:
    window = open_window(20)
    window.show_page("catalog-items")
    page = window.pages["catalog-items"]
    assert page.model.rowCount() == window.session.reader.count(ITEMS) > 0
    first = page.model.keys[0]
    assert ":" in first
    editor = window.edit_record("catalog-items", first)
    assert editor.inputs["contract_number"].focus.isEnabled() is False or \
        editor.inputs["contract_number"].line.isReadOnly()  # type: ignore[attr-defined]
    assert editor.inputs["product_id"].line.isReadOnly()  # type: ignore[attr-defined]
    editor.inputs["description"].line.setText("Renamed item")  # type: ignore[attr-defined]
    with qtbot.waitSignal(editor.session.changed, timeout=10000):
        editor.save_button.click()
    with Register.open(window.session.root) as reg:
        assert reg.get(ITEMS, first)["description"] == "Renamed item"
        assert reg.history("catalog-items", first)[-1]["action"] == "update"
    # a new item under the same contract and product id is refused before saving
    contract, product = first.split(":", 1)
    new = RecordEditor(window.session, ITEMS, None, "new", window)
    qtbot.addWidget(new)
    new.inputs["contract_number"].line.setText(contract)  # type: ignore[attr-defined]
    new.inputs["product_id"].line.setText(product)  # type: ignore[attr-defined]
    assert "is already in the register" in new.problems()["product_id"]
    assert first in new.problems()["product_id"]
    new.inputs["product_id"].line.setText(product + "-B")  # type: ignore[attr-defined]
    assert "product_id" not in new.problems()
    with qtbot.waitSignal(new.session.changed, timeout=10000):
        new.save_button.click()
    with Register.open(window.session.root) as reg:
        assert reg.exists(ITEMS, f"{contract}:{product}-B")


def test_a_timeframe_end_before_its_start_is_shown_beside_the_end(qtbot: Any,
                                                                  open_window: Any) -> None:
    window = open_window(20)
    editor = RecordEditor(window.session, KINDS["delegations"], None, "new", window)
    qtbot.addWidget(editor)
    editor.inputs["timeframe_start"].line.setText("03/01/2026")  # type: ignore[attr-defined]
    editor.inputs["timeframe_end"].line.setText("02/01/2026")  # type: ignore[attr-defined]
    assert editor.problems()["timeframe_end"] == (
        "Timeframe end 02/01/2026 must come after Timeframe start 03/01/2026.")
    assert not editor.save_button.isEnabled()
    editor.inputs["timeframe_end"].line.setText("03/01/2027")  # type: ignore[attr-defined]
    assert "timeframe_end" not in editor.problems()
