"""Opening registers for the window: first run, the store's refusals as dialogs with a way
out (restore, open read-only, choose another register), switching registers, the demo."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance
from PySide6.QtWidgets import QApplication, QWidget

from calnet_desk.paths import RegisterPaths
from calnet_desk.records import KINDS
from calnet_desk.store import StoreError, TooNew
from calnet_desk.store.lock import RegisterLocked
from calnet_desk.store.register import Corrupt

from . import screen
from .main_window import AFTER_FIRST_PAGE_LATEST_MS, MainWindow
from .session import Session
from .settings import Settings
from .worker import wait_for

# What a start does not need before its first page is painted is imported when it is used:
# the message boxes and file dialogs (PySide builds each Qt class's Python type, with its
# enums, on first use), the drafts, the operations that create a register (issue 16 item 15).
if TYPE_CHECKING:
    from calnet_desk.drafts import Draft

# The window waits this long at most for the first page's deadlines before it is shown (one
# paint with its rows rather than an empty one first): they are computed before it is built,
# on the session's connection, and past this long in the background. A design choice.
FIRST_DEADLINES_WAIT_MS = 300

# The ways out of a register that cannot be opened as it is: each its own Alt+letter.
QUIT, READ_ONLY, OTHER, RESTORE = "&Quit", "&Open read-only", "&Choose another register…", \
    "&Restore the newest good backup"
KEEP_READING = "&Keep reading (read-only)"
RESTORE_DRAFT, DISCARD_DRAFT, LATER = "&Restore", "&Discard", "Decide &later"


def choose(parent: QWidget | None, title: str, text: str, options: Sequence[str]) -> str:
    """Ask with one button per way out; returns the option's text (Quit when closed)."""
    from PySide6.QtWidgets import QAbstractButton, QMessageBox

    screen.install()  # it fits the screen (there may be no main window yet)
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.NoButton,
                      parent)
    buttons: dict[QAbstractButton, str] = {
        box.addButton(o, QMessageBox.ButtonRole.AcceptRole if o != QUIT
                      else QMessageBox.ButtonRole.RejectRole): o for o in options}
    box.exec()
    return buttons.get(box.clickedButton(), QUIT)


def demo_folder() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("CALNET Desk Demo", appauthor=False))



def prepare(root: Path, check: bool = True) -> None:
    """Open for writing once: takes the lock briefly, checks (unless the caller runs the
    integrity check behind its window: check=False), backs up and migrates."""
    from calnet_desk.store import Register

    Register.open(root, write=True, check=check).close()


