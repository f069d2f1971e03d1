"""The desktop a coordinator keeps open all day (issue 16): driven by keyboard and mouse as a
person would, headless, never sleeping."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from helpers import all_dialogs, focus_chain, mnemonic_problems
from PySide6 import QtWidgets
from PySide6.QtCore import QLocale, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
)

from ui.editors import record_editor
from ui.main_window import MainWindow
from ui.models import KEY_ROLE

CTRL = Qt.KeyboardModifier.ControlModifier
REAL_ASK_UNSAVED = record_editor.ask_unsaved  # (conftest answers Discard in the tests)


def _active(qtbot: Any, win: MainWindow) -> None:
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)


def _click_row(qtbot: Any, table: Any, row: int) -> None:
    rect = table.visualRect(table.model().index(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


# --- 1: the search box keeps what is typed while a row is selected ------------------------------

@pytest.mark.parametrize(("kind", "found"), [("exemptions", False), ("orders", True)])
def test_typing_in_the_search_box_with_a_row_selected_keeps_every_character(
        qtbot: Any, open_window: Any, kind: str, found: bool) -> None:
    win = open_window(60)
    _active(qtbot, win)
    win.show_page(kind)
    page = win.pages[kind]
    qtbot.waitUntil(lambda: page.model.rowCount() > 1)
    _click_row(qtbot, page.table, 0)
    assert page.selected_key() is not None
    qtbot.keyClick(page.table, Qt.Key.Key_F, CTRL)
    assert QApplication.focusWidget() is page.search
    qtbot.keyClick(page.search, Qt.Key.Key_A, CTRL)
    qtbot.keyClick(page.search, Qt.Key.Key_Delete)
    for ch in "Victorville":
        qtbot.keyClicks(page.search, ch)
        QApplication.processEvents()  # the filter runs between keystrokes, as at normal speed
        assert page.search.text().endswith(ch)
    assert page.search.text() == "Victorville"
    qtbot.waitUntil(lambda: page.model.query.text == "Victorville")
    assert (page.model.total() > 0) is found  # the demo has Victorville orders only
    if page.selected_key() is None:  # the selected record left the view: so did its view
        assert page.view.key in (None, "")


# --- 3: Ctrl+N is a blank New whatever is selected; Duplicate is its own command -----------------

def test_ctrl_n_with_a_row_selected_opens_a_blank_new_and_ctrl_d_duplicates(
        qtbot: Any, open_window: Any) -> None:
    win = open_window(60)
    _active(qtbot, win)
    win.show_page("orders")
    page = win.pages["orders"]
    qtbot.waitUntil(lambda: page.model.rowCount() > 1)
    _click_row(qtbot, page.table, 0)
    key = page.selected_key()
    assert key
    qtbot.keyClick(page.table, Qt.Key.Key_N, CTRL)
    editor = win.editor
    assert editor.mode == "new" and editor.windowTitle() == "New order"
    assert editor.inputs["request_number"].raw() == ""
    assert editor.inputs["contractor"].raw() in ("", None)
    editor.reject()  # unchanged: closes without asking
    qtbot.waitUntil(lambda: not editor.isVisible())
    qtbot.keyClick(page.table, Qt.Key.Key_D, CTRL)
    copy = win.editor
    assert copy is not editor and copy.mode == "duplicate"
    assert copy.windowTitle() == f"Duplicate of order {key}"
    assert copy.inputs["request_number"].raw() == ""  # a copy needs its own key
    assert copy.inputs["contractor"].raw() == page.session.reader.get(
        page.kind, key)["contractor"]
    copy.reject()


# --- 12: mnemonics, tab order -------------------------------------------------------------------

def test_no_two_controls_of_a_dialog_share_a_mnemonic(qtbot: Any, open_window: Any,
                                                      tmp_path: Path) -> None:
    win = open_window(60)
    problems = []
    walked = 0
    for what, dialog in all_dialogs(qtbot, win, tmp_path):
        walked += 1
        problems += [f"{what}: {p}" for p in mnemonic_problems(dialog)]
    for row in range(win.nav.count()):  # the main window with each page, menus included
        win.nav.setCurrentRow(row)
        problems += [f"main window, {win.nav.item(row).text()}: {p}"
                     for p in mnemonic_problems(win)]
    assert walked >= 20
    assert problems == [], "\n".join(problems)


def test_the_mnemonic_check_catches_a_shared_letter_and_a_literal_ampersand(
        qtbot: Any) -> None:
    dialog = QDialog()
    qtbot.addWidget(dialog)
    form = QFormLayout(dialog)
    form.addRow("Agency &name:", QLineEdit(dialog))
    form.addRow(QPushButton("&Next >", dialog))
    loose = QLabel("Default &export folder:", dialog)
    form.addRow(loose)
    dialog.show()
    assert mnemonic_problems(dialog) == [
        "label 'Default &export folder:' shows its '&': it has no buddy",
        "Alt+N is shared by label 'Agency &name:', button '&Next >'"]


def test_every_message_box_with_buttons_of_its_own_gives_each_its_own_letter(
        qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The walk above covers dialogs; these are the message boxes built with buttons of
    their own (the ways out of a register that cannot be opened, a draft left behind,
    unsaved changes, no viewer): every button has an Alt+letter and no two share one."""
    from helpers import mnemonic_of
    from PySide6.QtWidgets import QMessageBox

    from ui import controller
    from ui.messages import no_viewer

    problems: list[str] = []
    boxes: list[str] = []

    def check(box: QMessageBox) -> None:
        box.show()
        qtbot.waitUntil(box.isVisible)
        boxes.append(box.windowTitle())
        problems.extend(f"{box.windowTitle()}: {p}" for p in mnemonic_problems(box))
        problems.extend(f"{box.windowTitle()}: button {b.text()!r} has no Alt+letter"
                        for b in box.buttons() if not mnemonic_of(b.text()))
        box.hide()

    monkeypatch.setattr(QMessageBox, "exec", lambda box: check(box) or 0)
    # every way out at once: if they all differ, so does any box that offers some of them
    assert controller.choose(None, "The register is damaged", "Damage.", [
        controller.KEEP_READING, controller.RESTORE, controller.READ_ONLY, controller.OTHER,
        controller.QUIT]) == controller.QUIT  # closed without a choice: Quit
    controller.choose(None, "Unsaved changes", "A draft.", [
        controller.RESTORE_DRAFT, controller.DISCARD_DRAFT, controller.LATER])
    editor = QDialog()
    qtbot.addWidget(editor)
    editor.setWindowTitle("New order")
    assert REAL_ASK_UNSAVED(editor) == record_editor.KEEP
    copy = tmp_path / "scan.pdf"
    copy.write_bytes(b"%PDF-1.4")
    check(no_viewer(editor, "No program.", copy, lambda p: None))
    assert boxes == ["The register is damaged", "Unsaved changes", "Unsaved changes",
                     "No program to open it"]
    assert problems == [], "\n".join(problems)


