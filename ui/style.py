"""The application style: Fusion (it follows the system's light or dark palette) with a
focus ring that can be seen, for keyboard users (Section 508: the focus must be visible):
two pixels in the highlight colour round the widget that has the focus, instead of
Fusion's faint one-pixel tint.

The ring is one `QFocusFrame` that Qt moves to the focused widget and keeps on its
geometry; it is drawn by Fusion itself (its focus frame is the palette's window-text
colour, set here to the highlight). No Python style override: a `QProxyStyle` with
drawing methods in Python made PySide build every style-option type at the first paint
and convert each option drawn after it (issue 16 item 15, the cold start)."""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QFocusFrame, QLayout, QWidget
from shiboken6 import isValid

STYLE = "Fusion"  # ui.app.make_app makes the app with it
FOCUS_WIDTH = 2  # Fusion's focus-frame margin: the ring's width, in device-independent px

_ring: list[QFocusFrame] = []  # the one ring (Qt deletes it with a window it was in)


def ring_room(*holders: QWidget | QLayout) -> None:
    """Margins of the ring's width inside a splitter, panel or layout whose controls reach
    its edges. Fusion draws the ring in the control's parent, so a control flush with its
    parent's edge showed its ring on its free sides only (the navigation list lost its left,
    top and bottom, a table in a splitter the side by the splitter's edge)."""
    for holder in holders:
        holder.setContentsMargins(FOCUS_WIDTH, FOCUS_WIDTH, FOCUS_WIDTH, FOCUS_WIDTH)


def show_focus(app: QApplication) -> None:
    """The focus ring follows the focus in every window from now on."""
    app.focusChanged.connect(_focus_moved)


def hide_focus(app: QApplication) -> None:
    """Take the ring off again (tests: one test must not leave it to the next)."""
    try:
        app.focusChanged.disconnect(_focus_moved)
    except (RuntimeError, TypeError):
        pass  # was not shown
    ring = focus_ring()
    if ring is not None:
        _off(ring)


def _off(ring: QFocusFrame) -> None:
    ring.setWidget(None)  # type: ignore[arg-type]  # Qt takes a null widget: the ring hides


def focus_ring() -> QFocusFrame | None:
    return _ring[0] if _ring and isValid(_ring[0]) else None


def _focus_moved(old: QWidget | None, new: QWidget | None) -> None:
    ring = focus_ring()
    if new is None or new.isWindow():  # the app lost the focus, or a window has it itself
        if ring is not None:
            _off(ring)
        return
    if ring is None:
        ring = QFocusFrame(new)  # setWidget puts it beside the widget, in its parent
        ring.setAccessibleName("Focus ring")
        _ring[:] = [ring]
    palette = new.palette()
    colour = palette.color(QPalette.ColorRole.Highlight)
    if ring.palette().color(QPalette.ColorRole.WindowText) != colour:
        palette.setColor(QPalette.ColorRole.WindowText, colour)
        ring.setPalette(palette)
    ring.setWidget(new)
