"""The record editor, headless (QT_QPA_PLATFORM=offscreen), never sleeping; modals patched."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import focus_chain, mnemonic_problems
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QApplication

from calnet_desk import demo
from calnet_desk.policy.deadlines import deadlines
from calnet_desk.records import KINDS
from calnet_desk.store import Register
from ui import messages as messages_mod
from ui.editors.record_editor import ComboInput, DateInput, RecordEditor, ReferenceInput
from ui.main_window import MainWindow
from ui.session import Session
from ui.settings import Settings

ORDERS, EXEMPTIONS, ATOS = KINDS["orders"], KINDS["exemptions"], KINDS["atos"]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PLAIN_ORDER = "TSR-2022-00001"  # no delegation, no exemption, no documents


@pytest.fixture(autouse=True)
def us_locale() -> Iterator[None]:
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    yield


@pytest.fixture
def window(open_window: Any) -> MainWindow:
    win: MainWindow = open_window(60)
    return win


def history(win: MainWindow, kind: str, key: str) -> list[dict[str, Any]]:
    with Register.open(win.session.root) as reg:
        return reg.history(kind, key)


def stored(win: MainWindow, kind: str, key: str) -> dict[str, Any] | None:
    with Register.open(win.session.root) as reg:
        return reg.get(KINDS[kind], key)


def type_into(editor: RecordEditor, name: str, text: str) -> None:
    inp = editor.inputs[name]
    if isinstance(inp, ReferenceInput):
        inp.combo.setEditText(text)
    elif isinstance(inp, ComboInput):
        inp.combo.setCurrentIndex(inp.combo.findData(text))
    elif hasattr(inp, "text"):
        inp.text.setPlainText(text)
    else:
        inp.line.setText(text)  # type: ignore[attr-defined]


def save(qtbot: Any, editor: RecordEditor) -> None:
    assert editor.save_button.isEnabled(), editor.problems()
    with qtbot.waitSignal(editor.session.changed, timeout=10000):
        editor.save_button.click()


def test_new_order_from_the_page_saves_through_the_writer(qtbot: Any,
                                                          window: MainWindow) -> None:
    window.show_page("orders")
    page = window.pages["orders"]
    page.new_button.click()
    editor = window.editor
    assert isinstance(editor, RecordEditor) and editor.mode == "new"
    assert not editor.save_button.isEnabled()  # required fields are empty
    assert editor.problems()["request_number"] == "Required."
    type_into(editor, "request_number", "NEW-0001")
    type_into(editor, "request_date", "03/02/2026")
    type_into(editor, "order_type", "new")
    type_into(editor, "contractor", "AT&T")
    type_into(editor, "monthly_cost", "$1,250.50")
    type_into(editor, "quantity", "3")
    type_into(editor, "delegation_required", "yes")
    type_into(editor, "description", "Two lines\nof description")
    save(qtbot, editor)
    record = stored(window, "orders", "NEW-0001")
    assert record is not None
    assert (record["request_date"], record["monthly_cost"], record["quantity"],
            record["delegation_required"], record["status"]) == (
        "2026-03-02", 125050, 3, True, "draft")  # status: the field's default
    assert record["description"] == "Two lines\nof description"
    entries = history(window, "orders", "NEW-0001")
    assert [(e["action"], e["reason"]) for e in entries] == [("insert", "new order")]
    qtbot.waitUntil(lambda: page.selected_key() == "NEW-0001")
    assert window.nav.item(1).text() == "Orders (STD. 20) · 61"


def test_edit_opens_on_enter_and_writes_one_history_entry(qtbot: Any,
                                                          window: MainWindow) -> None:
    window.open_record("orders", PLAIN_ORDER)
    page = window.pages["orders"]
    page.table.activated.emit(page.table.currentIndex())  # Enter or a double-click
    editor = window.editor
    assert editor.mode == "edit" and editor.windowTitle() == f"Edit order {PLAIN_ORDER}"
    key_line = editor.inputs["request_number"].line  # type: ignore[attr-defined]
    assert key_line.isReadOnly()
    assert editor.inputs["monthly_cost"].raw() == "$1,092.00"
    assert editor.inputs["request_date"].raw() == "01/14/2022"
    type_into(editor, "monthly_cost", "1,100")
    type_into(editor, "status", "cancelled")
    save(qtbot, editor)
    entry = history(window, "orders", PLAIN_ORDER)[-1]
    assert entry["action"] == "update" and entry["reason"] == f"edit of order {PLAIN_ORDER}"
    assert entry["changes"] == {"monthly_cost": [109200, 110000],
                                "status": ["completed", "cancelled"]}
    status = ORDERS.columns.index("status")
    qtbot.waitUntil(lambda: page.model.index(page.model.row_of(PLAIN_ORDER), status).data()
                    == "Cancelled")


def test_duplicate_copies_the_values_under_a_new_key(qtbot: Any, window: MainWindow) -> None:
    window.open_record("orders", PLAIN_ORDER)
    window.pages["orders"].duplicate_button.click()
    editor = window.editor
    assert editor.mode == "duplicate" and editor.inputs["request_number"].raw() == ""
    assert editor.problems()["request_number"] == "Required."
    type_into(editor, "request_number", PLAIN_ORDER)
    assert "already in the register" in editor.problems()["request_number"]
    assert not editor.save_button.isEnabled()
    type_into(editor, "request_number", "TSR-2022-COPY")
    save(qtbot, editor)
    original, copy = stored(window, "orders", PLAIN_ORDER), stored(window, "orders",
                                                                    "TSR-2022-COPY")
    assert original and copy
    assert {k: v for k, v in copy.items() if k != "request_number"} == {
        k: v for k, v in original.items() if k != "request_number"}
    assert history(window, "orders", "TSR-2022-COPY")[-1]["reason"] == (
        f"duplicate of order {PLAIN_ORDER}")


def test_validation_uses_the_import_checks_and_blocks_save(qtbot: Any,
                                                           window: MainWindow) -> None:
    editor = window.edit_record("orders", PLAIN_ORDER)
    cases = [("request_date", "2026-13-01", "is not a real date"),
             ("request_date", "tomorrow", "is not a date"),
             ("monthly_cost", "12.345", "fractions of a cent"),
             ("monthly_cost", "twelve", "is not an amount"),
             ("quantity", "2.5", "is not a whole number"),
             ("contractor", "", "Required."),
             ("delegation_id", "DL-NOPE", "No delegation DL-NOPE in the register."),
             ("exemption_id", "EX-NOPE", "No exemption EX-NOPE in the register.")]
    for name, text, message in cases:
        type_into(editor, name, text)
        problem = editor.problems().get(name, "")
        assert message in problem, (name, text, problem)
        assert editor.errors[name].isVisibleTo(editor)
        assert not editor.save_button.isEnabled()
        assert editor.inputs[name].field.label in editor.summary.text()
        editor.inputs[name].set(stored(window, "orders", PLAIN_ORDER)[name])  # type: ignore[index]
    assert editor.problems() == {} and editor.save_button.isEnabled()
    with qtbot.assertNotEmitted(window.session.changed, wait=50):
        editor.cancel_button.click()
    assert len(history(window, "orders", PLAIN_ORDER)) == 1


def test_pickers_search_and_set_references(qtbot: Any, window: MainWindow) -> None:
    editor = window.edit_record("orders", PLAIN_ORDER)
    picker = editor.inputs["delegation_id"]
    assert isinstance(picker, ReferenceInput)
    completer = picker.combo.completer()
    completer.setCompletionPrefix("gd-2025")  # typing searches keys and titles
    assert completer.completionCount() == 3
    index = picker.combo.findData("GD-2025-02")
    assert " — " in picker.combo.itemText(index)  # the key with its title
    picker.combo.setCurrentIndex(index)
    assert picker.raw() == "GD-2025-02" and editor.problems() == {}
    type_into(editor, "exemption_id", "EX-2024-01")  # a key typed as is
    save(qtbot, editor)
    record = stored(window, "orders", PLAIN_ORDER)
    assert record and (record["delegation_id"], record["exemption_id"]) == (
        "GD-2025-02", "EX-2024-01")
    # an exemption's general delegation and an outside contract's exemption: pickers too
    ex = RecordEditor(window.session, EXEMPTIONS, None, "new", window)
    assert isinstance(ex.inputs["general_delegation_id"], ReferenceInput)
    outside = RecordEditor(window.session, KINDS["outside-contracts"], None, "new", window)
    assert isinstance(outside.inputs["exemption_id"], ReferenceInput)


def test_dates_pick_from_a_calendar_or_stay_empty(qtbot: Any, window: MainWindow) -> None:
    editor = window.edit_record("orders", PLAIN_ORDER)
    completed = editor.inputs["completed_on"]
    assert isinstance(completed, DateInput)
    completed.line.clear()
    assert editor.values["completed_on"] is None and editor.problems() == {}
    from PySide6.QtCore import QDate

    completed.calendar.clicked.emit(QDate(2026, 2, 3))
    assert completed.raw() == "02/03/2026" and editor.values["completed_on"] == "2026-02-03"


def test_the_ladder_override_is_saved_with_the_record(qtbot: Any, open_window: Any) -> None:
    window = open_window(60, agency_class="non-state")  # a non-state agency signs ATOs
    assert "reminder_ladder" not in RecordEditor(window.session, ORDERS, PLAIN_ORDER).errors
    with Register.open(window.session.root) as reg:
        ato = min(d.key for d in deadlines(reg, demo.AS_OF) if d.record_kind == "atos")
    editor = window.edit_record("atos", ato)
    assert "reminder_ladder" in editor.errors
    assert editor.ladder.placeholderText().startswith("the default for atos:")
    editor.ladder.setText("soon")
    assert "is not a list of days" in editor.problems()["reminder_ladder"]
    assert not editor.save_button.isEnabled()
    editor.ladder.setText("30, 7; 120")
    save(qtbot, editor)
    with Register.open(window.session.root) as reg:
        found = [d for d in deadlines(reg, demo.AS_OF) if d.key == ato]
    assert found and all(d.ladder == (120, 30, 7) for d in found)
    again = window.edit_record("atos", ato)
    assert again.ladder.text() == "120,30,7"
    again.ladder.clear()  # back to the kind's ladder
    save(qtbot, again)
    with Register.open(window.session.root) as reg:
        found = [d for d in deadlines(reg, demo.AS_OF) if d.key == ato]
    assert found and all(d.ladder != (120, 30, 7) for d in found)


def test_undo_writes_the_previous_values_back(qtbot: Any, window: MainWindow) -> None:
    assert not window.undo_action.isEnabled()
    editor = window.edit_record("orders", PLAIN_ORDER)
    type_into(editor, "city", "Fresno")
    save(qtbot, editor)
    assert window.undo_action.isEnabled()
    assert window.undo_action.shortcut().toString() == "Ctrl+Z"
    with qtbot.waitSignal(window.session.changed, timeout=10000):
        window.undo_action.trigger()
    record = stored(window, "orders", PLAIN_ORDER)
    assert record and record["city"] == "Los Angeles"
    last = history(window, "orders", PLAIN_ORDER)[-1]
    assert last["reason"] == f"undo: edit of order {PLAIN_ORDER}"
    assert last["changes"] == {"city": ["Fresno", "Los Angeles"]}
    assert not window.undo_action.isEnabled()  # only the last save, once


def test_undo_of_a_new_record_deletes_it(qtbot: Any, window: MainWindow) -> None:
    editor = window.edit_record("atos", "", "new")
    type_into(editor, "ato_id", "ATO-NEW")
    type_into(editor, "contractor", "AT&T")
    type_into(editor, "services", "voice; data")
    editor.ladder.setText("10")
    save(qtbot, editor)
    assert stored(window, "atos", "ATO-NEW")["services"] == ["voice", "data"]  # type: ignore[index]
    with qtbot.waitSignal(window.session.changed, timeout=10000):
        window.undo_last_save()
    assert stored(window, "atos", "ATO-NEW") is None
    last = history(window, "atos", "ATO-NEW")[-1]
    assert (last["action"], last["reason"]) == ("delete", "undo")
    assert history(window, "reminder-ladders", "atos:ATO-NEW")[-1]["action"] == "delete"


def test_undo_is_refused_when_the_record_changed_since(
        qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(messages_mod, "show_error",
                        lambda parent, title, message, details="": shown.append(message))
    editor = window.edit_record("orders", PLAIN_ORDER)
    type_into(editor, "city", "Fresno")
    save(qtbot, editor)

    def elsewhere(reg: Register, progress: Any, cancelled: Any) -> None:
        with reg.transaction("someone else") as tx:
            tx.put(ORDERS, {"request_number": PLAIN_ORDER, "zip": "93650"})

    done: list[object] = []
    window.session.writer.submit(elsewhere, done.append, lambda m, d: done.append(m))  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: bool(done), timeout=10000)
    window.undo_last_save()
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    assert "changed since that save; it was not undone" in shown[0]
    record = stored(window, "orders", PLAIN_ORDER)
    assert record and (record["city"], record["zip"]) == ("Fresno", "93650")
    assert not window.undo_action.isEnabled()


def test_a_stale_editor_does_not_overwrite_a_newer_change(qtbot: Any,
                                                          window: MainWindow) -> None:
    editor = window.edit_record("orders", PLAIN_ORDER)
    other = RecordEditor(window.session, ORDERS, PLAIN_ORDER, "edit", window)
    type_into(other, "zip", "93650")
    save(qtbot, other)
    type_into(editor, "city", "Fresno")
    editor.save_button.click()
    qtbot.waitUntil(lambda: editor.summary.text().startswith("Not saved:"), timeout=10000)
    assert "changed elsewhere" in editor.summary.text()
    assert stored(window, "orders", PLAIN_ORDER)["city"] == "Los Angeles"  # type: ignore[index]


def test_request_completeness_is_live_and_the_packet_is_kept_with_the_documents(
        qtbot: Any, open_window: Any) -> None:
    """Issue 16 item 11: one click in the editor saves a changed form, makes the packet,
    keeps the PDF with the record's documents (in the history) and offers to open it."""
    from calnet_desk.store.documents import document_path, documents_of

    window = open_window(60, record_opened=True)
    editor = window.edit_record("exemptions", "EX-2026-01")
    assert editor.missing is not None and editor.packet_button is not None
    before = [editor.missing.item(i).text() for i in range(editor.missing.count())]
    assert len(before) == 2 and all("(STMM 501.0)" in t for t in before)
    assert "2 element(s) missing" in editor.completeness.text()
    assert editor.packet_button.text() == "&Generate request packet"
    type_into(editor, "early_termination", "None after month 12")
    assert editor.missing.count() == 1  # live, before saving
    assert editor.packet_button.isEnabled()  # no save, reopen, generate: one click
    assert editor.packet_button.text() == "Save and &generate request packet"
    assert "Saves the record first" in editor.packet_note.text()
    editor.packet_button.click()
    qtbot.waitUntil(lambda: getattr(window, "packet_box", None) is not None
                    and window.packet_box.isVisible(), timeout=30000)
    box = window.packet_box
    assert mnemonic_problems(box) == []
    assert [b.text() for b in box.buttons()] == ["&Open", "&Close"]
    from shiboken6 import isValid

    assert not isValid(editor) or not editor.isVisible()  # saved and closed, as Save does
    assert "exemption-EX-2026-01-request.pdf" in box.text()
    assert "is kept with exemption EX-2026-01's documents" in box.text()
    assert "1 element(s) marked missing" in box.text()
    record = stored(window, "exemptions", "EX-2026-01")
    assert record is not None and record["early_termination"] == "None after month 12"
    with Register.open(window.session.root) as reg:
        kept = [d for d in documents_of(reg, KINDS["exemptions"], "EX-2026-01")
                if d.name == "exemption-EX-2026-01-request.pdf"]
        assert len(kept) == 1
        assert document_path(reg.paths, kept[0].sha256).read_bytes().startswith(b"%PDF")
        reasons = [e["reason"] for e in reg.history()]
        assert "request packet for exemption EX-2026-01" in reasons
    open_button = next(b for b in box.buttons() if b.text() == "&Open")
    open_button.click()
    assert len(window.opened_files) == 1
    assert window.opened_files[0].read_bytes().startswith(b"%PDF")
    # a saved form makes it straight away (a packet made again is kept as another version)
    again = window.edit_record("exemptions", "EX-2026-01")
    assert again.packet_button.text() == "&Generate request packet"
    again.packet_button.click()
    qtbot.waitUntil(lambda: "is kept with" in again.packet_note.text(), timeout=30000)
    assert again.isVisible()
    with Register.open(window.session.root) as reg:
        packets = [d for d in documents_of(reg, KINDS["exemptions"], "EX-2026-01")
                   if d.name == "exemption-EX-2026-01-request.pdf"]
        assert 1 <= len(packets) <= 2 and len({d.sha256 for d in packets}) == len(packets)
    window.packet_box.close()
    again.reject()
    delegation = window.edit_record("delegations", "GD-2026-01")
    assert delegation.missing is not None and delegation.packet_button is not None
    delegation.reject()
    new = RecordEditor(window.session, EXEMPTIONS, None, "new", window)
    assert new.packet_button is not None and new.packet_button.isEnabled()
    assert new.packet_button.text() == "Save and &generate request packet"
    assert new.missing is not None and new.missing.count() > 3


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_focusable_editor_widget_has_an_accessible_name(
        qtbot: Any, window: MainWindow, kind: str) -> None:
    editor = RecordEditor(window.session, KINDS[kind], None, "new", window)
    qtbot.addWidget(editor)
    editor.show()
    unnamed = [f"{type(w).__name__} {w.objectName()}" for w in focus_chain(editor)
               if w.isVisibleTo(editor) and w.focusPolicy() != Qt.FocusPolicy.NoFocus
               and w.isEnabled() and not w.accessibleName()
               and not (hasattr(w, "text") and callable(w.text) and w.text())]
    assert unnamed == []
    # the tab order follows the fields, then Save and Cancel
    names = [w.accessibleName() for w in focus_chain(editor)
             if w.isVisibleTo(editor) and w.focusPolicy() & Qt.FocusPolicy.TabFocus]
    labels = [f.label for f in KINDS[kind].fields]
    shown = [n for n in names if n in labels]
    assert list(dict.fromkeys(shown)) == labels
    assert names.index("Cancel without saving") > names.index(labels[-1])
    for f in KINDS[kind].fields:  # help and citation on hover and What's This
        if f.citation:
            assert f"Source: {f.citation}" in editor.inputs[f.name].focus.whatsThis()
    keys = [t[t.index("&") + 1].lower() for t in (lb.text() for lb in editor.labels.values())
            if "&" in t]  # mnemonics: unique, as many as the alphabet allows
    assert len(keys) == len(set(keys)) >= min(len(editor.labels), 16)


