"""`calnet-desk`: the desktop app. One main() in a fixed order: error hook, paths, open and
migrate the register, then the QApplication and the main window."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from calnet_desk.paths import resolve_data_dir

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

log = logging.getLogger("calnet_desk.ui")


def log_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_log_dir("CALNET Desk", appauthor=False))


def setup_logging() -> Path | None:
    folder = log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(folder / "calnet-desk.log",
                                                       encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return folder


def say(text: str) -> None:
    """To stderr, and to the log: a windowed Windows build has no stderr at all."""
    log.info(text.rstrip())
    if sys.stderr is not None:
        sys.stderr.write(text)
        sys.stderr.flush()


def first_page_shown() -> None:
    """The line benchmarks/gui.py times a start to (the smoke test and
    --quit-after-first-page), with the CPU time of every thread so far."""
    import time

    if sys.stdout is not None:
        sys.stdout.write(f"first page shown (CPU {time.process_time():.3f} s)\n")
        sys.stdout.flush()


def install_excepthook(log_folder: Path | None) -> None:
    """Unexpected errors: logged, and shown in a dialog with copyable details."""

    def hook(exc_type: type[BaseException], exc: BaseException,
             tb: TracebackType | None) -> None:
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("unexpected error\n%s", details)
        from PySide6.QtWidgets import QApplication

        if (QApplication.instance() is None
                or threading.current_thread() is not threading.main_thread()):
            say(details)  # widgets belong to the GUI thread: never from here
            return
        from .messages import show_error

        hint = f"The log is in {log_folder}." if log_folder else ""
        show_error(None, "CALNET Desk — unexpected error",
                   f"Something went wrong: {exc}. Your register was not changed by the "
                   "failed step.", details, hint)

    sys.excepthook = hook


class Arguments:
    """What the desktop was started with, under argparse's names."""

    def __init__(self, data_dir: str | None = None, smoke_test: bool = False,
                 quit_after_first_page: bool = False, read_only: bool = False) -> None:
        self.data_dir = data_dir
        self.smoke_test = smoke_test
        self.quit_after_first_page = quit_after_first_page
        self.read_only = read_only

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Arguments) and vars(self) == vars(other)

    def __repr__(self) -> str:
        return f"Arguments({vars(self)})"


SWITCHES = {"--smoke-test": "smoke_test", "--quit-after-first-page": "quit_after_first_page",
            "--read-only": "read_only"}
DATA_DIR = "--data-dir"


def plain_arguments(argv: Sequence[str]) -> Arguments | None:
    """The arguments when each is spelled out in full (as the shortcuts, the installer and
    the scripts start the desktop), else None: then argparse reads them, abbreviations,
    help and mistakes included. Importing argparse (and the gettext and locale modules it
    imports) and building its parser were ~3 ms of every start (issue 16 item 15); the two
    read the same arguments the same way (a test compares them)."""
    found = Arguments()
    rest = list(argv)
    while rest:
        arg = rest.pop(0)
        if arg in SWITCHES:
            setattr(found, SWITCHES[arg], True)
        elif arg.startswith(DATA_DIR + "="):
            found.data_dir = arg[len(DATA_DIR) + 1:]
        elif arg == DATA_DIR and rest and not rest[0].startswith("-"):
            found.data_dir = rest.pop(0)
        else:
            return None
    return found


def parse_args(argv: Sequence[str] | None) -> Arguments:
    plain = plain_arguments(sys.argv[1:] if argv is None else argv)
    return plain if plain is not None else parse_with_argparse(argv)


def parse_with_argparse(argv: Sequence[str] | None) -> Arguments:
    import argparse

    p = argparse.ArgumentParser(prog="calnet-desk", description="CALNET Desk")
    p.add_argument("--data-dir", metavar="DIR", help="the register folder")
    p.add_argument("--smoke-test", action="store_true",
                   help="open the register, show the window until the first page is "
                        "populated, exit 0 (1 with the reason on stderr)")
    p.add_argument("--quit-after-first-page", action="store_true",
                   help="start as usual, print \"first page shown\" once the first page is "
                        "painted, then close the window and exit (benchmarks/gui.py times "
                        "the start with it)")
    p.add_argument("--read-only", action="store_true", help="open without taking the lock")
    return Arguments(**vars(p.parse_args(argv)))