def test_tab_goes_from_the_search_box_to_the_results_then_the_buttons(
        qtbot: Any, open_window: Any) -> None:
    win = open_window(60)
    _active(qtbot, win)
    win.show_page("orders")
    page = win.pages["orders"]
    page.search.setFocus()
    qtbot.keyClick(page.search, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is page.table
    order = focus_chain(page)
    assert order.index(page.table) < order.index(page.new_button) < order.index(
        page.delete_button)


def test_the_focus_ring_is_two_pixels_of_the_highlight_colour(qtbot: Any) -> None:
    """The app's focus ring (ui.style) goes round whichever widget has the focus, two
    pixels of the highlight colour, and leaves it when the focus moves on."""
    from ui import style

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    dialog = QDialog()
    qtbot.addWidget(dialog)
    form = QFormLayout(dialog)
    widgets = [QPushButton("&Go", dialog), QLineEdit("text", dialog), QComboBox(dialog),
               QCheckBox("&Tick", dialog), QDateEdit(dialog)]
    for w in widgets:
        form.addRow(w)
    style.show_focus(app)
    try:
        dialog.show()
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow)
        highlight = dialog.palette().highlight().color().rgb()

        def ringed(w: Any) -> bool:  # two pixels above and below it, left and right of it
            image = dialog.grab().toImage()
            g = w.geometry()
            mid_x, mid_y = g.center().x(), g.center().y()
            return all(image.pixel(x, y) == highlight for d in (1, 2) for x, y in (
                (mid_x, g.top() - d), (mid_x, g.bottom() + d),
                (g.left() - d, mid_y), (g.right() + d, mid_y)))

        for w in widgets:
            other = widgets[0] if w is not widgets[0] else widgets[1]
            other.setFocus()
            qtbot.waitUntil(other.hasFocus)
            assert not ringed(w), type(w).__name__
            w.setFocus()
            qtbot.waitUntil(w.hasFocus)
            assert ringed(w), type(w).__name__
        dialog.setFocus()  # the window itself: no ring anywhere
        qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog)
        assert not any(ringed(w) for w in widgets)
    finally:
        style.hide_focus(app)


def _ring_cut_off(window: Any) -> list[str]:
    """Controls whose focus ring would be cut: the ring (a QFocusFrame) is a child of the
    control's parent, drawn FOCUS_WIDTH pixels round the control, so a control flush with
    its parent's edge showed its ring on its free sides only."""
    from ui.style import FOCUS_WIDTH

    cut = []
    for w in window.findChildren(QtWidgets.QWidget):
        if (w.window() is not window or not w.isVisibleTo(window)
                or w.focusPolicy() == Qt.FocusPolicy.NoFocus):
            continue
        parent = w.parentWidget()
        ring = w.geometry().adjusted(-FOCUS_WIDTH, -FOCUS_WIDTH, FOCUS_WIDTH, FOCUS_WIDTH)
        if isinstance(parent, QtWidgets.QAbstractScrollArea):
            continue  # a scroll area's own parts (its viewport, bars)
        area = parent.parentWidget() if parent is not None else None
        if isinstance(area, QtWidgets.QAbstractScrollArea) and parent is area.viewport():
            continue  # in a table's cell: the visible part of the list clips it, rightly
        if parent is not None and not parent.rect().contains(ring):
            cut.append(f"{type(w).__name__} {w.accessibleName() or w.objectName()!r} "
                       f"at {w.geometry().getRect()} in {type(parent).__name__} "
                       f"{parent.objectName()!r} {parent.rect().getRect()}")
    return cut


def test_every_controls_focus_ring_is_whole(qtbot: Any, open_window: Any,
                                            tmp_path: Path) -> None:
    """Round the navigation list, a page's table, record view and documents, the billing
    page's lists: the ring has its two pixels on every side (not on the side that touched
    the splitter's or panel's edge)."""
    win = open_window(60, overview=True)
    win.resize(1200, 800)
    problems = []
    for row in range(win.nav.count()):
        win.nav.setCurrentRow(row)
        QApplication.processEvents()
        problems += [f"{win.nav.item(row).text()}: {p}" for p in _ring_cut_off(win)]
    for what, dialog in all_dialogs(qtbot, win, tmp_path):
        problems += [f"{what}: {p}" for p in _ring_cut_off(dialog)]
    assert problems == [], "\n".join(sorted(set(problems)))


# --- 13: no viewer installed; search on the Documents page --------------------------------------

def _no_xdg_open(argv: Any) -> None:
    raise FileNotFoundError(2, "No such file or directory", argv[0])  # what Popen raises