class Controller(QObject):
    # once: the first window's first page is painted and on screen (`calnet-desk
    # --quit-after-first-page` says so and closes: benchmarks/gui.py times the start to it)
    first_page_shown = Signal()

    def __init__(self, root: Path, read_only: bool = False, settings: Settings | None = None,
                 ask: Callable[[QWidget | None, str, str, Sequence[str]], str] = choose) -> None:
        super().__init__()
        self.root = root
        self.read_only = read_only
        self.settings = settings or Settings()
        self.ask = ask
        self.window: MainWindow | None = None
        self.session: Session | None = None
        self.drafts_left: list[Draft] = []

    def run(self) -> int:
        if not self.open(self.root):
            return 1
        app = QApplication.instance()
        assert app is not None
        return int(app.exec())

    # --- opening ---------------------------------------------------------------------------

    def open(self, root: Path) -> bool:
        """Open a register in the window; False when the person gave up (quit)."""
        while True:
            paths = RegisterPaths(root)
            if not paths.exists():
                from .wizards.first_run import FirstRunWizard

                screen.install()  # the wizard and its messages fit the screen
                from calnet_desk.operations import create_register

                wizard = FirstRunWizard(root, self.window)
                if not wizard.exec():
                    return self.window is not None
                answers = wizard.answers()  # read on the GUI thread, written off it
                try:
                    wait_for(functools.partial(create_register, *answers))
                except StoreError as e:
                    from PySide6.QtWidgets import QMessageBox

                    QMessageBox.warning(self.window, "Not created", str(e))
                    continue
            read_only = self.read_only
            if not read_only:
                outcome = self._prepare(root)
                if outcome == QUIT:
                    return self.window is not None
                if outcome == OTHER:
                    other = self._pick_folder()
                    if other is None:
                        return self.window is not None
                    root = other
                    continue
                read_only = outcome == READ_ONLY
            self._show(root, read_only)
            return True

    def _prepare(self, root: Path) -> str:
        while True:
            try:
                # the check runs behind the window; with no window yet there is nothing to
                # keep painting, so the start opens it here (no thread and event loop to wait)
                if self.window is None:
                    prepare(root, check=False)
                else:
                    wait_for(lambda: prepare(root, check=False))
                return "ok"
            except RegisterLocked as e:
                return self.ask(self.window, "The register is in use", str(e),
                                [READ_ONLY, OTHER, QUIT])
            except TooNew as e:
                return self.ask(self.window, "A newer CALNET Desk wrote this register", str(e),
                                [READ_ONLY, QUIT])
            except Corrupt as e:
                choice = self.ask(self.window, "The register is damaged", str(e),
                                  [RESTORE, OTHER, QUIT])
                if choice != RESTORE:
                    return choice
                if not self._restore(root):
                    return QUIT
            except StoreError as e:
                return self.ask(self.window, "Cannot open the register", str(e), [OTHER, QUIT])

    def _restore(self, root: Path) -> bool:
        from PySide6.QtWidgets import QMessageBox

        from calnet_desk.store.backups import find_backup, restore

        screen.install()
        try:
            backup = find_backup(RegisterPaths(root), None)
            wait_for(lambda: restore(RegisterPaths(root), backup))
        except StoreError as e:
            QMessageBox.warning(self.window, "Not restored", str(e))
            return False
        QMessageBox.information(self.window, "Restored",
                                f"Backup {backup.name} is in place; the damaged database was "
                                "kept aside in the register folder.")
        return True

    def _pick_folder(self) -> Path | None:
        from PySide6.QtWidgets import QFileDialog

        screen.install()
        folder = QFileDialog.getExistingDirectory(self.window, "Choose a register folder")
        return Path(folder) if folder else None

    def _show(self, root: Path, read_only: bool) -> None:
        old = self.window
        # the window first; SQLite's quick_check (over half of a cold start on a 100,000-order
        # register) runs behind it, on its own connection, and speaks up if it finds damage
        session = Session(root, read_only=read_only, check=False, writer_later=True)
        # the first page's deadlines, before the window is built (it waits for them): here,
        # or in the background should they take longer than the window waits; the findings
        # (a pass over every record) wait until the first page is painted
        since = time.monotonic()
        session.refresh_overview(hold_findings=True, here_within_ms=FIRST_DEADLINES_WAIT_MS)
        window = MainWindow(session, self.settings, first_paint_first=True)
        window.switch_register.connect(self.switch)
        window.new_register.connect(self.new_register)
        window.open_demo.connect(self.open_demo)
        self.session, self.window = session, window
        if old is not None:
            old.close()
        # what can wait comes once the first page is on screen (or after a while, should it
        # never be painted): the integrity check, the findings, the shared-folder warning,
        # the daily backup, the drafts left by an editor that never closed
        if old is None:
            window.first_page_shown.connect(self.first_page_shown)
        later = _Once(functools.partial(self._after_first_page, session, read_only))
        window.first_page_shown.connect(later)
        QTimer.singleShot(AFTER_FIRST_PAGE_LATEST_MS, window, later)
        if session.overview is None:  # one paint with the rows, not an empty one first
            waited_ms = int((time.monotonic() - since) * 1000)
            _wait_for_signal(session.overview_ready, max(FIRST_DEADLINES_WAIT_MS - waited_ms, 0))
        screen.show_main_window(window, window.dashboard.shown)
        self.root = root

    def _after_first_page(self, session: Session, read_only: bool) -> None:
        window = self.window
        if session is not self.session or session.closed or window is None:
            return  # another register was opened meanwhile
        session.open_writer()
        session.release_findings()
        self.settings.add_recent(session.root)
        session.check_async(lambda problem: self._checked(session, problem))
        if session.reader.warnings:
            from PySide6.QtWidgets import QMessageBox

            for warning in session.reader.warnings:
                QMessageBox.warning(window, "Register on a shared folder", warning)
        self._daily_backup()
        if not read_only:
            self.drafts_left = self._pending_drafts(session.root)
            QTimer.singleShot(0, self.offer_next_draft)

    def close(self) -> None:
        """Close the window as a person would, and leave."""
        if self.window is not None:
            self.window.close()
        QApplication.quit()

    def _checked(self, session: Session, problem: str | None) -> None:
        """The integrity check behind the window is done: on damage, stop writing at once,
        say so and offer the way out."""
        window = self.window
        if problem is None or session is not self.session or window is None:
            return
        from calnet_desk.store.backups import newest_good_backup

        session.go_read_only()
        window.went_read_only()
        paths = RegisterPaths(session.root)
        good = newest_good_backup(paths.backups)
        restore = [RESTORE] if good else []
        backup = (f"The newest good backup is {good.name}." if good else
                  "No good backup was found in the register's backups folder.")
        choice = self.ask(window, "The register is damaged",
                          f"The integrity check found damage in {paths.database} ({problem}). "
                          "CALNET Desk switched to read-only: nothing more is written to it, "
                          "and what you see can still be read and exported. Nothing was "
                          f"deleted. {backup}", [KEEP_READING, *restore, OTHER, QUIT])
        if choice == KEEP_READING:
            return
        if choice == OTHER:
            other = self._pick_folder()
            if other is not None:
                self.open(other)
            return
        root = session.root
        self.window = self.session = None
        window.close()  # closes the session: the database is no longer held
        if choice == RESTORE and self._restore(root):
            self.open(root)

    # --- drafts left by an editor that never closed ---------------------------------------

    def _pending_drafts(self, root: Path) -> list[Draft]:
        from calnet_desk.drafts import Drafts

        drafts, problems = Drafts(root).pending()
        for problem in problems:
            from PySide6.QtWidgets import QMessageBox

            QMessageBox.warning(self.window, "A draft could not be read", problem)
        return [d for d in drafts if d.kind in KINDS]

    def offer_next_draft(self) -> None:
        """Offer each draft in turn: Restore opens it in an editor (the next is offered when
        that editor closes), Discard removes it, closing the question keeps it for later."""
        from calnet_desk.drafts import DraftError, Drafts, describe

        from .formatting import show_moment

        window = self.window
        while self.drafts_left and window is not None:
            draft = self.drafts_left.pop(0)
            kind = KINDS[draft.kind]
            typed = {n: draft.fields.get(n) for n in kind.key_names}
            what = describe(draft, kind.singular,
                            kind.record_key(typed) if all(typed.values()) else None)
            when = f" (last kept {show_moment(draft.saved_at)})" if draft.saved_at else ""
            choice = self.ask(window, "Unsaved changes",
                              f"You were editing {what} when CALNET Desk closed{when}. Restore "
                              "what you typed, or discard it?",
                              [RESTORE_DRAFT, DISCARD_DRAFT, LATER])
            if choice == DISCARD_DRAFT:
                try:
                    Drafts(self.root).remove(draft.draft_id)
                except DraftError as e:
                    from PySide6.QtWidgets import QMessageBox

                    QMessageBox.warning(window, "Draft not removed", str(e))
                continue
            if choice == RESTORE_DRAFT:
                editor = window.restore_draft(draft)
                if editor is not None:
                    editor.finished.connect(lambda _=0: self.offer_next_draft())
                    return
            # Decide later (or the question was closed): the draft stays for the next start

    def _daily_backup(self) -> None:
        session = self.session
        if session is None or session.writer is None or session.read_only:
            return
        from calnet_desk.store.backups import daily_backup

        session.writer.submit(lambda reg, progress, cancelled: daily_backup(reg),
                              lambda _: None, lambda message, details: None)

    # --- switching ---------------------------------------------------------------------------

    def switch(self, root: object) -> None:
        self.open(Path(str(root)))

    def new_register(self) -> None:
        from PySide6.QtWidgets import QFileDialog, QMessageBox

        folder = QFileDialog.getExistingDirectory(self.window, "Choose an empty folder for the "
                                                  "new register")
        if not folder:
            return
        if RegisterPaths(Path(folder)).exists():
            QMessageBox.information(self.window, "A register is there already",
                                    "That folder holds a register already; it is opened.")
        self.open(Path(folder))

    def open_demo(self) -> None:
        folder = demo_folder()
        if not RegisterPaths(folder).exists():
            from PySide6.QtCore import Qt

            from calnet_desk.demo import create_demo

            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                wait_for(lambda: create_demo(folder).close())
            finally:
                QApplication.restoreOverrideCursor()
        self.open(folder)


def _wait_for_signal(signal: SignalInstance, limit_ms: int) -> None:
    """Process events until ``signal`` is emitted, or for ``limit_ms`` at most."""
    from PySide6.QtCore import QEventLoop

    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(limit_ms, loop.quit)
    loop.exec()
    signal.disconnect(loop.quit)


class _Once:
    """A callable that calls ``fn`` the first time only."""

    def __init__(self, fn: Callable[[], None]) -> None:
        self.fn: Callable[[], None] | None = fn

    def __call__(self) -> None:
        fn, self.fn = self.fn, None
        if fn is not None:
            fn()
