"""Every window fits the screen it opens on: a laptop at 150 % (1366×768 is 911×512 points)
must reach every button. A top-level window larger than the available area is shrunk to it
and moved onto it when it is shown; its content scrolls or wraps where it cannot shrink."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, QSize
from PySide6.QtWidgets import QApplication, QWidget


def fit_rect(frame: QRect, available: QRect, margins: QSize = QSize(0, 0)) -> QRect:  # noqa: B008
    """The frame (window decorations included) made to fit ``available``: no larger, then
    moved inside it. ``margins`` is the decorations' width and height."""
    width = min(frame.width(), available.width())
    height = min(frame.height(), available.height())
    x = min(max(frame.x(), available.x()), available.right() + 1 - width)
    y = min(max(frame.y(), available.y()), available.bottom() + 1 - height)
    return QRect(x, y, width - margins.width(), height - margins.height())


def fit_to_screen(window: QWidget) -> None:
    screen = window.screen() or QApplication.primaryScreen()
    if screen is None:
        return
    available = screen.availableGeometry()
    frame, inner = window.frameGeometry(), window.geometry()
    margins = QSize(frame.width() - inner.width(), frame.height() - inner.height())
    if available.contains(frame):
        return
    target = fit_rect(frame, available, margins)
    window.resize(target.size())
    window.move(target.topLeft())


class ScreenFit(QObject):
    """Shrinks and moves each window and dialog onto the available screen as it is shown."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # every event of the app passes here: the cheap tests first (reading event.type()
        # makes a Python enum, a cost paid thousands of times while the window is built)
        if (isinstance(watched, QWidget) and watched.isWindow()
                and event.type() == QEvent.Type.Show and not watched.isMaximized()
                and not watched.isFullScreen() and _is_window(watched)):
            fit_to_screen(watched)
        return False


def _is_window(widget: QWidget) -> bool:
    from PySide6.QtCore import Qt

    return widget.windowType() in (Qt.WindowType.Window, Qt.WindowType.Dialog)


_installed: ScreenFit | None = None


def install(app: QApplication) -> None:
    """What the app does at start-up (ui.app.make_app); tests on a real screen do the same."""
    global _installed
    if _installed is None:
        _installed = ScreenFit(app)
        app.installEventFilter(_installed)
