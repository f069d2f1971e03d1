"""Small behaviours shared by the forms."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QApplication,
    QFrame,
    QLayout,
    QScrollArea,
    QWidget,
)


class WheelGuard(QObject):
    """The mouse wheel over a drop-down or spin box that does not have the focus scrolls
    what holds it instead of silently changing its value (a mapping became "Catalog status"
    while the user scrolled the list). Click or Tab into the control to use the wheel on it.

    Such controls take the focus by the wheel by default (`Qt.WheelFocus`): a real wheel
    turn (one from the window system) first gave the control the focus, and then changed
    it. Guarded controls take the focus by click and Tab only (`Qt.StrongFocus`)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget) \
                or watched.hasFocus():
            return False
        area = watched.parentWidget()
        while area is not None and not isinstance(area, QAbstractScrollArea):
            area = area.parentWidget()
        if area is not None:
            QApplication.sendEvent(area.verticalScrollBar(), event)
        return True  # the value stays as it was


_guard: WheelGuard | None = None


def guard_wheel(*widgets: QWidget) -> None:
    global _guard
    if _guard is None:
        _guard = WheelGuard()
    from PySide6.QtCore import Qt

    for w in widgets:
        if w.focusPolicy() == Qt.FocusPolicy.WheelFocus:
            w.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        w.installEventFilter(_guard)


def scrolling(layout: QLayout, parent: QWidget) -> QScrollArea:
    """The layout's content in a frameless area that scrolls when the window is too small
    for it (a laptop at 150 %), so the buttons below it stay on screen."""
    from .style import ring_room

    content = QWidget(parent)
    content.setLayout(layout)
    ring_room(layout)  # the fields reach its edges: their focus rings whole
    area = QScrollArea(parent)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setWidget(content)
    return area