def test_the_editor_renders(qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    """CALNET_DESK_SCREENSHOTS=1 also writes docs/screenshots/editor-exemption.png."""
    for kind, key in (("orders", PLAIN_ORDER), ("exemptions", "EX-2026-01")):
        editor = window.edit_record(kind, key)
        if kind == "exemptions":  # one inline message, as a person would see it
            type_into(editor, "contract_length_months", "four years")
        qtbot.waitExposed(editor)
        QApplication.processEvents()  # let the layout settle before the picture
        image = editor.grab()
        assert not image.isNull() and image.width() > 400
        assert image.save(str(tmp_path / f"editor-{kind}.png"))
        if kind == "exemptions" and os.environ.get("CALNET_DESK_SCREENSHOTS"):
            image.save(str(SHOTS / "editor-exemption.png"))
        editor.reject()


def test_read_only_sessions_offer_no_editing(qtbot: Any, tmp_path: Path) -> None:
    root = tmp_path / "ro"
    demo.create_demo(root, orders=5).close()
    session = Session(root, read_only=True)
    win = MainWindow(session, Settings(tmp_path / "s.ini"))
    qtbot.addWidget(win)
    page = win.pages["orders"]
    win.open_record("orders", page.model.keys[0] if page.model.ready else
                    sorted(session.reader.keys(ORDERS))[0])
    assert not page.new_button.isEnabled() and not page.edit_button.isEnabled()
    win.close()
