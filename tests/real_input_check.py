"""Run by tests/ui/test_real_screen.py under Xvfb with the xcb platform at QT_SCALE_FACTOR=1.5:
the mouse and keyboard of a person, sent through the X server itself (XTest), so Qt gets them
as it gets a real wheel or key: spontaneous events, with what Qt does before any widget sees
them (a wheel turn gives a control that takes "wheel focus" the focus first). Events sent
with QApplication.sendEvent skip that step, which is how the wheel over the import mapping
kept changing drop-downs on a real screen while the offscreen test passed (issue 16 item 8)."""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication, QWidget


class XTest:
    """The X server's test extension (libXtst, installed with at-spi2-core): pointer
    moves, wheel notches and key strokes as the X server delivers a person's."""

    def __init__(self) -> None:
        self.x11 = ctypes.cdll.LoadLibrary("libX11.so.6")
        self.xtst = ctypes.cdll.LoadLibrary("libXtst.so.6")
        self.x11.XOpenDisplay.restype = ctypes.c_void_p
        self.x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x11.XFlush.argtypes = [ctypes.c_void_p]
        self.x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
        self.x11.XStringToKeysym.restype = ctypes.c_ulong
        self.x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        self.x11.XKeysymToKeycode.restype = ctypes.c_ubyte
        self.xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                                   ctypes.c_int, ctypes.c_ulong]
        self.xtst.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint,
                                                   ctypes.c_int, ctypes.c_ulong]
        self.xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                                ctypes.c_ulong]
        self.display = self.x11.XOpenDisplay(None)
        assert self.display, "no X display"

    def point_at(self, widget: QWidget, where: QPoint | None = None) -> None:
        """The pointer over ``where`` in ``widget`` (its middle by default)."""
        spot = widget.mapToGlobal(where if where is not None else widget.rect().center())
        ratio = widget.devicePixelRatioF()
        self.xtst.XTestFakeMotionEvent(self.display, -1, round(spot.x() * ratio),
                                       round(spot.y() * ratio), 0)
        self.x11.XFlush(self.display)

    def wheel(self, notches: int) -> None:
        """Notches of the wheel: down when positive (button 5), up when negative (4)."""
        button = 5 if notches > 0 else 4
        for _ in range(abs(notches)):
            self.xtst.XTestFakeButtonEvent(self.display, button, True, 0)
            self.xtst.XTestFakeButtonEvent(self.display, button, False, 0)
        self.x11.XFlush(self.display)

    def _key(self, name: str, down: bool) -> None:
        code = self.x11.XKeysymToKeycode(self.display,
                                         self.x11.XStringToKeysym(name.encode()))
        assert code, name
        self.xtst.XTestFakeKeyEvent(self.display, code, down, 0)

    def type(self, text: str) -> None:
        """Each character pressed and released in turn, Shift held for capitals."""
        for ch in text:
            if ch.isupper():
                self._key("Shift_L", True)
            self._key(ch.lower() if ch.isalpha() else ch, True)
            self._key(ch.lower() if ch.isalpha() else ch, False)
            if ch.isupper():
                self._key("Shift_L", False)
        self.x11.XFlush(self.display)

    def press(self, *names: str) -> None:
        """A chord such as press("Control_L", "f"): down in order, up in reverse."""
        for name in names:
            self._key(name, True)
        for name in reversed(names):
            self._key(name, False)
        self.x11.XFlush(self.display)


def _sheet(tmp_path: Path) -> Path:
    columns = ["Req #", "Req date", "Type"] + [f"Note {n}" for n in range(30)]
    sheet = tmp_path / "wide.csv"
    sheet.write_text(",".join(columns) + "\nA-1,2026-01-02,new" + ",x" * 30 + "\n",
                     encoding="utf-8")
    return sheet


def test_a_wheel_turn_over_the_mapping_scrolls_it_and_changes_no_drop_down(
        qtbot: Any, open_window: Any, tmp_path: Path) -> None:
    app = QApplication.instance()
    assert app is not None and app.platformName() == "xcb"
    x = XTest()
    win = open_window(20)
    wizard = win.open_import_wizard(_sheet(tmp_path), "orders")
    qtbot.waitExposed(wizard)
    wizard.activateWindow()  # as a person's window is: the focus is in it
    qtbot.waitUntil(wizard.isActiveWindow)
    wizard.next()
    page = wizard.mapping_page
    before = [c.currentData() for c in page.combos]
    bar = page.table.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    assert bar.value() == 0
    x.point_at(page.combos[1])  # "Req date", mapped to the request date
    x.wheel(2)
    qtbot.waitUntil(lambda: bar.value() > 0)  # the list scrolled ...
    assert [c.currentData() for c in page.combos] == before  # ... and no drop-down changed
    assert not any(c.hasFocus() for c in page.combos)
    wizard.reject()


def test_a_wheel_turn_over_an_editors_drop_down_scrolls_the_form(
        qtbot: Any, open_window: Any) -> None:
    from PySide6.QtWidgets import QScrollArea

    x = XTest()
    win = open_window(20)
    key = sorted(win.session.reader.keys(win.pages["orders"].kind))[0]
    editor = win.edit_record("orders", key)
    qtbot.waitExposed(editor)
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    combo = editor.inputs["order_type"].combo
    combo.setCurrentIndex(1)  # a choice with others below and above it
    chosen = combo.currentData()
    area = editor.findChildren(QScrollArea)[0]
    bar = area.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    assert bar.value() == 0
    x.point_at(combo)
    x.wheel(1)
    qtbot.waitUntil(lambda: bar.value() > 0)
    assert combo.currentData() == chosen and not combo.hasFocus()
    editor.reject()


def test_typing_a_search_at_a_persons_speed_with_a_row_selected_keeps_every_letter(
        qtbot: Any, open_window: Any) -> None:
    """Issue 16 item 1, through the X server: Exemptions page, click a row, Ctrl+F, clear,
    type "Victorville" (the keys queue up while the filter runs, as when typing fast)."""
    from PySide6.QtCore import Qt

    x = XTest()
    win = open_window(60)
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)
    win.show_page("exemptions")
    page = win.pages["exemptions"]
    qtbot.waitUntil(lambda: page.model.rowCount() > 1)
    rect = page.table.visualRect(page.table.model().index(0, 0))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.selected_key() is not None
    x.press("Control_L", "f")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.search)
    x.press("Control_L", "a")
    x.press("BackSpace")
    x.type("Victorville")
    qtbot.waitUntil(lambda: page.search.text() == "Victorville")
    qtbot.waitUntil(lambda: page.model.query.text == "Victorville")
    assert page.search.text() == "Victorville"