def smoke_test(root: Path) -> int:
    """Open the register in the data dir, show the window, wait for the first page."""
    from calnet_desk.paths import RegisterPaths

    if not RegisterPaths(root).exists():
        say(f"calnet-desk: no register in {root}\n")
        return 1
    from PySide6.QtCore import QTimer

    from .session import Session

    app = make_app()
    try:
        session = Session(root, read_only=True, check=False)
    except Exception as e:
        say(f"calnet-desk: {e}\n")
        return 1
    # the first page's deadlines are computed while the window is imported and built
    session.refresh_overview(lambda message, details: failed(message, details),
                             with_findings=False)
    try:
        from .main_window import MainWindow
        from .settings import Settings

        window = MainWindow(session, Settings(root / ".smoke-settings.ini"),
                            first_paint_first=True)  # as the controller does
    except Exception as e:
        say(f"calnet-desk: {e}\n")
        return 1
    outcome: list[int] = []
    waiting = {"page", "check"}

    def done(part: str = "page") -> None:
        if part == "page":
            first_page_shown()  # the check goes on
        waiting.discard(part)
        if not waiting and not outcome:
            outcome.append(0)
            app.quit()

    def checked(problem: str | None) -> None:
        if problem:
            failed(f"the register database is damaged ({problem}); open CALNET Desk or run "
                   "`calnet-desk-cli verify` for the way out", "")
        else:
            done("check")

    def failed(message: str, details: str) -> None:
        if outcome:
            return
        say(f"calnet-desk: {message}\n")
        outcome.append(1)
        app.quit()

    def page_painted() -> None:
        if "page" not in waiting:
            return
        done("page")
        session.check_async(checked)  # quick_check runs behind the window, once it is up

    # the first page's table painted with its rows (benchmarks/bare_table.py waits for the
    # same) and on screen: the zero timer after that paint, before the work that waits for it
    window.first_page_shown.connect(page_painted)
    from . import screen

    screen.show_main_window(window, window.dashboard.shown)  # as the controller does
    QTimer.singleShot(120_000, lambda: failed("timed out waiting for the first page", ""))
    app.exec()
    window.close()
    (root / ".smoke-settings.ini").unlink(missing_ok=True)
    return outcome[0] if outcome else 1


def core_first() -> None:
    """Import the core modules the first page needs before PySide6: PySide6 reads the
    source of every module imported after it (its __feature__ hook looks for the word
    "PySide6" in each), ~0.1 ms a module, 50 of them on the way to the first page."""
    import calnet_desk.policy.deadlines  # noqa: F401 (the first page's deadlines)
    import calnet_desk.store  # noqa: F401

    plain_feature_check()


def plain_feature_check() -> None:
    """PySide6's __feature__ import hook asks of each module imported after PySide6 whether
    its source says "PySide6" (shibokensupport.feature._mod_uses_pyside), by
    inspect.getsource (linecache and tokenize): ~0.15 ms a module, 60 modules on the way to
    the first page (~9 ms, issue 16 item 15). The same question, asked of the file's bytes;
    what is not a readable .py file is asked PySide's way. Does nothing should a PySide
    version not have that hook."""
    import PySide6  # noqa: F401 (the package: shiboken6 and its import hook, no Qt module)

    feature = sys.modules.get("shibokensupport.feature")
    asked = getattr(feature, "_mod_uses_pyside", None)
    if asked is None or getattr(asked, "reads_bytes", False):
        return

    def uses_pyside(module: object) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            try:
                with open(path, "rb") as source:
                    return b"PySide6" in source.read()
            except OSError:
                pass
        return bool(asked(module))

    uses_pyside.reads_bytes = True  # type: ignore[attr-defined]
    feature._mod_uses_pyside = uses_pyside  # type: ignore[union-attr]


def make_app() -> QApplication:
    from PySide6.QtWidgets import QApplication

    from .style import STYLE, show_focus

    # Fusion (it follows the system's light or dark palette). A new app is made with it:
    # setStyle hands a QStyle to Python, whose type PySide builds with all its enums
    # (~10 ms of the cold start, issue 16 item 15).
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
        app.setStyle(STYLE)
    else:
        app = QApplication([*sys.argv[:1], "-style", STYLE])
    app.setApplicationName("CALNET Desk")
    app.setOrganizationName("CALNET Desk")
    show_focus(app)  # a focus ring that can be seen
    # every window and dialog fits the screen it opens on: the main window fits itself, and
    # installs ui.screen's filter for the others once its first page is shown
    from PySide6.QtCore import QLocale

    from .formatting import app_locale

    QLocale.setDefault(app_locale())
    return app


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    folder = setup_logging()
    install_excepthook(folder)
    root = resolve_data_dir(args.data_dir)
    core_first()
    if args.smoke_test:
        return smoke_test(root)
    from PySide6.QtCore import QTimer

    from .controller import Controller

    make_app()
    controller = Controller(root, read_only=args.read_only)
    if args.quit_after_first_page:
        def shown_then_close() -> None:
            first_page_shown()
            QTimer.singleShot(0, controller.close)  # after the work that waited for it

        controller.first_page_shown.connect(shown_then_close)
    return controller.run()


if __name__ == "__main__":
    raise SystemExit(main())
