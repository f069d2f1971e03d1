"""Run by tests/ui/test_real_screen.py under Xvfb at 1366×768 with QT_SCALE_FACTOR=1.5 and the
xcb platform (911×512 points): the main window, every page and every dialog fit the
available screen, every button outside a scrolling area is on it, and editors scroll."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers import all_dialogs
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractButton, QAbstractScrollArea, QApplication, QScrollArea


def _off_screen(what: str, window: Any, available: QRect) -> list[str]:
    problems = []
    if not available.contains(window.frameGeometry()):
        problems.append(f"{what}: {window.frameGeometry()} is not within {available}")
    for button in window.findChildren(QAbstractButton):
        if button.window() is not window or not button.isVisibleTo(window):
            continue
        parent, scrolls = button.parentWidget(), False
        while parent is not None and parent is not window:
            scrolls = scrolls or isinstance(parent, QAbstractScrollArea)
            parent = parent.parentWidget()
        place = QRect(button.mapToGlobal(QPoint(0, 0)), button.size())
        if not scrolls and not available.contains(place):
            problems.append(f"{what}: {button.text()!r} at {place} is off {available}")
    return problems


def test_every_window_and_dialog_fits_a_laptop_at_150_percent(
        qtbot: Any, open_window: Any, tmp_path: Path) -> None:
    from ui import screen

    app = QApplication.instance()
    assert app is not None and app.platformName() == "xcb"
    screen.install(app)  # as the app does once its first page is shown
    win = open_window(60, overview=True)
    qtbot.waitExposed(win)
    available = win.screen().availableGeometry()
    assert win.devicePixelRatio() == 1.5 and available.width() <= 911
    problems = []
    for row in range(win.nav.count()):
        win.nav.setCurrentRow(row)
        problems += _off_screen(f"main window, {win.nav.item(row).text()}", win, available)
    walked = 0
    for what, dialog in all_dialogs(qtbot, win, tmp_path):
        walked += 1
        qtbot.waitExposed(dialog)
        problems += _off_screen(what, dialog, available)
        if what.startswith("new ") and what != "new record":
            # an editor's fields scroll; Save and Cancel stay in view
            assert dialog.findChildren(QScrollArea), what
    assert walked >= 20
    assert problems == [], "\n".join(problems)