def test_documents_page_search_selects_a_single_hit_and_a_missing_viewer_is_explained(
        qtbot: Any, open_window: Any) -> None:
    from calnet_desk.system import open_with_viewer

    win = open_window(60)
    revealed: list[Path] = []
    win.open_file = lambda p: open_with_viewer(p, platform="linux", popen=_no_xdg_open)
    win.reveal = revealed.append
    _active(qtbot, win)
    qtbot.keyClick(win.nav, Qt.Key.Key_F, CTRL)  # Ctrl+F on the Documents page: its search
    win.show_page("documents")
    page = win.documents
    qtbot.waitUntil(lambda: page.model.rowCount() > 1)
    total = page.model.rowCount()
    qtbot.keyClick(win.nav, Qt.Key.Key_F, CTRL)
    assert QApplication.focusWidget() is page.search
    qtbot.keyClicks(page.search, "cd-2021-02 delegation")
    assert page.shown.rowCount() == 1
    assert page.count.text() == f"1 of {total:,} document(s)"
    assert page.selected_sha() is not None  # the single hit is selected
    page.open_button.click()
    box = win.viewer_message
    qtbot.waitUntil(box.isVisible)
    assert "Errno" not in box.text() and "xdg-open is not installed" in box.text()
    assert box.text().startswith("This computer has no program set up to open .pdf files, "
                                 "so Delegation request CD-2021-02.pdf could not be opened")
    show = next(b for b in box.buttons() if b.text() == "Show in &folder")
    show.click()
    assert len(revealed) == 1 and revealed[0].name == "Delegation request CD-2021-02.pdf"
    assert revealed[0].is_file()
    page.search.clear()
    assert page.shown.rowCount() == total and page.count.text() == f"{total:,} document(s)"


def test_show_in_folder_without_any_file_manager_copies_the_path(
        qtbot: Any, tmp_path: Path) -> None:
    from calnet_desk.system import NoViewer, show_in_folder
    from ui.messages import no_viewer

    parent = QDialog()
    qtbot.addWidget(parent)
    copy = tmp_path / "scan.pdf"
    copy.write_bytes(b"%PDF-1.4")
    box = no_viewer(parent, "No program.", copy,
                    lambda p: show_in_folder(p, platform="linux", popen=_no_xdg_open))
    qtbot.waitUntil(box.isVisible)
    next(b for b in box.buttons() if b.text() == "Show in &folder").click()
    qtbot.waitUntil(box.isVisible)  # still up, saying what happened
    assert "gio is not installed" in box.informativeText()
    assert QApplication.clipboard().text() == str(copy)
    with pytest.raises(NoViewer, match="No file manager could be started"):
        show_in_folder(copy, platform="linux", popen=_no_xdg_open)


@pytest.mark.parametrize(("platform", "argv"), [
    ("win32", ["explorer", "/select,{path}"]), ("darwin", ["open", "-R", "{path}"]),
    ("linux", ["xdg-open", "{folder}"])])
def test_show_in_folder_per_system(platform: str, argv: list[str], tmp_path: Path) -> None:
    from calnet_desk.system import show_in_folder

    path = tmp_path / "a.pdf"
    calls: list[list[str]] = []
    show_in_folder(path, platform=platform, popen=lambda a: calls.append(list(a)))
    assert calls == [[a.format(path=path, folder=tmp_path) for a in argv]]


def test_windows_without_an_associated_program_says_so(tmp_path: Path) -> None:
    from calnet_desk.system import NoViewer, open_with_viewer

    def startfile(path: str) -> None:
        raise OSError(22, "No application is associated with the specified file for this "
                      "operation")

    with pytest.raises(NoViewer) as caught:
        open_with_viewer(tmp_path / "scan.tif", platform="win32", startfile=startfile)
    assert str(caught.value) == (
        "This computer has no program set up to open .tif files, so scan.tif could not be "
        "opened (No application is associated with the specified file for this operation).")


# --- 10: the history in local time with its zone -------------------------------------------------

PST = dt.timezone(dt.timedelta(hours=-8), "PST")


def test_a_utc_moment_is_shown_in_local_time_with_its_zone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import formatting

    monkeypatch.setattr(formatting, "time_zone", PST)
    us = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    # 06:30 UTC on the 21st is the evening before in California
    shown = formatting.show_moment("2026-11-21T06:30:00Z", us)
    assert shown.startswith("11/20/2026 10:30") and shown.endswith("PM PST (UTC−08:00)")
    assert formatting.show_moment("2026-11-21T06:30:00+00:00", us) == shown
    monkeypatch.setattr(formatting, "time_zone", dt.timezone(dt.timedelta(hours=5, minutes=30)))
    assert formatting.show_moment("2026-11-21T06:30:00Z", us).endswith(" UTC+05:30")


