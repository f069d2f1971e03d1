"""The application style: Fusion (it follows the system's light or dark palette) with a
focus ring that can be seen: two pixels in the highlight colour instead of Fusion's faint
one-pixel tint, for keyboard users (Section 508: the focus must be visible)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QProxyStyle, QStyle, QStyleFactory, QStyleOption, QWidget

FOCUS_WIDTH = 2


class FocusRingStyle(QProxyStyle):
    def __init__(self) -> None:
        super().__init__(QStyleFactory.create("Fusion"))

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption,
                      painter: QPainter, widget: QWidget | None = None) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if element == QStyle.PrimitiveElement.PE_FrameFocusRect or (
                _focused(option) and element == QStyle.PrimitiveElement.PE_FrameLineEdit):
            ring(painter, option.rect, option.palette)

    def drawControl(self, element: QStyle.ControlElement, option: QStyleOption,
                    painter: QPainter, widget: QWidget | None = None) -> None:
        super().drawControl(element, option, painter, widget)
        if element == QStyle.ControlElement.CE_PushButton and _focused(option):
            ring(painter, option.rect, option.palette)

    def drawComplexControl(self, control: QStyle.ComplexControl, option: Any,
                           painter: QPainter, widget: QWidget | None = None) -> None:
        super().drawComplexControl(control, option, painter, widget)
        if control in (QStyle.ComplexControl.CC_ComboBox, QStyle.ComplexControl.CC_SpinBox) \
                and _focused(option):
            ring(painter, option.rect, option.palette)


def _focused(option: QStyleOption) -> bool:
    return bool(option.state & QStyle.StateFlag.State_HasFocus)


def ring(painter: QPainter, rect: QRect, palette: Any) -> None:
    painter.save()
    pen = QPen(palette.highlight().color(), FOCUS_WIDTH)
    pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    half = FOCUS_WIDTH // 2
    painter.drawRect(rect.adjusted(half, half, -half, -half))
    painter.restore()
