"""The main window: navigation with counts, the pages, menus, the status bar."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore
from PySide6.QtCore import QByteArray, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from calnet_desk.records import KINDS

from .formatting import readable, set_date_display
from .models import USER_ROLE
from .pages.dashboard import DashboardPage
from .session import Session
from .settings import Settings
from .style import ring_room
from .worker import operation

# What the first page does not need is imported when it is: the other pages, the dialogs
# (QFileDialog, QMessageBox, QProgressDialog), the operations that write, the documents
# and billing stores. Their modules, and the Qt classes PySide builds on first use (with
# their enums), were a large part of the cold start (issue 16 item 15).
if TYPE_CHECKING:
    from PySide6.QtGui import QAction, QCloseEvent

    from calnet_desk.operations import ImportDone, MarkedDeadlines
    from calnet_desk.store import Register

    from .pages.billing import BillingPage
    from .pages.workspace import DocumentsPage, RecordPage

AFTER_FIRST_PAGE_LATEST_MS = 2_000  # should the first page never be painted: build them anyway
PAGE_KINDS = ("orders", "exemptions", "delegations", "atos", "outside-contracts",
              "contracts", "catalog-items", "people")


class MainWindow(QMainWindow):
    # once: the first page is painted and on screen (the zero timer after its paint); the
    # start's other work follows it (the smoke test and the benchmark time the start to it)
    first_page_shown = Signal()
    switch_register = Signal(object)  # Path: the app reopens on another register
    new_register = Signal()
    open_demo = Signal()

    def __init__(self, session: Session, settings: Settings,
                 open_file: Callable[[Path], None] | None = None,
                 reveal: Callable[[Path], None] | None = None,
                 parent: QWidget | None = None, first_paint_first: bool = False) -> None:
        """``first_paint_first`` (the app's start): the menus' commands and the navigation's
        counts, which the first page does not need, come once it is painted (the menus'
        titles are there from the start, and opening one builds its commands at once)."""
        super().__init__(parent)
        self.session = session
        self.settings = settings
        set_date_display(settings.date_display())
        self.open_file = open_file or _open_with_viewer
        self.reveal = reveal or _show_in_folder
        # the folder of the copies opened in a viewer: made when first needed (finding the
        # system's temporary folder writes a test file there, ~2 ms of the start)
        self._temp: tempfile.TemporaryDirectory[str] | None = None
        agency = session.agency()
        self.setWindowTitle(f"CALNET Desk — {agency.get('name') or 'register'}")
        self.setObjectName("main-window")

        self.nav = QListWidget(self)
        self.nav.setAccessibleName("Pages")
        self.stack = QStackedWidget(self)
        self.dashboard = DashboardPage(session, self)
        self._add_page("Dashboard", self.dashboard, None)
        # The other pages are built the first time they are wanted (shown, or used by a
        # command): building all nine before the first paint was a large part of the cold
        # start. Until then the stack holds an empty placeholder in each one's place.
        self._rows: dict[str, int] = {}
        self._builders: dict[int, Callable[[], QWidget]] = {}
        self.pages = Pages(PAGE_KINDS, self._build_record_page)
        for name in PAGE_KINDS:
            self._add_lazy(KINDS[name].label, name, functools.partial(self.pages.__getitem__,
                                                                     name))
        self._documents: DocumentsPage | None = None
        self._add_lazy("Documents", "documents", lambda: self.documents)
        self._billing: Any = None  # BillingPage (its module is imported when it is built)
        self._add_lazy("Billing", "billing", lambda: self.billing)
        self.dashboard.follow.connect(self.open_record)
        self.dashboard.deadline_actions.acknowledged.connect(self._deadlines_acknowledged)
        self.nav.currentRowChanged.connect(self._show_row)
        self.nav.setMinimumWidth(self.fontMetrics().averageCharWidth() * 14)
        # a screen reader selects an entry (AT-SPI Selection) without moving the current row
        self.nav.itemSelectionChanged.connect(self._nav_selected)

        # side by side, its default; no argument: QSplitter(self) tries the overload taking a
        # QtCore.Qt.Orientation first, which makes PySide build its whole `Qt` namespace (~25 ms)
        split = QSplitter()  # the layout below makes it a child of the window
        split.setObjectName("navigation-split")
        split.addWidget(self.nav)
        split.addWidget(self.stack)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        ring_room(split)  # the list's focus ring whole, by the window's edges too
        chars = self.fontMetrics().averageCharWidth()
        split.setSizes([chars * 24, chars * 156])  # the pages get the room (until moved)
        self.navigation = split
        self.navigation_set = False  # widths the person chose (or a saved layout) stay
        split.splitterMoved.connect(self._navigation_moved)
        central = QWidget(self)
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self.setCentralWidget(central)

        self._menus = self._build_menu_bar()
        self._actions_built = False
        self._first_page_done = not first_paint_first
        self.dashboard.shown.connect(lambda: QTimer.singleShot(0, self._first_page_on_screen))
        if first_paint_first:
            QTimer.singleShot(AFTER_FIRST_PAGE_LATEST_MS, self, self._after_first_page)
        else:
            self.build_actions()
        where = f"{session.root}"
        self.mode = QLabel("Read-only" if session.read_only else "", self)
        self.statusBar().addWidget(QLabel(f"{agency.get('name')} · "
                                          f"{readable(str(agency.get('agency_class')))} · "
                                          f"{where}", self), 1)
        self.statusBar().addPermanentWidget(self.mode)
        session.writer_ready.connect(self._writer_ready)
        session.changed.connect(self._record_changed)
        if not first_paint_first:
            self.update_counts()
        self.nav.setCurrentRow(0)
        self.resize(self.fontMetrics().averageCharWidth() * 180,
                    self.fontMetrics().height() * 45)
        # the size, place and splitter of the last session: the navigation's is the window's
        # only splitter until a page is built (each page's come with it); findChildren would
        # make PySide wrap every child, building ~8 Qt classes' types (~4 ms of the start)
        self.restore_layout([split])

    def view_folder(self) -> Path:
        """The window's temporary folder for the copies it opens in a viewer (removed when
        the window closes)."""
        if self._temp is None:
            self._temp = tempfile.TemporaryDirectory(prefix="calnet-desk-view-")
        return Path(self._temp.name)

    # --- the layout kept from one session to the next ----------------------------------------

    def restore_layout(self, splitters: Sequence[QSplitter] | None = None) -> None:
        """The window's size and place, and its splitters' (all of them by default)."""
        saved = self.settings.value(GEOMETRY_KEY)
        if isinstance(saved, QByteArray | bytes) and saved:
            self.restoreGeometry(QByteArray(saved))
        for splitter in self.findChildren(QSplitter) if splitters is None else splitters:
            self._restore_splitter(splitter)

    def _restore_splitters(self, within: QWidget) -> None:
        for splitter in within.findChildren(QSplitter):
            self._restore_splitter(splitter)

    def _restore_splitter(self, splitter: QSplitter) -> None:
        state = self.settings.value(f"{SPLITTER_KEY}/{splitter.objectName()}")
        if splitter.objectName() and isinstance(state, QByteArray | bytes) and state:
            splitter.restoreState(QByteArray(state))
            if splitter.objectName() == "navigation-split":
                self.navigation_set = True

    def save_layout(self) -> None:
        self.settings.set_value(GEOMETRY_KEY, self.saveGeometry())
        for splitter in self.findChildren(QSplitter):
            if splitter.objectName():
                self.settings.set_value(f"{SPLITTER_KEY}/{splitter.objectName()}",
                                        splitter.saveState())
        for page in self.pages.built():
            page.save_columns()

    # --- building ----------------------------------------------------------------------------

    def _add_page(self, label: str, page: QWidget, name: str | None) -> None:
        item = QListWidgetItem(self.nav)  # text after: see DeadlineActions' buttons (QIcon)
        item.setText(label)
        item.setData(USER_ROLE, name)
        self.stack.addWidget(page)

    def _add_lazy(self, label: str, name: str, build: Callable[[], QWidget]) -> None:
        """A page in the navigation whose widget is built when it is first wanted."""
        placeholder = QWidget(self.stack)
        placeholder.setObjectName(f"page-{name}-not-built")
        self._rows[name] = self.stack.count()
        self._builders[self.stack.count()] = build
        self._add_page(label, placeholder, name)

    def _show_row(self, row: int) -> None:
        build = self._builders.get(row)
        if build is not None:
            build()
        self.stack.setCurrentIndex(row)

    def _place(self, name: str, page: QWidget) -> None:
        """Put a page just built where its placeholder was, with its remembered splitters."""
        row = self._rows[name]
        del self._builders[row]
        placeholder = self.stack.widget(row)
        assert placeholder is not None
        was_current = self.stack.currentIndex() == row
        self.stack.insertWidget(row, page)
        self.stack.removeWidget(placeholder)
        placeholder.deleteLater()
        if was_current:
            self.stack.setCurrentIndex(row)
        self._restore_splitters(page)

    def _build_record_page(self, name: str) -> RecordPage:
        from .pages.workspace import RecordPage

        page = RecordPage(self.session, KINDS[name], self, self.settings)
        page.follow.connect(self.open_record)
        page.open_document.connect(self.open_document)
        page.delete_requested.connect(self.delete_record)
        page.edit_requested.connect(self.edit_record)
        self._place(name, page)
        page.show_selected()
        return page

    @property
    def documents(self) -> DocumentsPage:
        from .pages.workspace import DocumentsPage

        if self._documents is None:
            self._documents = DocumentsPage(self.session, self)
            self._documents.open_document.connect(self.open_document)
            self._place("documents", self._documents)
        return self._documents

    @property
    def billing(self) -> BillingPage:
        if self._billing is None:
            from .pages.billing import BillingPage

            self._billing = BillingPage(self.session, self)
            self._billing.follow.connect(self.open_record)
            self._place("billing", self._billing)
        page: BillingPage = self._billing
        return page

    def _action(self, text: str, slot: Callable[[], Any], shortcut: Any = None,
                menu: Any = None) -> QAction:
        from PySide6.QtGui import QAction, QKeySequence

        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        if menu is not None:
            menu.addAction(action)
        return action

    def _build_menu_bar(self) -> dict[str, Any]:
        """The menus' titles; their commands come with build_actions (Alt+F and the others
        work from the start: opening a menu builds them first)."""
        bar = self.menuBar()
        menus = {}
        for title in ("&File", "&Edit", "&Go", "&Tools", "&Help"):
            menu = bar.addMenu(title)
            menu.aboutToShow.connect(self.build_actions)
            menus[title] = menu
        return menus

    def _first_page_on_screen(self) -> None:
        self.first_page_shown.emit()  # first: what waits for it comes after
        self.dashboard.deadline_actions.bind_menu()
        self._after_first_page()

    def _after_first_page(self) -> None:
        """What the first page did not need: the menus' commands, the navigation's counts
        (once; the first of the painted page and the fallback timer does it)."""
        if not self._first_page_done and not self.session.closed:  # (not closed meanwhile)
            self._first_page_done = True
            self.build_actions()
            self.update_counts()

    def build_actions(self) -> None:
        """The menus' commands and their shortcuts (once)."""
        if self._actions_built:
            return
        self._actions_built = True
        from PySide6.QtGui import QKeySequence  # (its type, with its enums, built here)

        menus = self._menus
        file_menu = menus["&File"]
        # Ctrl+N makes a new record (Edit menu); a new register is rarer
        self._action("&New register…", self.new_register.emit, "Ctrl+Shift+N", file_menu)
        self._action("&Open register…", self._open_register, QKeySequence.StandardKey.Open,
                     file_menu)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._action("Open &demo register", self.open_demo.emit, None, file_menu)
        file_menu.addSeparator()
        self.backup_action = self._action("&Back up now", self.backup_now, None, file_menu)
        self._action("&Import a spreadsheet…", lambda: self.import_spreadsheet(), "Ctrl+I",
                     file_menu)
        self._action("Export this vie&w (XLSX or CSV)…", self.export_view, None, file_menu)
        self._action("Save the record's summar&y as PDF…", lambda: self.save_summary(),
                     QKeySequence.StandardKey.Print, file_menu)
        self._action("Export deadlines to &calendar…", lambda: self.export_calendar(), None,
                     file_menu)
        self._action("&Print the record's summary…", self.print_summary, None, file_menu)
        file_menu.addSeparator()
        self._action("Export an &audit bundle…", self.export_bundle, None, file_menu)
        self._action("&Verify a bundle…", lambda: self.verify_bundle(), None, file_menu)
        self._action("&Merge a bundle…", lambda: self.merge_bundle(), None, file_menu)
        file_menu.addSeparator()
        self._action("E&xit", self.close, QKeySequence.StandardKey.Quit, file_menu)

        edit = menus["&Edit"]
        self.undo_action = self._action("&Undo last save", self.undo_last_save,
                                        QKeySequence.StandardKey.Undo, edit)
        self.undo_action.setEnabled(False)
        edit.addSeparator()
        self._action("&New record…", lambda: self.edit_selected("new"), "Ctrl+N", edit)
        self._action("&Edit record…", lambda: self.edit_selected("edit"), "Ctrl+E", edit)
        self._action("Du&plicate record…", lambda: self.edit_selected("duplicate"), "Ctrl+D",
                     edit)
        self._action("&Find", self.focus_search, QKeySequence.StandardKey.Find, edit)
        self.delete_action = self._action("&Delete record…", self.delete_selected,
                                          QKeySequence.StandardKey.Delete, edit)
        edit.addSeparator()
        self._action("Se&ttings…", self.open_settings, "Ctrl+,", edit)

        go = menus["&Go"]
        for row in range(self.nav.count()):
            label = self.nav.item(row).text().split(" · ")[0]  # without its count
            shortcut = f"Ctrl+{row + 1}" if row < 9 else None
            self._action(f"&{label}" if row >= 9 else f"&{row + 1} {label}",
                         self._go_to(row), shortcut, go)
        go.addSeparator()
        self._action("Re&fresh", self.refresh, QKeySequence.StandardKey.Refresh, go)

        tools = menus["&Tools"]
        self._action("&Check a purchase…", self.check_purchase, None, tools)
        self._action("&IPR calculator…", self.ipr_calculator, None, tools)

        help_menu = menus["&Help"]
        self._action("&Rules and citations…", self.show_rules, None, help_menu)
        self._action("&About CALNET Desk", self._about, None, help_menu)

    # --- navigation --------------------------------------------------------------------------

    def _go_to(self, row: int) -> Callable[..., None]:
        def go(checked: bool = False) -> None:
            self.nav.setCurrentRow(row)

        return go

    def current_page(self) -> QWidget | None:
        return self.stack.currentWidget()

    def show_page(self, name: str) -> None:
        for row in range(self.nav.count()):
            if self.nav.item(row).data(USER_ROLE) == name:
                self.nav.setCurrentRow(row)
                return

    def open_record(self, kind: str, key: str) -> None:
        page = self.pages.get(kind)
        if page is None:
            return
        self.show_page(kind)
        if not page.select_key(key):
            self.statusBar().showMessage(f"{KINDS[kind].singular.capitalize()} {key} is not "
                                         "in the register", 5000)
            return
        page.table.setFocus()

    def focus_search(self) -> None:
        from .pages.workspace import DocumentsPage, RecordPage

        page = self.current_page()
        if isinstance(page, RecordPage | DocumentsPage):
            page.search.setFocus()
            page.search.selectAll()
        else:
            self.show_page("orders")
            self.pages["orders"].search.setFocus()

    def update_counts(self) -> None:
        from calnet_desk.store import documents as docs
        from calnet_desk.store.billing import statements as billing_statements
        from calnet_desk.store.browse import counts

        n = counts(self.session.reader, [KINDS[k] for k in PAGE_KINDS])
        n["documents"] = docs.document_count(self.session.reader)
        n["billing"] = len(billing_statements(self.session.reader))
        for row in range(self.nav.count()):
            item = self.nav.item(row)
            name = item.data(USER_ROLE)
            base = item.text().split(" · ")[0]
            item.setText(f"{base} · {n[name]:,}" if name else base)
            item.setData(QtCore.Qt.ItemDataRole.AccessibleTextRole, item.text())
        self.fit_navigation()

    def _navigation_moved(self) -> None:
        self.navigation_set = True

    def fit_navigation(self) -> None:
        """The navigation widened to its longest entry once the counts are in ("Orders
        (STD. 20) · 2,00" was cut at 150 %), unless its width was chosen or restored."""
        if self.navigation_set:
            return
        sizes = self.navigation.sizes()
        bar = self.nav.verticalScrollBar()
        need = self.nav.sizeHintForColumn(0) + 2 * self.nav.frameWidth() \
            + (bar.sizeHint().width() if bar.isVisible() else 0)
        if len(sizes) == 2 and need > sizes[0]:
            self.navigation.setSizes([need, max(sizes[1] - (need - sizes[0]), 0)])

    def refresh(self) -> None:
        for page in self.pages.built():
            if page.model.ready:
                page.apply_filters()
        if self._documents is not None and self._documents.loaded:
            self._documents.reload()
        if self._billing is not None and self._billing.loaded:
            self._billing.reload()
        self.update_counts()
        self.session.refresh_overview()

    # --- actions -----------------------------------------------------------------------------

    def _writer_ready(self, error: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        if error:
            self.mode.setText("Read-only")
            QMessageBox.information(self, "Opened read-only",
                                    f"Changes are not possible right now: {error}")
        for page in self.pages.built():
            page.show_selected()

    def _nav_selected(self) -> None:
        rows = [i.row() for i in self.nav.selectedIndexes()]
        if rows and rows[0] != self.nav.currentRow():
            self.nav.setCurrentRow(rows[0])

    def went_read_only(self) -> None:
        """The session stopped writing (the integrity check found damage): say so in the
        status bar and turn off the commands that change records."""
        self.mode.setText("Read-only (damaged)")
        self.mode.setToolTip("The integrity check found damage: nothing more is written")
        for page in self.pages.built():
            page.show_selected()

    def _record_changed(self, kind: str, key: str) -> None:
        page = self.pages.if_built(kind)  # one not built yet reads the register when it is
        if page is not None:
            page.record_changed(key)
        self.update_counts()
        self.session.refresh_overview()

    # --- the record editor and undo of its last save -----------------------------------------

    def edit_selected(self, mode: str) -> None:
        from .pages.workspace import RecordPage

        page = self.current_page()
        if not isinstance(page, RecordPage):
            self.statusBar().showMessage("Open a register page (Orders, Exemptions, …) first",
                                         5000)
            return
        if mode == "new":  # always blank: Duplicate is the command that copies a record
            self.edit_record(page.kind.name, "", "new")
            return
        key = page.selected_key()
        if key:
            self.edit_record(page.kind.name, key, mode)

    def edit_record(self, kind_name: str, key: str, mode: str = "edit",
                    draft: Any = None) -> Any:
        """Open the editor (window-modal, not blocking), with a restored draft's typing if
        given; returns it."""
        from PySide6.QtWidgets import QMessageBox

        from .editors.record_editor import RecordEditor

        if self.session.read_only or self.session.writer is None:
            QMessageBox.information(self, "Read-only", "This register is open read-only.")
            return None
        editor = RecordEditor(self.session, KINDS[kind_name], key or None, mode, self,
                              draft=draft)
        editor.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.saved.connect(self._editor_saved)
        editor.packet_wanted.connect(self.keep_packet)
        self.editor = editor
        editor.open()
        return editor

    def print_summary(self) -> None:
        """File > Print the record's summary…: the summary (save_summary) written to a
        temporary PDF and opened in the system's PDF viewer, whose Print prints it."""
        from calnet_desk.store import documents as docs

        from .pages.workspace import RecordPage

        page = self.current_page()
        key = page.selected_key() if isinstance(page, RecordPage) else None
        name = (docs.safe_file_name(f"{page.kind.singular} {key} summary.pdf")
                if isinstance(page, RecordPage) and key else "summary.pdf")
        written = self.save_summary(self.view_folder() / name)
        if written is not None:
            self.statusBar().showMessage(f"Opened {written.name} in the PDF viewer: print it "
                                         "from there", 10000)
            self._open_copy(written)

    def keep_packet(self, kind_name: str, key: str) -> None:
        """Make a record's request packet, keep it with its documents (one transaction, in
        the history) and offer to open it."""
        from PySide6.QtWidgets import QMessageBox
        from shiboken6 import isValid

        from .messages import show_error

        editor = getattr(self, "editor", None)

        def tell(message: str) -> None:
            if editor is not None and isValid(editor) and editor.isVisible():
                editor.packet_done(message)

        if self.session.writer is None or self.session.read_only:
            tell("This register is open read-only; no packet was made.")
            return

        def job(reg: Any, progress: Any, cancelled: Any) -> Any:
            from calnet_desk.exchange.packet import keep_packet

            return keep_packet(reg, kind_name, key)

        def done(kept: Any) -> None:
            self.session.changed.emit(kind_name, key)
            singular = KINDS[kind_name].singular
            missing = (f"; {len(kept.missing)} element(s) marked missing" if kept.missing
                       else "")
            message = (f"{kept.name} ({kept.pages} page(s){missing}) is kept with "
                       f"{singular} {key}'s documents.")
            tell(message)
            parent = editor if editor is not None and isValid(editor) and \
                editor.isVisible() else self
            box = QMessageBox(QMessageBox.Icon.Information, "Request packet kept", message,
                              QMessageBox.StandardButton.NoButton, parent)
            open_button = box.addButton("&Open", QMessageBox.ButtonRole.AcceptRole)
            box.addButton("&Close", QMessageBox.ButtonRole.RejectRole)
            box.setDefaultButton(open_button)
            box.buttonClicked.connect(
                lambda b: self.open_document(kept.sha256) if b is open_button else None)
            box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
            self.packet_box = box
            box.open()

        def failed(message: str, details: str) -> None:
            tell(f"Packet not made: {message}")
            if editor is None or not isValid(editor) or not editor.isVisible():
                show_error(self, "Packet not made", message, details)

        self.session.writer.submit(job, done, failed)

    def restore_draft(self, draft: Any) -> Any:
        """Open an editor on what a person typed before CALNET Desk closed; returns it. A
        record deleted since comes back as a new one, so the typing is still there."""
        kind = KINDS[draft.kind]
        if draft.mode != "new" and (draft.source_key is None
                                    or self.session.reader.get(kind, draft.source_key) is None):
            draft.mode, draft.source_key, draft.expected_entry = "new", None, None
            self.statusBar().showMessage(
                f"That {kind.singular} is no longer in the register: your typing is in a new "
                f"{kind.singular}.", 10000)
        return self.edit_record(kind.name, draft.source_key or "", draft.mode, draft)

    def _editor_saved(self, saved: Any) -> None:
        self.last_save = saved
        self.undo_action.setEnabled(True)
        self.undo_action.setText(f"&Undo last save ({KINDS[saved.kind].singular} {saved.key})")
        page = self.pages.if_built(saved.kind)
        if page is not None and saved.previous is None:  # a new row: read the page again
            page.apply_filters()
        self.open_record(saved.kind, saved.key)
        self.statusBar().showMessage(f"Saved {KINDS[saved.kind].singular} {saved.key}", 5000)

    def _deadlines_acknowledged(self, marked: Any) -> None:
        """Acknowledging is what Undo undoes now, and Undo says so."""
        self.last_save = marked
        self.undo_action.setEnabled(True)
        self.undo_action.setText(f"&Undo acknowledging {marked.count} deadline"
                                 f"{'s' if marked.count != 1 else ''}")

    def undo_last_save(self) -> None:
        from calnet_desk.operations import ImportDone, MarkedDeadlines, undo_save

        from .messages import show_error

        saved = getattr(self, "last_save", None)
        if saved is None or self.session.writer is None:
            return
        if isinstance(saved, ImportDone):
            self._undo_import(saved)
            return
        if isinstance(saved, MarkedDeadlines):
            self._undo_marks(saved)
            return

        def done(_: object) -> None:
            self.last_save = None
            self.undo_action.setEnabled(False)
            self.undo_action.setText("&Undo last save")
            self.session.changed.emit(saved.kind, saved.key)
            self.statusBar().showMessage(
                f"Undid the last save of {KINDS[saved.kind].singular} {saved.key}", 5000)

        def failed(message: str, details: str) -> None:
            self.last_save = None  # it cannot succeed later either
            self.undo_action.setEnabled(False)
            self.undo_action.setText("&Undo last save")
            show_error(self, "Not undone", message, details)

        self.session.writer.submit(operation(undo_save, saved), done, failed)

    def _undo_import(self, batch: ImportDone) -> None:
        from calnet_desk.operations import undo_import

        from .messages import show_error

        def finish() -> None:
            self.last_save = None
            self.undo_action.setEnabled(False)
            self.undo_action.setText("&Undo last save")

        def done(n: object) -> None:
            finish()
            self.session.changed.emit(batch.kind, "")
            self.statusBar().showMessage(f"Undid the import of {batch.name}: {n} record(s) "
                                         "as they were before it", 10000)

        def failed(message: str, details: str) -> None:
            finish()  # it cannot succeed later either
            show_error(self, "Not undone", message, details)

        assert self.session.writer is not None
        self.session.writer.submit(
            operation(undo_import, batch.kind, batch.name, batch.entries), done, failed)

    def _undo_marks(self, marked: MarkedDeadlines) -> None:
        from calnet_desk.operations import undo_marks

        from .messages import show_error

        def finish() -> None:
            self.last_save = None
            self.undo_action.setEnabled(False)
            self.undo_action.setText("&Undo last save")

        def done(n: object) -> None:
            finish()
            self.session.refresh_overview()
            self.statusBar().showMessage(f"Undid acknowledging {n} deadline(s)", 10000)

        def failed(message: str, details: str) -> None:
            finish()  # it cannot succeed later either
            show_error(self, "Not undone", message, details)

        assert self.session.writer is not None
        self.session.writer.submit(operation(undo_marks, marked), done, failed)

    def delete_selected(self) -> None:
        from .pages.workspace import RecordPage

        page = self.current_page()
        if isinstance(page, RecordPage):
            key = page.selected_key()
            if key:
                self.delete_record(page.kind.name, key)

    def delete_record(self, kind_name: str, key: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        from calnet_desk.operations import delete_record

        from .messages import ask_reason, show_error

        kind = KINDS[kind_name]
        if self.session.read_only or self.session.writer is None:
            QMessageBox.information(self, "Read-only", "This register is open read-only.")
            return
        referrers = self.session.reader.referrers(kind, key)
        if referrers:
            names = ", ".join(f"{k.singular} {r}" for k, r in referrers[:5])
            QMessageBox.information(
                self, f"Cannot delete {kind.singular} {key}",
                f"{kind.singular.capitalize()} {key} is referred to by {names}"
                f"{' and more' if len(referrers) > 5 else ''}. Change those records first.")
            return
        reason = ask_reason(self, f"Delete {kind.singular} {key}",
                            f"Delete {kind.singular} {key}? The history keeps every value it "
                            "had. Why is it deleted?")
        if reason is None:
            return

        self.session.writer.submit(
            operation(delete_record, kind, key, reason or None),
            lambda _: self.session.changed.emit(kind_name, key),
            lambda message, details: show_error(self, "Not deleted", message, details))

    def _long_job(self, title: str, label: str, job: Any, on_done: Callable[[Any], None],
                  failure_title: str) -> None:
        """Run a write job on the worker with a progress dialog whose Cancel really cancels
        (the job sees the flag, its transaction rolls back)."""
        from PySide6.QtWidgets import QMessageBox, QProgressDialog

        from .messages import show_error

        if self.session.writer is None or self.session.read_only:
            QMessageBox.information(self, "Read-only", "This register is open read-only.")
            return
        progress = QProgressDialog(label, "Cancel", 0, 0, self)
        progress.setWindowTitle(title)
        progress.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(300)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        writer = self.session.writer

        def report(job_id: int, done: int, total: int) -> None:
            if ticket is not None and job_id == ticket.id:
                if total <= 0:  # not known (yet): the bar shows that work goes on
                    progress.setMaximum(0)
                    progress.setValue(0)
                else:
                    progress.setMaximum(total)
                    progress.setValue(min(done, total))

        def finished(result: object) -> None:
            writer.progress.disconnect(report)
            progress.close()
            on_done(result)

        def failed(message: str, details: str) -> None:
            writer.progress.disconnect(report)
            progress.close()
            show_error(self, failure_title, message, details)

        ticket = None
        writer.progress.connect(report)
        ticket = writer.submit(job, finished, failed)
        progress.canceled.connect(ticket.cancel.set)
        self._last_progress = progress

    def backup_now(self) -> None:
        from calnet_desk.store.backups import make_backup

        def job(reg: Register, report: Any, cancelled: Any) -> str:
            return str(make_backup(reg, "manual", progress=report, cancelled=cancelled).path)

        self._long_job("Back up", "Backing up the register and its documents…", job,
                       lambda path: self.statusBar().showMessage(f"Backed up to {path}", 10000),
                       "Backup not made")

    def open_import_wizard(self, path: Path | None = None, kind_name: str | None = None
                           ) -> Any:
        """The import wizard (file, columns, preview, dry run); its Import runs
        import_spreadsheet with the mapping chosen."""
        from .pages.workspace import RecordPage
        from .wizards.import_wizard import ImportWizard

        page = self.current_page()
        given = kind_name is not None
        if kind_name is None and isinstance(page, RecordPage):
            kind_name = page.kind.name  # a guess from the file's header may replace it
        wizard = ImportWizard(self.session, PAGE_KINDS, path, kind_name, self)
        wizard.kind_fixed = given
        wizard.import_requested.connect(
            lambda p, k, m: self.import_spreadsheet(p, k, m))
        self.import_wizard = wizard
        wizard.open()
        return wizard

    def import_spreadsheet(self, path: Path | None = None, kind_name: str | None = None,
                           mapping: dict[int, str | None] | None = None) -> None:
        """Import a CSV/XLSX of one record kind: all rows or none, with progress and cancel.
        Without a file and kind, the import wizard asks for them."""
        from calnet_desk.operations import ImportDone, import_spreadsheet

        from .messages import show_error

        if path is None or kind_name is None:
            self.open_import_wizard(path, kind_name)
            return
        kind = KINDS[kind_name]
        source = path

        job = operation(import_spreadsheet, source, kind, mapping=mapping)

        def done(result: Any) -> None:
            if result.errors:
                shown = "\n".join(result.errors[:40])
                more = f"\n… and {len(result.errors) - 40} more" if len(result.errors) > 40 else ""
                show_error(self, "Nothing was imported",
                           f"{source.name}: {len(result.errors)} problem(s); nothing was "
                           "imported. Correct the cells named below and import again.",
                           shown + more)
                return
            ignored = f"; {len(result.notes)} column(s) ignored" if result.notes else ""
            self.statusBar().showMessage(
                f"{source.name}: {result.inserted} added, {result.updated} updated, "
                f"{result.unchanged} unchanged{ignored}", 10000)
            if result.entries is not None and result.inserted + result.updated:
                # the import is what Undo undoes now, and Undo says so
                self.last_save = ImportDone(kind_name, source.name, result.entries,
                                            result.inserted + result.updated)
                self.undo_action.setEnabled(True)
                self.undo_action.setText(f"&Undo the import of {source.name} "
                                         f"({result.inserted + result.updated:,} "
                                         f"{kind.label.split(' (')[0].lower()})")
            self.session.changed.emit(kind_name, "")

        self._long_job("Import", f"Importing {source.name}…", job, done, "Not imported")

    def export_view(self) -> None:
        """Write what the page shows (its filters and order) to XLSX or CSV (by the name's
        extension), in the background."""
        from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog

        from calnet_desk.exchange.sheets import TextNotKeptByXlsx

        from .messages import show_error
        from .pages.workspace import RecordPage

        page = self.current_page()
        if page is self.dashboard:
            self.export_dashboard()
            return
        if not isinstance(page, RecordPage):
            QMessageBox.information(self, "Export", "Open a register page (Orders, "
                                    "Exemptions, …) or the dashboard to export what it shows.")
            return
        name, chosen = QFileDialog.getSaveFileName(
            self, "Export this view", self.settings.export_path(f"{page.kind.name}.xlsx"),
            f"{XLSX_FILTER};;{CSV_FILTER}")
        if name:
            self.settings.remember_folder(name)
        if not name:
            return
        target = export_target(Path(name), chosen)
        kind, keys = page.kind, list(page.model.keys)
        # no Cancel button (None); the stubs know only text
        progress = QProgressDialog(f"Exporting {len(keys):,} {kind.label.lower()}…",
                                   None, 0, 0, self)  # type: ignore[call-overload]
        progress.setWindowTitle("Export")
        progress.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(400)

        def job(reg: Register) -> int | TextNotKeptByXlsx:
            try:
                export_keys(reg, kind, keys, target)
            except TextNotKeptByXlsx as e:  # a refusal to show, not a failure to explain
                return e
            return len(keys)

        def done(n: object) -> None:
            progress.close()
            if isinstance(n, TextNotKeptByXlsx):
                show_error(self, "Not exported", str(n))
                return
            self.statusBar().showMessage(f"Exported {n:,} {kind.label.lower()} to {target}",
                                         10000)

        def failed(message: str, details: str) -> None:
            progress.close()
            show_error(self, "Not exported", f"{message}; nothing was written", details)

        self.session.read_async(job, done, failed)

    def save_summary(self, path: Path | None = None) -> Path | None:
        """The selected record as its view shows it (fields, deadlines, findings, links,
        documents, history) to a PDF, to print or file; written whole or not at all."""
        from PySide6.QtCore import QMarginsF
        from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter
        from PySide6.QtWidgets import QFileDialog

        from .messages import show_error
        from .pages.workspace import RecordPage

        page = self.current_page()
        key = page.selected_key() if isinstance(page, RecordPage) else None
        if not isinstance(page, RecordPage) or not key or page.view.key != key:
            self.statusBar().showMessage("Select a record on a register page first", 5000)
            return None
        singular = page.kind.singular
        if path is None:
            name, _ = QFileDialog.getSaveFileName(
                self, f"Save the summary of {singular} {key}",
                self.settings.export_path(f"{singular} {key} summary.pdf"), "PDF (*.pdf)")
            if not name:
                return None
            path = Path(name)
        if path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + ".pdf")
        part = path.with_name(path.name + ".part")
        try:
            part.touch()  # the folder takes a file (else a sentence, not a Qt warning)
            writer = QPdfWriter(str(part))
            writer.setTitle(f"{singular.capitalize()} {key}")
            writer.setCreator("CALNET Desk")
            writer.setPageSize(QPageSize(QPageSize.PageSizeId.Letter))
            writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
            document = page.view.document().clone()
            document.print_(writer)
            del writer  # the file is finished when the writer goes
            if not part.is_file() or part.stat().st_size == 0:
                raise OSError(f"the folder {part.parent} cannot be written to")
            part.replace(path)
        except OSError as e:
            part.unlink(missing_ok=True)
            show_error(self, "Summary not saved", f"{path} could not be written "
                       f"({e.strerror or e}); nothing was saved.")
            return None
        self.statusBar().showMessage(f"Saved the summary of {singular} {key} to {path}", 10000)
        return path

    def export_dashboard(self, path: Path | None = None) -> None:
        """The dashboard's deadlines and findings as shown (filters and order), one table,
        XLSX or CSV by the extension."""
        from PySide6.QtWidgets import QFileDialog

        from calnet_desk.exchange.sheets import TextNotKeptByXlsx, write_csv, write_xlsx

        from .messages import show_error

        chosen = ""
        if path is None:
            name, chosen = QFileDialog.getSaveFileName(
                self, "Export the dashboard", self.settings.export_path("dashboard.xlsx"),
                f"{XLSX_FILTER};;{CSV_FILTER}")
            if not name:
                return
            path = Path(name)
        target = export_target(path, chosen)
        columns, rows = self.dashboard.view_rows()
        try:
            if target.suffix.lower() == ".xlsx":
                write_xlsx(target, "dashboard", columns, rows, [None] * len(columns),
                           dashboard_row)
            else:
                write_csv(target, columns, rows)
        except TextNotKeptByXlsx as e:
            show_error(self, "Not exported", str(e))
            return
        except OSError as e:
            show_error(self, "Not exported", f"{target} could not be written "
                       f"({e.strerror or e}); nothing was written.")
            return
        self.statusBar().showMessage(f"Exported {len(rows):,} dashboard row(s) to {target}",
                                     10000)

    def export_bundle(self) -> None:
        from .dialogs.bundles import ExportBundleDialog
        from .pages.workspace import RecordPage

        page = self.current_page()
        key = page.selected_key() if isinstance(page, RecordPage) else None
        selected = (page.kind.name, key) if isinstance(page, RecordPage) and key else None
        self.bundle_dialog = ExportBundleDialog(self.session, self, selected=selected,
                                                folder=self.settings.start_folder())
        self.bundle_dialog.open()  # window-modal, not blocking

    def verify_bundle(self, path: Path | None = None) -> None:
        from .dialogs.bundles import VerifyBundleDialog

        path = path or self._pick_bundle("Verify a bundle")
        if path is not None:
            VerifyBundleDialog(path, self).exec()

    def merge_bundle(self, path: Path | None = None) -> None:
        from .dialogs.bundles import MergeBundleDialog

        path = path or self._pick_bundle("Merge a bundle into this register")
        if path is not None:
            dialog = MergeBundleDialog(self.session, path, self)
            dialog.merged.connect(self.refresh)
            dialog.exec()

    # --- the rules on screen (procurement, IPR, rules, calendar) and the settings -------------

    def check_purchase(self) -> Any:
        """The procurement check wizard (window-modal, not blocking); returns it."""
        from .wizards.procurement_wizard import ProcurementWizard

        wizard = ProcurementWizard(self.session, self)
        wizard.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.open_record.connect(self.open_record)
        self.rules_dialog: QWidget = wizard
        wizard.open()
        return wizard

    def ipr_calculator(self) -> Any:
        from .dialogs.ipr_dialog import IprDialog

        dialog = IprDialog(self.session, self)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        self.rules_dialog = dialog
        dialog.open()
        return dialog

    def show_rules(self) -> Any:
        from .dialogs.rules_dialog import RulesDialog, rules_of

        dialog = RulesDialog(rules_of(self.session), self)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        self.rules_dialog = dialog
        dialog.open()
        return dialog

    def export_calendar(self, path: Path | None = None) -> None:
        from .dialogs.deadline_actions import export_calendar

        export_calendar(self, self.session, self.settings,
                        lambda text: self.statusBar().showMessage(text, 10000), path)

    def open_settings(self) -> Any:
        from .dialogs.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self.session, self)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self.refresh)  # dates shown anew, deadlines computed again
        self.rules_dialog = dialog
        dialog.open()
        return dialog

    def _pick_bundle(self, title: str) -> Path | None:
        from PySide6.QtWidgets import QFileDialog

        name, _ = QFileDialog.getOpenFileName(self, title, str(self.settings.start_folder()),
                                              "Bundle (*.zip)")
        if name:
            self.settings.remember_folder(name)
        return Path(name) if name else None

    def open_document(self, sha: str) -> None:
        from calnet_desk.store import documents as docs

        from .messages import show_error

        doc = docs.get_document(self.session.reader, sha)
        if doc is None:
            return
        from calnet_desk.store import RecordError

        try:
            copy = docs.export_copy(self.session.reader, doc, self.view_folder())
        except RecordError as e:  # the stored file is missing, unreadable or not a file
            show_error(self, "Cannot open the document", str(e))
            return
        except OSError as e:
            show_error(self, "Cannot open the document",
                       f"The read-only copy of {doc.name} could not be written "
                       f"({e.strerror or e}); the stored document is unchanged.")
            return
        self._open_copy(copy)

    def _open_copy(self, copy: Path) -> None:
        """A file the app wrote for viewing, opened with the system viewer (or said why not,
        with Show in folder)."""
        from calnet_desk.system import NoViewer

        from .messages import no_viewer

        try:
            self.open_file(copy)
        except NoViewer as e:
            self.viewer_message = no_viewer(self, str(e), copy, self.reveal)

    def _open_register(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        folder = QFileDialog.getExistingDirectory(self, "Open a register folder",
                                                  str(self.session.root.parent))
        if folder:
            self.switch_register.emit(Path(folder))

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_registers():
            action = self.recent_menu.addAction(str(path))
            action.triggered.connect(lambda checked=False, p=path: self.switch_register.emit(p))
        if not self.recent_menu.actions():
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    def _about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        from calnet_desk import __version__

        QMessageBox.about(self, "About CALNET Desk",
                          f"CALNET Desk {__version__}\nThe agency's CALNET file: orders, "
                          "exemptions, delegations and ATOs, with every rule cited.")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        from shiboken6 import isValid

        editor = getattr(self, "editor", None)
        if editor is not None and isValid(editor) and editor.isVisible():
            editor.reject()  # a changed form asks: save, discard or keep editing
            if isValid(editor) and editor.isVisible():
                event.ignore()
                if editor.saving:  # Save: the window closes once the record is saved
                    editor.accepted.connect(self.close)
                return
        self.session.close()
        if self._temp is not None:
            self._temp.cleanup()
        super().closeEvent(event)


class Pages(Mapping[str, "RecordPage"]):
    """The register pages by kind, each built the first time it is asked for (shown, or
    used by a command). Iterating names them all; built() gives only those that exist."""

    def __init__(self, names: Sequence[str], build: Callable[[str], RecordPage]) -> None:
        self._names = tuple(names)
        self._build = build
        self._built: dict[str, RecordPage] = {}

    def __getitem__(self, name: str) -> RecordPage:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._built:
            self._built[name] = self._build(name)
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def built(self) -> list[RecordPage]:
        return list(self._built.values())

    def if_built(self, name: str) -> RecordPage | None:
        return self._built.get(name)


GEOMETRY_KEY = "window/geometry"
SPLITTER_KEY = "window/splitters"
XLSX_FILTER = "Excel workbook (*.xlsx)"
CSV_FILTER = "CSV, UTF-8 (*.csv)"


def export_target(path: Path, chosen_filter: str = "") -> Path:
    """The file to write: its own .xlsx or .csv extension decides; without one, the
    file type chosen in the dialog (XLSX when none)."""
    if path.suffix.lower() in (".xlsx", ".csv"):
        return path
    return path.with_name(path.name + (".csv" if chosen_filter == CSV_FILTER else ".xlsx"))


def export_keys(reg: Register, kind: Any, keys: list[str], target: Path) -> None:
    """The records with these keys, in this order, in the canonical layout (what import
    reads back): XLSX when the target ends in .xlsx, else CSV; written atomically."""
    from calnet_desk.store.browse import read_rows
    from calnet_desk.values import to_cell_native, to_cell_text

    xlsx = target.suffix.lower() == ".xlsx"
    cell = to_cell_native if xlsx else to_cell_text

    def rows() -> Any:
        for start in range(0, len(keys), 2000):
            block = keys[start:start + 2000]
            found = read_rows(reg, kind, block)
            for k in block:
                if k in found:
                    yield [cell(f, found[k][f.name]) for f in kind.fields]

    if xlsx:
        from calnet_desk.exchange.exporter import record_row
        from calnet_desk.exchange.sheets import XLSX_FORMATS, write_xlsx

        write_xlsx(target, kind.name, kind.columns, rows(),
                   [XLSX_FORMATS.get(f.type) for f in kind.fields], record_row(kind))
    else:
        from calnet_desk.exchange.sheets import write_csv

        write_csv(target, kind.columns, rows())


def dashboard_row(number: int, row: Sequence[object]) -> str:
    """A row of the dashboard's export named by its section and record ("the finding on
    order O-1"), or by its number when it names no record."""
    section, record = str(row[0]).lower(), row[5]
    return f"the {section} on {record}" if record else f"row {number}"


def _open_with_viewer(path: Path) -> None:
    from calnet_desk.system import open_with_viewer

    open_with_viewer(path)


def _show_in_folder(path: Path) -> None:
    from calnet_desk.system import show_in_folder

    show_in_folder(path)