def test_the_record_view_shows_its_history_in_local_time(
        qtbot: Any, open_window: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import formatting

    monkeypatch.setattr(formatting, "time_zone", PST)
    win = open_window(60)
    _active(qtbot, win)
    win.show_page("orders")
    page = win.pages["orders"]
    qtbot.waitUntil(lambda: page.model.rowCount() > 0)
    _click_row(qtbot, page.table, 0)
    key = page.selected_key()
    kept = page.session.reader.history("orders", key)[-1]["at"]  # UTC, as kept
    assert kept.endswith("Z")
    text = page.view.toPlainText()  # the document turns narrow no-break spaces into spaces
    shown = formatting.show_moment(kept).replace("\u202f", " ").replace("\xa0", " ")
    assert shown in text and shown.endswith("PST (UTC−08:00)")
    assert " UTC ·" not in text


# --- 8: the import wizard: the wheel, honest counts, a future completed-on ---------------------

def _wheel(widget: Any, steps: int = -1) -> None:
    """One notch of the mouse wheel over the middle of ``widget`` (down when negative)."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(widget.rect().center())),
                        QPoint(), QPoint(0, 120 * steps), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_the_wheel_over_the_mapping_scrolls_and_changes_no_drop_down(
        qtbot: Any, open_window: Any, tmp_path: Path) -> None:
    win = open_window(20)
    columns = ["Req #", "Req date", "Type"] + [f"Note {n}" for n in range(30)]
    sheet = tmp_path / "wide.csv"
    sheet.write_text(",".join(columns) + "\nA-1,2026-01-02,new" + ",x" * 30 + "\n",
                     encoding="utf-8")
    wizard = win.open_import_wizard(sheet, "orders")
    qtbot.waitUntil(wizard.isVisible)
    wizard.next()
    page = wizard.mapping_page
    before = [c.currentData() for c in page.combos]
    bar = page.table.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == 0
    for combo in page.combos[:3]:
        _wheel(combo)
    assert [c.currentData() for c in page.combos] == before  # nothing changed
    assert bar.value() > 0  # the list scrolled instead
    # focused (clicked or tabbed into), the wheel does change the drop-down, on purpose
    combo = page.combos[0]
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    _wheel(combo)
    assert combo.currentData() != before[0]
    wizard.reject()


def test_the_dry_run_counts_rows_with_problems_and_warns_of_a_future_completion(
        qtbot: Any, open_window: Any, tmp_path: Path) -> None:
    win = open_window(20)  # today is the demo's 2026-10-30
    sheet = tmp_path / "orders.csv"
    sheet.write_text("Request number,Request date,Order type,Contractor,Completed on\n"
                     "B-1,2026-01-02,new,Zayo,2026-02-01\n"
                     "B-2,2026-13-01,sideways,Zayo,\n"  # two problems in one row
                     "B-3,2026-01-04,new,Zayo,2062-01-04\n"  # 2062 for 2026
                     "B-4,2026-01-05,bogus,Zayo,\n", encoding="utf-8")
    wizard = win.open_import_wizard(sheet, "orders")
    qtbot.waitUntil(wizard.isVisible)
    wizard.next()
    wizard.next()
    with qtbot.waitSignal(wizard.check_page.checked, timeout=20000):
        wizard.next()
    check = wizard.check_page
    lines = [check.problems.item(i).text() for i in range(check.problems.count())]
    assert check.status.text().startswith("3 problem(s) in 2 row(s); 4 data row(s) read."), lines
    assert "Warning: orders.csv:4:Completed on: 2062-01-04 is after today (2026-10-30); " \
           "check the date" in lines
    assert "1 warning(s) listed below" in check.status.text()
    # corrected but for the year: importable, with the warning still said
    sheet.write_text("Request number,Request date,Order type,Contractor,Completed on\n"
                     "B-3,2026-01-04,new,Zayo,2062-01-04\n", encoding="utf-8")
    with qtbot.waitSignal(check.checked, timeout=20000):
        check.again.click()
    assert check.ok and "1 warning(s) listed below" in check.status.text()
    wizard.reject()


# --- 7: from the search box to the results by keyboard -----------------------------------------

def test_down_and_enter_go_from_the_search_box_to_the_results_and_a_single_hit_is_selected(
        qtbot: Any, open_window: Any) -> None:
    win = open_window(60)
    _active(qtbot, win)
    win.show_page("orders")
    page = win.pages["orders"]
    qtbot.waitUntil(lambda: page.model.rowCount() > 2)
    qtbot.keyClick(win.nav, Qt.Key.Key_F, CTRL)
    qtbot.keyClicks(page.search, "Victorville")  # two orders
    qtbot.waitUntil(lambda: page.model.query.text == "Victorville")
    assert page.model.total() == 2 and page.selected_key() is None
    qtbot.keyClick(page.search, Qt.Key.Key_Down)
    assert QApplication.focusWidget() is page.table
    assert page.selected_key() == page.model.keys[0]  # the first result, its record shown
    assert page.view.key == page.model.keys[0]
    qtbot.keyClick(page.table, Qt.Key.Key_F, CTRL)
    assert QApplication.focusWidget() is page.search
    key = page.model.keys[1]
    qtbot.keyClicks(page.search, key)  # Ctrl+F selected all: the key replaces it
    qtbot.waitUntil(lambda: page.model.query.text == key)
    assert page.model.total() == 1 and page.selected_key() == key  # a single hit: selected
    assert QApplication.focusWidget() is page.search  # ... while typing goes on
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is page.table
    qtbot.keyClick(page.table, Qt.Key.Key_Return)  # and Enter again opens it
    qtbot.waitUntil(lambda: getattr(win, "editor", None) is not None)
    assert win.editor.windowTitle() == f"Edit order {key}"
    win.editor.reject()


def test_down_and_enter_go_from_the_documents_search_to_what_it_found(
        qtbot: Any, open_window: Any) -> None:
    win = open_window(60)
    _active(qtbot, win)
    win.show_page("documents")
    page = win.documents
    qtbot.waitUntil(lambda: page.model.rowCount() > 2)
    qtbot.keyClick(win.nav, Qt.Key.Key_F, CTRL)
    qtbot.keyClicks(page.search, "delegation request")
    assert page.shown.rowCount() > 1 and page.selected_sha() is None
    qtbot.keyClick(page.search, Qt.Key.Key_Down)
    assert QApplication.focusWidget() is page.table
    assert page.selected_sha() == page.shown.index(0, 0).data(KEY_ROLE)  # the first found
    qtbot.keyClick(page.table, Qt.Key.Key_Down)  # on through the results
    second = page.selected_sha()
    assert second == page.shown.index(1, 0).data(KEY_ROLE)
    qtbot.keyClick(page.table, Qt.Key.Key_F, CTRL)
    assert QApplication.focusWidget() is page.search
    qtbot.keyClick(page.search, Qt.Key.Key_Return)  # Enter: back to the results, as left
    assert QApplication.focusWidget() is page.table and page.selected_sha() == second


def test_the_matched_column_comes_next_to_the_key_and_chosen_columns_are_remembered(
        qtbot: Any, open_window: Any, tmp_path: Path) -> None:
    from ui.main_window import MainWindow as Window
    from ui.session import Session
    from ui.settings import Settings

    win = open_window(60)
    _active(qtbot, win)
    win.show_page("orders")
    page = win.pages["orders"]
    qtbot.waitUntil(lambda: page.model.rowCount() > 2)
    header = page.table.horizontalHeader()
    fields = [f.name for f in page.kind.fields]
    city, contractor = fields.index("city"), fields.index("contractor")
    layout = [header.logicalIndex(v) for v in range(header.count())]
    # the column chooser: untick Contractor
    menu = page.column_menu()
    action = next(a for a in menu.actions() if a.text() == "Contractor")
    assert action.isChecked() and not next(a for a in menu.actions()
                                           if a.text() == "Request number").isEnabled()
    action.trigger()
    assert header.isSectionHidden(contractor)
    # a search shows where it matched: City moves next to the key (4 orders in Alturas,
    # and one more whose description names it: City, where most rows matched, comes first)
    qtbot.keyClicks(page.search, "Alturas")
    qtbot.waitUntil(lambda: page.model.query.text == "Alturas")
    assert page.matched == ["City", "Description"]
    assert page.matched[0] == "City" and not header.isSectionHidden(city)
    assert header.visualIndex(city) == 1  # right after the key: most rows matched there
    assert page.count.toolTip() == "Matched in: " + ", ".join(page.matched)
    page.search.clear()
    qtbot.waitUntil(lambda: page.model.query.text == "")
    assert [header.logicalIndex(v) for v in range(header.count())] == layout
    assert header.isSectionHidden(contractor)  # the choice stays
    win.close()
    # the next start remembers it
    again = Window(Session(win.session.root), Settings(tmp_path / "settings.ini"))
    qtbot.addWidget(again)
    again.show()
    again.show_page("orders")
    other = again.pages["orders"]
    qtbot.waitUntil(lambda: other.model.rowCount() > 2)
    assert other.table.horizontalHeader().isSectionHidden(contractor)
    assert not other.table.horizontalHeader().isSectionHidden(city)
    again.close()


# --- 6: the window's size, place and splitters are remembered ----------------------------------

def test_the_window_size_and_splitters_are_remembered(qtbot: Any, open_window: Any,
                                                      tmp_path: Path) -> None:
    from PySide6.QtWidgets import QSplitter

    from ui.main_window import MainWindow as Window
    from ui.session import Session
    from ui.settings import Settings

    win = open_window(20)
    win.show_page("orders")
    win.resize(790, 560)  # within the test screen (800×600), every pane above its smallest width
    split = win.findChild(QSplitter, "orders-split")
    navigation = win.findChild(QSplitter, "navigation-split")
    qtbot.waitUntil(lambda: split.width() > 600)
    navigation.setSizes([130, navigation.width() - 130])
    split.setSizes([170, split.width() - 170])
    sizes = {s.objectName(): s.sizes() for s in (navigation, split)}
    assert sizes["navigation-split"][0] == 130
    assert 170 - split.handleWidth() <= sizes["orders-split"][0] <= 170
    win.close()
    again = Window(Session(win.session.root), Settings(tmp_path / "settings.ini"))
    qtbot.addWidget(again)
    again.show()
    again.show_page("orders")  # a page built after the window was shown
    assert again.size().width() == 790 and again.size().height() == 560
    # the panes come back at the widths left, not in proportion to a size not yet final
    qtbot.waitUntil(lambda: {name: again.findChild(QSplitter, name).sizes()
                             for name in sizes} == sizes)
    again.close()


def test_the_navigation_is_as_wide_as_its_counts_unless_its_width_was_chosen(
        qtbot: Any, open_window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 150 % "Orders (STD. 20) · 2,00" was cut (the counts come after the first paint,
    the width was set before): once they are in, the list is as wide as its longest entry,
    unless the person set the width (a drag, or one kept from the last session)."""
    from calnet_desk.store import browse
    from ui.main_window import MainWindow as Window
    from ui.session import Session
    from ui.settings import Settings

    real = browse.counts
    monkeypatch.setattr(browse, "counts", lambda reader, kinds: {
        k: n * 1000 + 100000 for k, n in real(reader, kinds).items()})
    win = open_window(20)
    win.resize(1000, 600)
    win.update_counts()
    assert win.nav.item(1).text() == "Orders (STD. 20) · 120,000"
    qtbot.waitUntil(lambda: win.nav.horizontalScrollBar().maximum() == 0)  # nothing cut
    wide = win.navigation.sizes()[0]
    win.navigation.splitterMoved.emit(90, 1)  # the person drags it narrower
    win.navigation.setSizes([90, 1000 - 90])
    win.update_counts()
    assert win.navigation.sizes()[0] < wide  # their choice stays
    win.close()
    again = Window(Session(win.session.root), Settings(tmp_path / "settings.ini"))
    qtbot.addWidget(again)
    again.show()
    again.update_counts()  # the width kept from the last session stays too
    assert again.navigation.sizes()[0] < wide
    again.close()


class _Framed(QDialog):
    """A window whose window manager adds a frame (title bar 20 px, borders) once it is
    shown, as a real one does on X11: frameGeometry() grows with the frame's arrival."""

    framed = False

    def frameGeometry(self) -> Any:  # read by ui.screen in place of Qt's own
        inner = self.geometry()
        return inner.adjusted(-1, -20, 1, 5) if self.framed else inner

    def move(self, to: Any) -> None:  # the frame's corner goes there, as with Qt's move
        platform_frame = super().geometry().topLeft() - super().frameGeometry().topLeft()
        super().move(to + (QPoint(1, 20) if self.framed else QPoint()) - platform_frame)


def test_a_window_is_fitted_again_once_its_frame_is_known(qtbot: Any) -> None:
    """A window made as tall as the screen before the window manager framed it lost its
    bottom 25 px (the status bar, an editor's Save and Cancel) under the title bar."""
    from PySide6.QtGui import QMoveEvent

    from ui import screen

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    screen.install(app)
    try:
        dialog = _Framed()
        qtbot.addWidget(dialog)
        available = dialog.screen().availableGeometry()
        dialog.resize(available.width() + 300, available.height() + 300)
        dialog.show()
        assert dialog.frameGeometry().size() == available.size()  # no frame yet: all of it
        dialog.framed = True  # the window manager framed it, then moved it: Qt says so
        QApplication.sendEvent(dialog, QMoveEvent(dialog.pos(), dialog.pos()))
        assert available.contains(dialog.frameGeometry()), dialog.frameGeometry()
        assert dialog.frameGeometry().height() == available.height()
        # once only: a window the user then moves partly off the screen stays there
        dialog.move(QPoint(available.x() - 100, available.y()))
        QApplication.sendEvent(dialog, QMoveEvent(dialog.pos(), dialog.pos()))
        assert dialog.frameGeometry().x() == available.x() - 100
    finally:
        screen.uninstall()


def test_the_main_window_is_fitted_with_its_frame_after_its_first_page(qtbot: Any) -> None:
    from PySide6.QtCore import Signal

    from ui import screen

    class Window(_Framed):
        shown = Signal()

    window = Window()
    qtbot.addWidget(window)
    available = window.screen().availableGeometry()
    window.resize(available.width() + 300, available.height() + 300)
    try:
        screen.show_main_window(window, window.shown)
        assert window.frameGeometry().size() == available.size()
        window.framed = True  # framed before its first page was painted
        window.shown.emit()
        qtbot.waitUntil(lambda: window.frameGeometry().height() == available.height())
        frame = window.frameGeometry()  # its title bar and bottom on the screen
        assert frame.top() >= available.top() and frame.bottom() <= available.bottom()
        assert frame.width() <= available.width()
    finally:
        screen.uninstall()


# --- 4: the dashboard shows what needs action first ---------------------------------------------

def _deadline(kind: str, key: str, days: int, status: str | None = None) -> Any:
    from calnet_desk.policy.deadlines import Deadline

    today = dt.date(2026, 10, 30)
    return Deadline(kind, "delegations", key, today + dt.timedelta(days=days), days,
                    status or ("overdue" if days < 0 else "due-soon"), "STMM 3-502.0",
                    f"{key} {kind}", (90, 30))


@pytest.mark.parametrize("older", [False, True])
def test_the_dashboards_columns_are_as_wide_as_qts_own_fit(
        qtbot: Any, open_window: Any, older: bool) -> None:
    """The dashboard fits its columns from the rows' texts (no call into Python per cell
    and role): the widths are those Qt's resizeColumnsToContents gives, bold overdue rows
    included."""
    from ui.pages.tables import SAMPLE_ROWS, text_widths
    from ui.session import Overview

    win = open_window(20)
    dash = win.dashboard
    due = [_deadline("delegation-timeframe-end", f"CD-20{n:02d}-01", -400 - 37 * n)
           for n in range(10, 20)] + [
        _deadline("exemption-term-end", "EX-1", 40), _deadline("ato-notice", "A-1", 5),
        _deadline("delegation-timeframe-end", "CD-2026-0001-LONG", -10)]
    dash.older.setChecked(older)
    win.session.overview_ready.emit(Overview(dt.date(2026, 10, 30), due, []))
    assert dash.deadline_model.urgent  # bold rows are measured bold
    for view, rows in ((dash.deadlines, dash.deadline_model),
                       (dash.findings, dash.finding_model)):
        ours = text_widths(view, rows)
        view.horizontalHeader().setResizeContentsPrecision(SAMPLE_ROWS)
        view.resizeColumnsToContents()
        assert ours == [view.columnWidth(c) for c in range(len(rows.headers))]


def test_the_dashboard_puts_due_soon_first_and_collapses_older_overdue(
        qtbot: Any, open_window: Any) -> None:
    from ui.session import Overview

    win = open_window(20)
    dash = win.dashboard
    old = [_deadline("delegation-timeframe-end", f"CD-20{n:02d}-01", -400 - n)
           for n in range(10, 20)]  # years overdue
    recent = _deadline("delegation-timeframe-end", "CD-2026-01", -10)
    soon = [_deadline("exemption-term-end", "EX-1", 40), _deadline("ato-notice", "A-1", 5)]
    win.session.overview_ready.emit(Overview(dt.date(2026, 10, 30), [*old, recent, *soon], []))
    keys = [d.key for d in dash.due]
    assert keys == ["A-1", "EX-1", "CD-2026-01"]  # soonest first, then recently overdue
    assert [dash.deadline_model.index(r, 1).data() for r in range(3)] == [
        "in 5 days", "in 40 days", "10 days ago"]
    assert dash.deadline_model.urgent == {2}  # overdue: bold, the error colour, its words
    assert dash.older.text() == "Show &older overdue (10)"
    assert dash.glance.text().startswith("11 overdue · 1 due within 30 days")
    dash.show()
    win.show_page("dashboard")
    qtbot.mouseClick(dash.older, Qt.MouseButton.LeftButton)  # the older ones, after the rest
    assert [d.key for d in dash.due][:3] == keys and len(dash.due) == 13
    assert dash.due[3].days_left == -410 and dash.due[-1].days_left == -419
    dash.deadline_kind.setCurrentIndex(dash.deadline_kind.findData("exemption-term-end"))
    assert [d.key for d in dash.due] == ["EX-1"]
    assert dash.deadline_kind.currentText() == "Exemption term end (1)"
    # the timeline counts each month's deadlines as text a screen reader can read
    assert dash.timeline.accessibleDescription().startswith(
        "Deadlines falling due per month: Oct 2026: 0; Nov 2026: 1; Dec 2026: 1;")


def test_the_dashboard_groups_filters_and_exports_findings(
        qtbot: Any, open_window: Any, tmp_path: Path) -> None:
    import csv

    win = open_window(60, overview=True)
    dash = win.dashboard
    every = list(dash.found)
    codes = [dash.code.itemText(i) for i in range(1, dash.code.count())]
    counts = [int(text.rsplit("(", 1)[1].rstrip(")")) for text in codes]
    assert sum(counts) == len(every) and counts == sorted(counts, reverse=True)
    dash.code.setCurrentIndex(1)  # the most frequent code
    assert len(dash.found) == counts[0] and len({f.code for f in dash.found}) == 1
    assert dash.finding_model.rowCount() == counts[0]
    win.show_page("dashboard")
    win.export_dashboard(tmp_path / "dash.csv")
    with open(tmp_path / "dash.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][0] == "Section"
    assert sum(1 for r in rows if r[0] == "Finding") == counts[0]
    assert sum(1 for r in rows if r[0] == "Deadline") == len(dash.due)


def test_findings_are_grouped_by_code_most_first_and_filtered_by_severity(
        qtbot: Any, open_window: Any) -> None:
    """Several codes (the demo as of its day has one): each in the Code list with its count,
    the most frequent first; Severity and Code narrow the table together."""
    from calnet_desk.policy.findings import Finding
    from ui.session import Overview

    def finding(code: str, severity: str, key: str) -> Finding:
        return Finding(code, severity, "orders", key, f"{code} on {key}", "STMM 3-502.0")

    every = ([finding("a-rare-one", "error", "O-1")]
             + [finding("m-often", "warning", f"O-{n}") for n in range(2, 6)]
             + [finding("z-middle", "error", f"O-{n}") for n in range(6, 8)]
             + [finding("z-middle", "warning", "O-8")])
    win = open_window(20)
    dash = win.dashboard
    win.session.overview_ready.emit(Overview(dt.date(2026, 10, 30), [], every))
    assert [dash.code.itemText(i) for i in range(dash.code.count())] == [
        "All findings", "M often (4)", "Z middle (3)", "A rare one (1)"]
    assert [dash.severity.itemText(i) for i in range(dash.severity.count())] == [
        "All severities", "Error (3)", "Warning (5)"]
    dash.severity.setCurrentIndex(dash.severity.findData("error"))
    assert sorted(f.key for f in dash.found) == ["O-1", "O-6", "O-7"]
    dash.code.setCurrentIndex(dash.code.findData("z-middle"))
    assert sorted(f.key for f in dash.found) == ["O-6", "O-7"]
    assert dash.finding_model.rowCount() == 2


def test_a_few_deadlines_leave_the_room_to_the_findings(qtbot: Any, open_window: Any) -> None:
    """The deadlines table is as tall as its rows while they are few (on a laptop at 150 %
    the findings had two rows beside blank deadline rows); with many, the layout decides."""
    from ui.pages.dashboard import DEADLINE_ROWS_FITTED

    win = open_window(60, overview=True)
    win.show_page("dashboard")
    dash = win.dashboard
    table = dash.deadlines
    rows = dash.deadline_model.rowCount()
    assert 0 < rows <= DEADLINE_ROWS_FITTED
    needed = (table.horizontalHeader().sizeHint().height()
              + sum(table.rowHeight(r) for r in range(rows))
              + table.horizontalScrollBar().sizeHint().height() + 2 * table.frameWidth())
    assert table.maximumHeight() == needed
    qtbot.waitUntil(lambda: table.height() <= needed)
    assert dash.findings.height() > table.height()
    # rows are a line of text with some air, not Fusion's near two lines
    assert table.rowHeight(0) == table.fontMetrics().height() * 3 // 2


def test_many_deadlines_are_not_capped(qtbot: Any) -> None:
    from ui.models import RowsModel
    from ui.pages.tables import QWIDGETSIZE_MAX, fit_height, table_view

    table = table_view("Deadlines", None)  # type: ignore[arg-type]
    qtbot.addWidget(table)
    model = RowsModel(["Date"], table)
    model.set_rows([[str(n)] for n in range(20)], [("orders", str(n)) for n in range(20)],
                   ["" for _ in range(20)])
    table.setModel(model)
    fit_height(table, 3, 8)
    assert table.maximumHeight() < QWIDGETSIZE_MAX
    fit_height(table, 20, 8)
    assert table.maximumHeight() == QWIDGETSIZE_MAX


def test_acknowledge_takes_every_selected_deadline(qtbot: Any, open_window: Any) -> None:
    win = open_window(60, overview=True)
    _active(qtbot, win)
    win.show_page("dashboard")
    dash = win.dashboard
    assert len(dash.due) >= 2
    table = dash.deadlines
    _click_row(qtbot, table, 0)
    rect = table.visualRect(table.model().index(1, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, CTRL, rect.center())
    assert len(dash.deadline_actions.selected_all()) == 2
    chosen = {(d.key, d.kind) for d in dash.deadline_actions.selected_all()}
    dash.deadline_actions.ack_button.click()
    qtbot.waitUntil(lambda: sum(1 for d in dash.due if d.status == "acknowledged") == 2,
                    timeout=20000)
    assert {(d.key, d.kind) for d in dash.due if d.status == "acknowledged"} == chosen
    assert "Acknowledged 2 deadlines" in dash.deadline_actions.note.text()
    # one change: Edit > Undo names it and takes both back in one step
    assert win.undo_action.isEnabled()
    assert win.undo_action.text() == "&Undo acknowledging 2 deadlines"
    entries = win.session.reader.newest_entry_id()
    win.undo_action.trigger()
    qtbot.waitUntil(lambda: not any(d.status == "acknowledged" for d in dash.due),
                    timeout=20000)
    assert win.session.reader.newest_entry_id() == entries + 2  # both marks, in the history
    assert not win.undo_action.isEnabled()


# --- 11: the bundle dialog starts on the selected record and names the file after it ------------

def test_export_bundle_starts_on_the_selected_record_and_names_the_file_by_scope(
        qtbot: Any, open_window: Any) -> None:
    win = open_window(60)
    _active(qtbot, win)
    win.show_page("exemptions")
    page = win.pages["exemptions"]
    qtbot.waitUntil(lambda: page.model.rowCount() > 2)
    _click_row(qtbot, page.table, 2)
    key = page.selected_key()
    win.export_bundle()
    dialog = win.bundle_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.scope.currentData() == "exemption" and dialog.key.currentText() == key
    assert dialog.scope_text() == f"exemption:{key}"
    name = Path(dialog.path.text()).name
    assert f"audit bundle exemption {key} " in name and name.endswith(".zip")
    dialog.scope.setCurrentIndex(dialog.scope.findData("all"))  # the name follows the scope
    assert "audit bundle everything " in Path(dialog.path.text()).name
    qtbot.keyClicks(dialog.path, "x")  # once the user types a name, it stays theirs
    typed = dialog.path.text()
    dialog.scope.setCurrentIndex(dialog.scope.findData("since"))
    assert dialog.path.text() == typed
    dialog.reject()


def test_the_verify_result_opens_wide_enough_to_read(qtbot: Any, tmp_path: Path) -> None:
    from ui.dialogs.bundles import VerifyBundleDialog

    dialog = VerifyBundleDialog(tmp_path / "missing.zip")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Not checked")
                    or dialog.sound is not None)
    chars = dialog.fontMetrics().averageCharWidth()
    assert dialog.width() >= chars * 80 and dialog.height() >= dialog.fontMetrics().height() * 20


# --- 14: a record's summary, saved to print or file ---------------------------------------------

def test_ctrl_p_saves_the_selected_records_summary_as_a_pdf(
        qtbot: Any, open_window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    from ui import messages

    win = open_window(60)
    _active(qtbot, win)
    win.show_page("exemptions")
    page = win.pages["exemptions"]
    qtbot.waitUntil(lambda: page.model.rowCount() > 0)
    _click_row(qtbot, page.table, 0)
    key = page.selected_key()
    target = tmp_path / "summary"
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(target), "PDF (*.pdf)"))
    qtbot.keyClick(page.table, Qt.Key.Key_P, CTRL)
    saved = tmp_path / "summary.pdf"
    assert saved.read_bytes().startswith(b"%PDF")
    assert not (tmp_path / "summary.pdf.part").exists()
    text = subprocess.run(["pdftotext", str(saved), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert f"Exemption {key}" in text and "History" in text
    assert f"Saved the summary of exemption {key}" in win.statusBar().currentMessage()
    # a folder that cannot be written (it does not exist): a sentence, nothing left behind
    shown: list[str] = []
    monkeypatch.setattr(messages, "show_error",
                        lambda parent, title, message, *a: shown.append(message))
    assert win.save_summary(tmp_path / "gone" / "x.pdf") is None
    assert shown and "nothing was saved" in shown[0]
    assert not (tmp_path / "gone").exists()


# --- 8: an import is one undoable operation, and Undo names it ----------------------------------

def test_an_import_is_undone_whole_and_undo_names_it(qtbot: Any, open_window: Any,
                                                     tmp_path: Path) -> None:
    from calnet_desk.records import KINDS

    orders = KINDS["orders"]
    win = open_window(20)
    reader = win.session.reader
    existing = sorted(reader.keys(orders))[0]
    before = reader.get(orders, existing)
    sheet = tmp_path / "batch.csv"
    sheet.write_text("Request number,Request date,Order type,Contractor,Monthly cost\n"
                     f"{existing},2026-01-02,change,Zayo,$99.00\n"
                     "U-1,2026-01-03,new,Zayo,$10.00\n"
                     "U-2,2026-01-04,new,Zayo,$20.00\n", encoding="utf-8")
    with qtbot.waitSignal(win.session.changed, timeout=20000):
        win.import_spreadsheet(sheet, "orders")
    assert win.undo_action.isEnabled()
    assert win.undo_action.text() == "&Undo the import of batch.csv (3 orders)"
    assert reader.get(orders, "U-1") is not None
    assert reader.get(orders, existing)["monthly_cost"] == 9900
    with qtbot.waitSignal(win.session.changed, timeout=20000):
        win.undo_action.trigger()
    assert reader.get(orders, "U-1") is None and reader.get(orders, "U-2") is None
    assert reader.get(orders, existing) == before  # every field as it was
    assert not win.undo_action.isEnabled()
    assert "Undid the import of batch.csv: 3 record(s)" in win.statusBar().currentMessage()
    assert reader.history("orders", existing)[-1]["reason"] == "undo: import batch.csv"


def test_an_import_changed_since_is_not_undone(reg: Any, tmp_path: Path) -> None:
    from calnet_desk.exchange.importer import import_file
    from calnet_desk.operations import undo_import
    from calnet_desk.records import KINDS
    from calnet_desk.store import RecordError

    orders = KINDS["orders"]
    sheet = tmp_path / "batch.csv"
    sheet.write_text("Request number,Request date,Order type,Contractor\n"
                     "U-1,2026-01-03,new,Zayo\nU-2,2026-01-04,new,Zayo\n", encoding="utf-8")
    result = import_file(reg, sheet, orders)
    assert result.entries is not None
    with reg.transaction("later") as tx:
        tx.put(orders, {**reg.get(orders, "U-2"), "contractor": "AT&T"})
    with pytest.raises(RecordError, match="U-2 changed since the import of batch.csv; "
                                          "nothing was undone"):
        undo_import(reg, "orders", "batch.csv", result.entries)
    assert reg.get(orders, "U-1") is not None  # nothing undone, not even U-1
