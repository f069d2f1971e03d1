"""The workspace pages: one page per record kind, and the documents (the dashboard is in
.dashboard)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QDate,
    QEvent,
    QItemSelection,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from calnet_desk.records import Kind
from calnet_desk.store.browse import ViewQuery, status_values
from calnet_desk.store.documents import all_documents, all_links

from ..formatting import date_format, local_moment, readable, show_date, to_date
from ..models import KEY_ROLE, RecordTableModel, RowsModel
from ..session import Overview, Session
from ..settings import Settings
from ..style import ring_room
from .tables import KIND_LABELS, fit_columns, go_to_rows, table_view

# .record_view and .documents_panel are imported when a register page is first built, not
# before the first paint (the dashboard needs neither).


class RecordPage(QWidget):
    """A register page: filters, the table, and the record view beside it."""

    follow = Signal(str, str)
    open_document = Signal(str)
    delete_requested = Signal(str, str)
    edit_requested = Signal(str, str, str)  # kind, key ("" for new), mode
    populated = Signal()

    def __init__(self, session: Session, kind: Kind, parent: QWidget | None = None,
                 settings: Settings | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.kind = kind
        self.settings = settings  # where the columns chosen are remembered
        self._layout_before_search: QByteArray | None = None
        self.matched: list[str] = []  # the fields the search words were found in
        self.setObjectName(f"page-{kind.name}")
        self.model = RecordTableModel(session.reader, kind, self, load=False)

        self.search = QLineEdit(self)
        self.search.setPlaceholderText(f"Search {kind.label.lower()}…")
        self.search.setAccessibleName(f"Search {kind.label}")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Down or Enter goes to the results")
        down_or_enter_to_results(self.search, self.go_to_results)
        self.status = QComboBox(self)
        self.status.setAccessibleName("Filter by status")
        self.status.addItem("All", None)
        for value in status_values(session.reader, kind):
            self.status.addItem(readable(value), value)
        self.status.setVisible(bool(kind.status_field))
        # on Linux Qt names a combo box by its current text ("All, combo box"): a screen
        # reader takes its name from the label it is the buddy of (AT-SPI labelled-by)
        self.status_label = QLabel("Status:", self)
        self.status_label.setBuddy(self.status)
        self.status_label.setVisible(bool(kind.status_field))
        date_label = kind.by_name[kind.date_field].label if kind.date_field else ""
        self.use_from = QCheckBox(f"{date_label} fro&m", self)
        self.use_from.setAccessibleName(f"Filter {date_label} from a date")
        self.date_from = QDateEdit(self)
        self.date_from.setAccessibleName(f"{date_label} from")
        self.use_to = QCheckBox("&until", self)
        self.use_to.setAccessibleName(f"Filter {date_label} up to a date")
        self.date_to = QDateEdit(self)
        self.date_to.setAccessibleName(f"{date_label} to")
        today = QDate.currentDate()
        self.date_from.setDate(today.addYears(-1))
        self.date_to.setDate(today)
        for w in (self.date_from, self.date_to):
            w.setDisplayFormat(date_format())
            w.setCalendarPopup(True)
            w.setEnabled(False)
        for widget in (self.use_from, self.date_from, self.use_to, self.date_to):
            widget.setVisible(bool(kind.date_field))
        self.count = QLabel(self)
        self.delete_button = QPushButton("&Delete…", self)
        self.delete_button.setAccessibleName(f"Delete the selected {kind.singular}")
        self.delete_button.setEnabled(False)
        self.new_button = QPushButton("&New…", self)
        self.new_button.setAccessibleName(f"New {kind.singular}")
        self.edit_button = QPushButton("Ed&it…", self)
        self.edit_button.setAccessibleName(f"Edit the selected {kind.singular}")
        self.duplicate_button = QPushButton("Du&plicate…", self)
        self.duplicate_button.setAccessibleName(f"Duplicate the selected {kind.singular}")
        self.new_button.setEnabled(not session.read_only)
        for b in (self.edit_button, self.duplicate_button):
            b.setEnabled(False)

        # two rows, so a laptop at 150 % (911 px wide) holds the page: the search box and
        # the commands, then the filters
        self.search.setMinimumWidth(self.fontMetrics().averageCharWidth() * 18)
        bar = QHBoxLayout()
        bar.addWidget(self.search, 3)
        bar.addWidget(self.count, 1)
        bar.addWidget(self.new_button)
        bar.addWidget(self.edit_button)
        bar.addWidget(self.duplicate_button)
        bar.addWidget(self.delete_button)
        filters = QHBoxLayout()
        filters.addWidget(self.status_label)
        filters.addWidget(self.status)
        filters.addWidget(self.use_from)
        filters.addWidget(self.date_from)
        filters.addWidget(self.use_to)
        filters.addWidget(self.date_to)
        filters.addStretch(1)

        self.table = table_view(kind.label, self)
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setDefaultSectionSize(self.fontMetrics().averageCharWidth() * 16)
        header.setSectionsMovable(True)
        # the columns: right-click the header or the table (or Shift+F10) to choose them
        for view in (header, self.table):
            view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            view.customContextMenuRequested.connect(self._column_menu)
        header.sectionMoved.connect(self._remember_columns)
        from .documents_panel import RecordDocuments
        from .record_view import RecordView

        self.view = RecordView(self)
        self.view.follow.connect(self.follow)
        self.view.open_document.connect(self.open_document)
        self.documents = RecordDocuments(session, kind, self)  # add, drop, detach, verify
        self.documents.open_document.connect(self.open_document)
        self.documents.take_drops_for(self.view)
        self.documents.take_drops_for(self)  # files dropped anywhere on the page
        side = QSplitter(Qt.Orientation.Vertical, self)
        side.setObjectName(f"{kind.name}-side")  # its sizes are remembered by this name
        side.addWidget(self.view)
        side.addWidget(self.documents)
        side.setStretchFactor(0, 3)
        side.setStretchFactor(1, 1)
        side.setChildrenCollapsible(False)

        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.setObjectName(f"{kind.name}-split")
        split.addWidget(self.table)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        ring_room(split, side)  # the table's, record's and documents' focus rings whole
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        if kind.status_field or kind.date_field:
            layout.addLayout(filters)
        layout.addWidget(split, 1)
        # Tab from the search box goes to the results, then to the filters and buttons
        chain = (self.search, self.table, self.status, self.use_from, self.date_from,
                 self.use_to, self.date_to, self.new_button, self.edit_button,
                 self.duplicate_button, self.delete_button)
        for before, after in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(before, after)

        self._apply_timer = QTimer(self)
        self._apply_timer.setSingleShot(True)
        self._apply_timer.setInterval(0)  # coalesce bursts of keystrokes, add no delay
        self._apply_timer.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(self._apply_timer.start)
        self.status.currentIndexChanged.connect(self._apply_timer.start)
        for box in (self.use_from, self.use_to):
            box.toggled.connect(self._dates_toggled)
        self.date_from.dateChanged.connect(self._apply_timer.start)
        self.date_to.dateChanged.connect(self._apply_timer.start)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.modelReset.connect(self._update_count)
        self._fitted = False
        self.model.modelReset.connect(self._fit_once)
        self.model.rowsRemoved.connect(self._update_count)
        self.delete_button.clicked.connect(self._delete_clicked)
        self.new_button.clicked.connect(lambda: self.edit_requested.emit(kind.name, "", "new"))
        self.edit_button.clicked.connect(lambda: self._edit_clicked("edit"))
        self.duplicate_button.clicked.connect(lambda: self._edit_clicked("duplicate"))
        self.table.activated.connect(lambda index: self._edit_clicked("edit"))
        self.session.overview_ready.connect(self._overview_ready)

    def showEvent(self, event: Any) -> None:
        self.ensure_loaded()  # a page reads its rows when first shown, not at start-up
        super().showEvent(event)

    def go_to_results(self) -> None:
        """From the search box to the results: the first row selected unless one is."""
        if self._apply_timer.isActive():  # what was just typed is applied first
            self._apply_timer.stop()
            self.apply_filters()
        go_to_rows(self.table, self.selected_key() is not None)

    def ensure_loaded(self) -> None:
        if not self.model.ready:
            self.apply_filters()
            self._fit_once()

    # --- filters ---------------------------------------------------------------------------

    def _dates_toggled(self) -> None:
        self.date_from.setEnabled(self.use_from.isChecked())
        self.date_to.setEnabled(self.use_to.isChecked())
        self._apply_timer.start()

    def current_query(self) -> ViewQuery:
        q = self.model.query
        status = self.status.currentData()
        return ViewQuery(
            self.kind, q.sort_field, q.descending, (status,) if status else (),
            to_date(self.date_from.date()) if self.use_from.isChecked() else None,
            to_date(self.date_to.date()) if self.use_to.isChecked() else None,
            self.search.text())

    def apply_filters(self) -> None:
        if not self.model.ready:
            self.model.query = self.current_query()
            self.model.reload()
            self.populated.emit()
            return
        key = self.selected_key()
        self.model.set_query(self.current_query())
        # keep the selection if the record is still shown; never clear the filters for it
        # (that erased the search box under the user's typing, issue 16 item 1)
        row = self.model.row_of(key) if key else -1
        if row < 0 and self.model.total() == 1 and self.search.text().strip():
            row = 0  # a single hit is selected: its record shows, Enter opens it
        if row >= 0:
            self.table.selectRow(row)
            self.table.setCurrentIndex(self.model.index(row, 0))
        elif key:
            self.show_selected()  # the record left the view: so does its record view
        self._show_matched()
        self._update_count()
        self.populated.emit()

    def _fit_once(self) -> None:
        if not self._fitted and self.model.rowCount() > 0:
            fit_columns(self.table, 28)
            self._fitted = True
            saved = self.settings.value(self._columns_key()) if self.settings else None
            if isinstance(saved, QByteArray | bytes) and saved:
                self.table.horizontalHeader().restoreState(QByteArray(saved))

    # --- columns: chosen, remembered, and the matched ones shown --------------------------

    def _columns_key(self) -> str:
        return f"columns/{self.kind.name}"

    def column_menu(self) -> QMenu:
        """Each field with a tick when its column is shown (the key always is)."""
        menu = QMenu(self)
        header = self.table.horizontalHeader()
        for c, f in enumerate(self.kind.fields):
            action = menu.addAction(f.label)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(c))
            action.setEnabled(f.name not in self.kind.key_names)
            action.toggled.connect(lambda on, c=c: self.show_column(c, on))
        return menu

    def _column_menu(self, pos: Any) -> None:
        self._menu = self.column_menu()
        self._menu.popup(self.sender().mapToGlobal(pos))  # type: ignore[attr-defined]

    def show_column(self, column: int, shown: bool) -> None:
        self.table.horizontalHeader().setSectionHidden(column, not shown)
        if self._layout_before_search is not None:  # the choice outlives the search
            self._end_search_layout()
            self.table.horizontalHeader().setSectionHidden(column, not shown)
        self._remember_columns()

    def _remember_columns(self) -> None:
        if self.settings is not None and self._layout_before_search is None:
            self.settings.set_value(self._columns_key(),
                                    self.table.horizontalHeader().saveState())

    def save_columns(self) -> None:
        """The user's columns (not the search's moves), widths included, for next time."""
        if self.settings is not None and self._fitted:
            self.settings.set_value(self._columns_key(), self._layout_before_search
                                    or self.table.horizontalHeader().saveState())

    def _end_search_layout(self) -> None:
        if self._layout_before_search is not None:
            saved, self._layout_before_search = self._layout_before_search, None
            self.table.horizontalHeader().restoreState(saved)

    def _show_matched(self) -> None:
        """While searching, the columns the words were found in (in the first rows shown)
        move next to the key, shown even if hidden; the layout comes back after."""
        words = [w.strip('"').casefold() for w in self.search.text().split() if w.strip('"')]
        header = self.table.horizontalHeader()
        if not words or self.model.rowCount() == 0:
            self._end_search_layout()
            self.matched = []
            return
        if self._layout_before_search is None:
            self._layout_before_search = header.saveState()
        else:
            header.blockSignals(True)
            header.restoreState(self._layout_before_search)
            header.blockSignals(False)
        hits: dict[int, int] = {}  # column: rows it matched in
        for row in range(min(self.model.rowCount(), 50)):
            for c, f in enumerate(self.kind.fields):
                if f.name in self.kind.key_names:
                    continue
                text = str(self.model.index(row, c).data() or "").casefold()
                if any(w in text for w in words):
                    hits[c] = hits.get(c, 0) + 1
        # the column most rows matched in first (City for a town's name, not the one
        # description that mentions it), then in the fields' order
        found = sorted(hits, key=lambda c: (-hits[c], c))
        self.matched = [self.kind.fields[c].label for c in found]
        header.blockSignals(True)
        for place, c in enumerate(found, start=1):
            header.setSectionHidden(c, False)
            header.moveSection(header.visualIndex(c), place)
        header.blockSignals(False)

    def _update_count(self) -> None:
        total = self.model.total()
        noun = self.kind.label.lower() if total != 1 else self.kind.singular
        self.count.setText(f"{total:,} {noun}")
        self.count.setToolTip(f"Matched in: {', '.join(self.matched)}" if self.matched else "")

    # --- selection and the record view -----------------------------------------------------

    def selected_key(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        key = rows[0].data(KEY_ROLE)
        return str(key) if key is not None else None

    def select_key(self, key: str, scroll: bool = True) -> bool:
        self.ensure_loaded()
        row = self.model.row_of(key)
        if row < 0:
            # not in the current filter: clear the filters so the record can be shown
            self.search.clear()
            self.status.setCurrentIndex(0)
            self.use_from.setChecked(False)
            self.use_to.setChecked(False)
            self.apply_filters()
            row = self.model.row_of(key)
            if row < 0:
                return False
        index = self.model.index(row, 0)
        self.table.selectRow(row)
        if scroll:
            self.table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        self.table.setCurrentIndex(index)
        return True

    def _selection_changed(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        self.show_selected()

    def show_selected(self) -> None:
        key = self.selected_key()
        self.delete_button.setEnabled(bool(key) and not self.session.read_only)
        self.new_button.setEnabled(not self.session.read_only)
        for b in (self.edit_button, self.duplicate_button):
            b.setEnabled(bool(key) and not self.session.read_only)
        self.documents.show_record(key)
        if not key:
            self.view.clear_record()
            return
        overview = self.session.overview
        deadlines, findings = (overview.for_record(self.kind.name, key) if overview
                               else ([], []))
        self.view.show_record(self.session.reader, self.kind, key, deadlines, findings)

    def _overview_ready(self, overview: Overview) -> None:
        if self.view.key:
            self.show_selected()

    def _delete_clicked(self) -> None:
        key = self.selected_key()
        if key:
            self.delete_requested.emit(self.kind.name, key)

    def _edit_clicked(self, mode: str) -> None:
        key = self.selected_key()
        if key and not self.session.read_only:
            self.edit_requested.emit(self.kind.name, key, mode)

    def record_changed(self, key: str) -> None:
        """After a write: update that row (or drop it) without reloading the page."""
        if not self.model.ready:
            return
        if key:
            self.model.refresh_key(key)
        else:
            self.apply_filters()
        self.show_selected()


class DocumentsPage(QWidget):
    """Every document in the register with the records it is linked to."""

    open_document = Signal(str)
    follow = Signal(str, str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("page-documents")
        self.model = RowsModel(["Name", "Size", "Type", "Added", "Linked to", "SHA-256"], self)
        self.shown = WordFilter(self)  # the search box's words, over every column
        self.shown.setSourceModel(self.model)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search documents (name, type, linked record)…")
        self.search.setAccessibleName("Search documents")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._search_changed)
        self.search.setToolTip("Down or Enter goes to the results")
        down_or_enter_to_results(self.search, self.go_to_results)
        self.table = table_view("Documents", self)
        self.table.setModel(self.shown)
        self.table.activated.connect(self._activated)
        self.table.doubleClicked.connect(self._activated)
        self.open_button = QPushButton("&Open a read-only copy", self)
        self.open_button.setAccessibleName("Open the selected document")
        self.open_button.clicked.connect(self._open_selected)
        self.count = QLabel(self)
        # Add document… and dropped files (asking for the record), Verify
        from .documents_panel import DocumentsPageActions

        self.document_actions = DocumentsPageActions(session, self, self.selected_sha)
        bar = QHBoxLayout()
        bar.addWidget(self.search, 3)
        bar.addWidget(self.count, 1)
        bar.addWidget(self.document_actions.add_button)
        bar.addWidget(self.open_button)
        bar.addWidget(self.document_actions.verify_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.document_actions.result)
        self.loaded = False
        session.changed.connect(self._changed)

    def _changed(self, kind: str, key: str) -> None:
        """A write elsewhere (a document added or detached): reload now if shown."""
        if self.isVisible():
            self.reload()
        else:
            self.loaded = False

    def selected_sha(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        sha = rows[0].data(KEY_ROLE) if rows else None
        return str(sha) if sha else None

    def showEvent(self, event: Any) -> None:
        if not self.loaded:
            self.reload()
        super().showEvent(event)

    def reload(self) -> None:
        self.loaded = True
        reader = self.session.reader
        links: dict[str, list[str]] = {}
        for sha, kind, key in all_links(reader):  # by kind and key within each document
            links.setdefault(sha, []).append(f"{KIND_LABELS.get(kind, kind)} {key}")
        rows, payload = [], []
        for doc in all_documents(reader, newest_first=True):
            linked = links.get(doc.sha256, [])
            added = doc.added_at
            rows.append([doc.name, f"{doc.size:,}", doc.media_type,
                         show_date(local_moment(added).date().isoformat()) if added else "",
                         ", ".join(linked[:3]) + (" …" if len(linked) > 3 else ""),
                         doc.sha256])
            payload.append(doc.sha256)
        # the tooltip names every linked record, so the search finds the fourth one too
        self.model.set_rows(rows, payload, [", ".join(links.get(sha, [])) for sha in payload])
        self._update_count()
        self.table.resizeColumnsToContents()

    def _search_changed(self, text: str) -> None:
        self.shown.set_words(text)
        self._update_count()
        if self.shown.rowCount() == 1:  # a single hit is selected, ready for Enter
            self.table.selectRow(0)

    def go_to_results(self) -> None:
        """From the search box to the documents found: the first selected unless one is."""
        go_to_rows(self.table, self.selected_sha() is not None)

    def _update_count(self) -> None:
        total, shown = self.model.rowCount(), self.shown.rowCount()
        self.count.setText(f"{total:,} document(s)" if shown == total
                           else f"{shown:,} of {total:,} document(s)")

    def _activated(self, index: QModelIndex) -> None:
        sha = index.data(KEY_ROLE)
        if sha:
            self.open_document.emit(str(sha))

    def _open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self._activated(rows[0])


class _DownToResults(QObject):
    """Down in a search box goes to its results (Enter does too, through returnPressed)."""

    def __init__(self, go: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self.go = go

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Down and not event.modifiers()):
            self.go()
            return True
        return False


def down_or_enter_to_results(search: QLineEdit, go: Callable[[], None]) -> None:
    """The keyboard's way from a search box to what it found: Down or Enter."""
    search.installEventFilter(_DownToResults(go, search))
    search.returnPressed.connect(go)


class WordFilter(QSortFilterProxyModel):
    """Rows holding every word typed (any order, any column or the row's tooltip, case
    ignored)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.words: list[str] = []

    def set_words(self, text: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.9 and later
            self.beginFilterChange()
            self.words = text.casefold().split()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # pragma: no cover - Qt 6.7 and 6.8
            self.words = text.casefold().split()
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:
        if not self.words:
            return True
        model = self.sourceModel()
        cells = [str(model.index(row, c, parent).data() or "")
                 for c in range(model.columnCount(parent))]
        cells.append(str(model.index(row, 0, parent).data(Qt.ItemDataRole.ToolTipRole) or ""))
        text = " ".join(cells).casefold()
        return all(word in text for word in self.words)


def as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
