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


AWAITING_FRAME = "calnet_awaiting_frame"  # a window fitted before its frame was known


def frame_known(window: QWidget) -> bool:
    """Whether the window manager's frame (title bar, borders) is known yet: on X11 it comes
    after the window is shown, with the first move; until then frame and window are one."""
    return window.frameGeometry() != window.geometry()


def fit_now_and_framed(window: QWidget) -> None:
    """Fit the window now, and again once its frame is known if it is not yet (the title bar
    pushed a window made as tall as the screen 25 px off its bottom: the status bar, an
    editor's Save and Cancel)."""
    fit_to_screen(window)
    if not frame_known(window):
        window.setProperty(AWAITING_FRAME, True)


class ScreenFit(QObject):
    """Shrinks and moves each window and dialog onto the available screen as it is shown,
    and once more when its frame becomes known (then never again: a window the user moves
    partly off the screen stays there)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # every event of the app passes here: the cheap tests first (reading event.type()
        # makes a Python enum, a cost paid thousands of times while the window is built)
        if not (isinstance(watched, QWidget) and watched.isWindow()):
            return False
        kind = event.type()
        if kind == QEvent.Type.Show:
            if (not watched.isMaximized() and not watched.isFullScreen()
                    and _is_window(watched)):
                fit_now_and_framed(watched)
        elif (kind == QEvent.Type.Move and watched.property(AWAITING_FRAME)
              and frame_known(watched)):
            watched.setProperty(AWAITING_FRAME, None)
            if not watched.isMaximized() and not watched.isFullScreen():
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

    def first_page_on_screen() -> None:
        # the window manager has framed the window by now (or will, with a move the filter
        # sees): fitted again with its title bar, so its bottom is on the screen too
        install()
        if window.isVisible() and not window.isMaximized() and not window.isFullScreen():
            fit_now_and_framed(window)

    first_page_shown.connect(lambda: QTimer.singleShot(0, first_page_on_screen))
    QTimer.singleShot(INSTALL_LATEST_MS, window,
                      lambda: install() if window.isVisible() else None)
    window.show()
