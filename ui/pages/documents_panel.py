"""Documents in the window: a record's documents under its record view (add by button or
by dropping files, open a read-only copy, detach, verify the stored bytes on demand), and
the helpers the Documents page shares (dropped files, the record picker, attaching).

Every write goes through the writer thread, then session.changed(kind, key) is emitted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from calnet_desk.operations import Attached, attach, detach
from calnet_desk.records import KINDS, Kind
from calnet_desk.store import documents as docs

from .. import messages as dialogs
from ..session import Session
from ..settings import remember_folder, start_folder
from ..style import ring_room
from ..worker import operation

CHECK_TEXT = {"ok": "OK", "changed": "Changed!", "missing": "Missing!",
              "checking": "Checking…", "": "Not checked"}


def local_files(mime: QMimeData) -> list[Path]:
    """The regular local files a drag carries (folders and remote URLs left out)."""
    if not mime.hasUrls():
        return []
    paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
    return [p for p in paths if p.is_file()]


def attach_files(session: Session, parent: QWidget, paths: list[Path], kind_name: str,
                 key: str, on_done: Callable[[int], None] | None = None) -> bool:
    """Store the files and link them to the record, on the writer thread, in one
    transaction; False (and a message) when the register is read-only."""
    if session.writer is None or session.read_only:
        dialogs.show_error(parent, "Read-only", "This register is open read-only; no "
                           "document was added.")
        return False
    kind = KINDS[kind_name]
    sources = list(paths)

    def done(attached: list[Attached]) -> None:
        session.changed.emit(kind_name, key)
        if on_done:
            on_done(sum(a.linked for a in attached))

    job = operation(attach, sources, kind, key, f"attach to {kind.singular} {key}")
    session.writer.submit(job, done, lambda message, details: dialogs.show_error(
        parent, "No document added", message, details))
    return True


def verify_async(session: Session, sha: str, on_result: Callable[[str], None]) -> None:
    """Re-hash one stored document on a background reader: "ok", "changed", "missing"."""
    session.read_async(lambda reg: docs.check_document(reg.paths, sha), on_result,
                       lambda message, details: on_result("missing"))


class RecordPicker(QDialog):
    """Which record a document goes with: a kind and a key (with completion)."""

    def __init__(self, session: Session, kinds: list[str], question: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Link to which record?")
        label = QLabel(question, self)
        label.setWordWrap(True)
        self.kind = QComboBox(self)
        self.kind.setAccessibleName("Record kind")
        for name in kinds:
            self.kind.addItem(KINDS[name].label, name)
        self.key = QLineEdit(self)
        self.key.setAccessibleName("Record key")
        self.key.setPlaceholderText("e.g. EX-2026-02")
        self.problem = QLabel(self)
        self.problem.setAccessibleName("Record problem")
        self.buttons = dialogs.dialog_buttons(self)
        form = QFormLayout()
        form.addRow("&Kind:", self.kind)
        form.addRow("K&ey:", self.key)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.kind.currentIndexChanged.connect(self._complete_keys)
        self._complete_keys()

    def _complete_keys(self) -> None:
        kind = KINDS[str(self.kind.currentData())]
        completer = QCompleter(sorted(self.session.reader.keys(kind)), self.key)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.key.setCompleter(completer)

    def chosen(self) -> tuple[str, str]:
        return str(self.kind.currentData()), self.key.text().strip()

    def accept(self) -> None:
        kind_name, key = self.chosen()
        kind = KINDS[kind_name]
        if not key or self.session.reader.get(kind, key) is None:
            self.problem.setText(f"There is no {kind.singular} {key or '(blank)'} in the "
                                 "register.")
            return
        super().accept()


def pick_record(parent: QWidget, session: Session, kinds: list[str], question: str
                ) -> tuple[str, str] | None:
    """(kind name, key) of an existing record, or None when cancelled."""
    dialog = RecordPicker(session, kinds, question, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.chosen()


class _DropFilter(QObject):
    """Lets another widget (the record view) take file drops on the panel's behalf."""

    def __init__(self, panel: RecordDocuments) -> None:
        super().__init__(panel)
        self.panel = panel

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            assert isinstance(event, QDropEvent)
            return self.panel.accept_drag(event)
        if event.type() == QEvent.Type.Drop:
            assert isinstance(event, QDropEvent)
            return self.panel.take_drop(event)
        return False


