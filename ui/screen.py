"""Every window fits the screen it opens on: a laptop at 150 % (1366×768 is 911×512 points)
must reach every button. A top-level window larger than the available area is shrunk to it
and moved onto it when it is shown; its content scrolls or wraps where it cannot shrink."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, QSize, QTimer, SignalInstance
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


def install(app: QApplication | None = None) -> None:
    """Every window and dialog shown from now on fits the screen. The app installs it once
    its first page is shown (MainWindow), or before a dialog it shows without a main window
    (the controller's first-run and refusal dialogs); tests on a real screen do the same.
    Not before the first page: an event filter in Python sees every event of the app, and
    PySide makes a wrapper (and builds Python types with their enums) for each object it
    hands over, which made a large part of the cold start (issue 16 item 15)."""
    global _installed
    app = app or QApplication.instance()  # type: ignore[assignment]
    if _installed is None and isinstance(app, QApplication):
        _installed = ScreenFit(app)
        app.installEventFilter(_installed)


def installed() -> bool:
    return _installed is not None


def uninstall() -> None:
    """Take the filter off again (tests: one test's window must not leave it to the next)."""
    global _installed
    app = QApplication.instance()
    if _installed is not None and app is not None:
        app.removeEventFilter(_installed)
    _installed = None


INSTALL_LATEST_MS = 2_000  # should the first page never be shown (minimized): install anyway


def show_main_window(window: QWidget, first_page_shown: SignalInstance) -> None:
    """Show the app's main window fitted to the screen; the filter fitting every other
    window and dialog is installed once its first page is shown (ui.app and the
    controller start the window this way). The filter goes on after that paint is on
    screen (a zero timer), not in it: from then on every event of the app passes through
    Python."""
    fit_to_screen(window)
    first_page_shown.connect(lambda: QTimer.singleShot(0, install))
    QTimer.singleShot(INSTALL_LATEST_MS, window,
                      lambda: install() if window.isVisible() else None)
    window.show()