class RecordDocuments(QWidget):
    """The selected record's documents: add (button or drop), open, detach, verify."""

    open_document = Signal(str)  # sha256
    verified = Signal(str, str)  # sha256, "ok" / "changed" / "missing"

    def __init__(self, session: Session, kind: Kind, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.kind = kind
        self.key: str | None = None
        self.checks: dict[str, str] = {}
        self.setObjectName(f"documents-{kind.name}")
        self.setAcceptDrops(True)
        self.title = QLabel("Documents", self)
        self.table = QTableWidget(0, 4, self)
        self.table.setAccessibleName(f"Documents of the selected {kind.singular}")
        self.table.setHorizontalHeaderLabels(["Name", "Size", "SHA-256", "Stored copy"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(
            2, QHeaderView.ResizeMode.Stretch)
        self.add_button = QPushButton("&Add document…", self)
        self.add_button.setAccessibleName(f"Add a document to the selected {kind.singular}")
        self.open_button = QPushButton("&Open", self)
        self.open_button.setAccessibleName("Open a read-only copy of the selected document")
        self.detach_button = QPushButton("Deta&ch…", self)
        self.detach_button.setAccessibleName("Detach the selected document from the record")
        self.verify_button = QPushButton("&Verify", self)
        self.verify_button.setAccessibleName("Verify the selected document's stored copy")
        bar = QHBoxLayout()
        bar.addWidget(self.title, 1)
        for b in (self.add_button, self.open_button, self.detach_button, self.verify_button):
            bar.addWidget(b)
        layout = QVBoxLayout(self)
        ring_room(layout)  # its buttons and table reach its edges: their rings whole
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self.hint = QLabel("Drop files here or on the record to add them.", self)
        self.hint.setEnabled(False)
        layout.addWidget(self.hint)
        self.drop_filter = _DropFilter(self)
        self.add_button.clicked.connect(self.add_clicked)
        self.open_button.clicked.connect(self._open_selected)
        self.detach_button.clicked.connect(self.detach_selected)
        self.verify_button.clicked.connect(self.verify_selected)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.activated.connect(lambda index: self._open_selected())
        self.show_record(None)

    def take_drops_for(self, widget: QWidget) -> None:
        """Make files dropped on ``widget`` (the record view) land here."""
        widget.setAcceptDrops(True)
        widget.installEventFilter(self.drop_filter)
        viewport = getattr(widget, "viewport", None)
        if callable(viewport):
            viewport().setAcceptDrops(True)
            viewport().installEventFilter(self.drop_filter)

    # --- showing ---------------------------------------------------------------------------

    def writable(self) -> bool:
        return self.session.writer is not None and not self.session.read_only

    def show_record(self, key: str | None) -> None:
        self.key = key
        found = docs.documents_of(self.session.reader, self.kind, key) if key else []
        self.table.setRowCount(len(found))
        for r, d in enumerate(found):
            cells = [d.name, f"{d.size:,}", d.sha256, CHECK_TEXT[self.checks.get(d.sha256, "")]]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, d.sha256)
                if c == 2:
                    item.setToolTip(f"SHA-256 {d.sha256}")
                self.table.setItem(r, c, item)
            self._paint_check(r, self.checks.get(d.sha256, ""))
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(1)
        self.title.setText(f"Documents ({len(found)})" if key else "Documents")
        self._update_buttons()

    def _paint_check(self, row: int, state: str) -> None:
        item = self.table.item(row, 3)
        if item is not None:
            item.setText(CHECK_TEXT[state])
            if state in ("changed", "missing"):
                item.setForeground(QBrush(QColor("#b00020")))

    def selected_sha(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        value = rows[0].data(Qt.ItemDataRole.UserRole)
        return str(value) if value else None

    def _update_buttons(self) -> None:
        has = self.selected_sha() is not None
        self.add_button.setEnabled(bool(self.key) and self.writable())
        self.open_button.setEnabled(has)
        self.detach_button.setEnabled(has and self.writable())
        self.verify_button.setEnabled(has)

    # --- actions ---------------------------------------------------------------------------

    def _open_selected(self) -> None:
        sha = self.selected_sha()
        if sha:
            self.open_document.emit(sha)

    def add_clicked(self) -> None:
        if not self.key:
            return
        names, _ = QFileDialog.getOpenFileNames(
            self, f"Add documents to {self.kind.singular} {self.key}", start_folder(self),
            "All files (*)")
        if names:
            remember_folder(self, names[0])
            self.add_files([Path(n) for n in names])

    def add_files(self, paths: list[Path]) -> bool:
        if not self.key or not paths:
            return False
        return attach_files(self.session, self, paths, self.kind.name, self.key)

    def detach_selected(self) -> None:
        sha, key = self.selected_sha(), self.key
        if not sha or not key or not self.writable():
            return
        doc = docs.get_document(self.session.reader, sha)
        name = doc.name if doc else sha[:12]
        reason = dialogs.ask_reason(
            self, "Detach a document",
            f"Detach {name} from {self.kind.singular} {key}? The stored file is kept (other "
            "records and backups may need it). Why is it detached?")
        if reason is None:
            return
        kind = self.kind
        assert self.session.writer is not None

        self.session.writer.submit(
            operation(detach, sha, kind, key, reason or f"detach from {kind.singular} {key}"),
            lambda _: self.session.changed.emit(kind.name, key),
            lambda message, details: dialogs.show_error(self, "Not detached", message,
                                                        details))

    def verify_selected(self) -> None:
        sha = self.selected_sha()
        if not sha:
            return
        self.checks[sha] = "checking"
        self._repaint_checks()

        def done(state: str) -> None:
            self.checks[sha] = state
            self._repaint_checks()
            self.verified.emit(sha, state)

        verify_async(self.session, sha, done)

    def _repaint_checks(self) -> None:
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            if item is not None:
                self._paint_check(r, self.checks.get(str(item.data(Qt.ItemDataRole.UserRole)),
                                                     ""))

    # --- drops -----------------------------------------------------------------------------

    def accept_drag(self, event: QDropEvent) -> bool:
        if self.key and self.writable() and local_files(event.mimeData()):
            event.acceptProposedAction()
            return True
        event.ignore()
        return False

    def take_drop(self, event: QDropEvent) -> bool:
        paths = local_files(event.mimeData())
        if not (self.key and self.writable() and paths):
            event.ignore()
            return False
        event.acceptProposedAction()
        self.add_files(paths)
        return True

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self.accept_drag(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self.accept_drag(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.take_drop(event)


VERIFY_WORDS = {"ok": "the stored copy is OK (its SHA-256 matches)",
                "changed": "the stored copy has CHANGED (its SHA-256 no longer matches); "
                           "restore it from a backup",
                "missing": "the stored copy is MISSING; restore it from a backup"}


class DocumentsPageActions(QObject):
    """The Documents page's additions: Add document… (a file, then the record to link it
    to), files dropped on the page (the same question), and Verify for the selected one."""

    verified = Signal(str, str)  # sha256, "ok" / "changed" / "missing"

    def __init__(self, session: Session, page: QWidget, selected: Callable[[], str | None],
                 kinds: list[str] | None = None) -> None:
        super().__init__(page)
        self.session = session
        self.page = page
        self.selected = selected
        self.kinds = kinds or list(KINDS)
        self.add_button = QPushButton("&Add document…", page)
        self.add_button.setAccessibleName("Add a document and link it to a record")
        self.verify_button = QPushButton("&Verify", page)
        self.verify_button.setAccessibleName("Verify the selected document's stored copy")
        self.result = QLabel(page)
        self.result.setAccessibleName("Verify result")
        self.result.setWordWrap(True)
        self.add_button.setEnabled(not session.read_only)
        self.add_button.clicked.connect(self.add_clicked)
        self.verify_button.clicked.connect(self.verify_selected)
        page.setAcceptDrops(True)
        page.installEventFilter(self)

    def add_clicked(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self.page, "Add documents",
                                                start_folder(self.page), "All files (*)")
        if names:
            remember_folder(self.page, names[0])
            self.add_files([Path(n) for n in names])

    def add_files(self, paths: list[Path]) -> bool:
        """Ask which record the files go with, then attach them; False when cancelled."""
        if not paths or self.session.read_only:
            return False
        names = ", ".join(p.name for p in paths[:3]) + (" …" if len(paths) > 3 else "")
        target = pick_record(self.page, self.session, self.kinds,
                             f"A document is always kept with a record. Which record do "
                             f"{names} belong to?")
        if target is None:
            return False
        return attach_files(self.session, self.page, paths, *target)

    def verify_selected(self) -> None:
        sha = self.selected()
        if not sha:
            return
        doc = docs.get_document(self.session.reader, sha)
        name = doc.name if doc else sha[:12]
        self.result.setText(f"Checking {name}…")

        def done(state: str) -> None:
            self.result.setText(f"{name}: {VERIFY_WORDS[state]}.")
            self.verified.emit(sha, state)

        verify_async(self.session, sha, done)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            assert isinstance(event, QDropEvent)
            if not self.session.read_only and local_files(event.mimeData()):
                event.acceptProposedAction()
                return True
            return False
        if event.type() == QEvent.Type.Drop:
            assert isinstance(event, QDropEvent)
            paths = local_files(event.mimeData())
            if paths and not self.session.read_only:
                event.acceptProposedAction()
                self.add_files(paths)
                return True
        return False
