"""The workspace pages: the dashboard, one page per record kind, and the documents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QDate,
    QEvent,
    QItemSelection,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QPainter
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
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from calnet_desk.records import KINDS, Kind
from calnet_desk.store.browse import ViewQuery, status_values
from calnet_desk.store.documents import all_documents, all_links

from ..dialogs.deadline_actions import DeadlineActions, in_reminder_window
from ..formatting import date_format, local_moment, readable, show_date, to_date
from ..models import KEY_ROLE, RecordTableModel, RowsModel
from ..session import Overview, Session
from ..settings import Settings

# .record_view and .documents_panel are imported when a register page is first built, not
# before the first paint (the dashboard needs neither).


def fit_columns(view: QTableView, max_chars: int) -> None:
    """Columns as wide as what the visible rows need, within reason (font metrics, never
    pixels, so it holds at 150 % and 200 %)."""
    view.horizontalHeader().setResizeContentsPrecision(64)  # sample rows, not all of them
    view.resizeColumnsToContents()
    cap = view.fontMetrics().averageCharWidth() * max_chars
    for c in range(view.model().columnCount()):
        view.setColumnWidth(c, min(view.columnWidth(c), cap))


DEADLINE_ROWS_FITTED = 8  # up to this many, the deadlines table is as tall as its rows
QWIDGETSIZE_MAX = 16_777_215  # Qt's "no maximum"


def fit_height(view: QTableView, rows: int, most: int) -> None:
    """A table no taller than its rows (at least one) need, up to ``most`` rows; with more,
    as tall as the layout gives it."""
    if rows > most:
        view.setMaximumHeight(QWIDGETSIZE_MAX)
        return
    row = view.verticalHeader().defaultSectionSize()
    body = sum(view.rowHeight(r) for r in range(rows)) if rows else row
    header = view.horizontalHeader().sizeHint().height()
    bar = view.horizontalScrollBar().sizeHint().height()
    view.setMaximumHeight(header + body + bar + 2 * view.frameWidth())


def _table(name: str, parent: QWidget) -> QTableView:
    view = QTableView(parent)
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    # rows as tall as a line of text and a little air (Fusion's default is nearly two
    # lines: a laptop at 150 % showed three findings), in font metrics so it scales
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() * 3 // 2)
    view.horizontalHeader().setHighlightSections(False)
    view.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside it
    return view


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
        self.search.installEventFilter(self)  # Down goes to the results
        self.search.returnPressed.connect(self.go_to_results)
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

        self.table = _table(kind.label, self)
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

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.search and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Down
                and not event.modifiers()):
            self.go_to_results()
            return True
        return super().eventFilter(watched, event)

    def go_to_results(self) -> None:
        """From the search box to the results: the first row selected unless one is."""
        if self._apply_timer.isActive():  # what was just typed is applied first
            self._apply_timer.stop()
            self.apply_filters()
        if self.model.rowCount() == 0:
            return
        if self.selected_key() is None:
            self.table.selectRow(0)
            self.table.setCurrentIndex(self.model.index(0, 0))
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)

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
        found: set[int] = set()
        for row in range(min(self.model.rowCount(), 50)):
            for c, f in enumerate(self.kind.fields):
                if f.name in self.kind.key_names or c in found:
                    continue
                text = str(self.model.index(row, c).data() or "").casefold()
                if any(w in text for w in words):
                    found.add(c)
        self.matched = [self.kind.fields[c].label for c in sorted(found)]
        header.blockSignals(True)
        for place, c in enumerate(sorted(found), start=1):
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


RECENT_OVERDUE_DAYS = 90  # design choice: overdue longer ago than this is "older", collapsed
DUE_WITHIN_DAYS = 30  # the manager's count: due within a month


def dashboard_order(due: list[Any]) -> list[Any]:
    """What needs action first: due soon (soonest first), then recently overdue (most
    recent first), then those acknowledged or snoozed, then older overdue ones."""
    def rank(d: Any) -> tuple[int, int]:
        if d.status in ("acknowledged", "snoozed"):
            return (2, abs(d.days_left))
        if d.days_left >= 0:
            return (0, d.days_left)
        return (1 if d.days_left >= -RECENT_OVERDUE_DAYS else 3, -d.days_left)
    return sorted(due, key=lambda d: (*rank(d), d.kind, d.record_kind, d.key))


def when_words(days_left: int) -> str:
    if days_left == 0:
        return "today"
    if days_left > 0:
        return f"in {days_left} day{'s' if days_left != 1 else ''}"
    return f"{-days_left} day{'s' if days_left != -1 else ''} ago"


class Timeline(QWidget):
    """Twelve months from today: how many deadlines fall due in each, drawn as bars with the
    number on each (text, not only shapes; the palette's colours, so dark mode reads)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.months: list[tuple[str, int]] = []
        self.setAccessibleName("Deadlines in the next twelve months")
        self.setMinimumHeight(self.fontMetrics().height() * 4)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().averageCharWidth() * 60, self.minimumHeight())

    def set_deadlines(self, today: dt.date, deadlines: list[Any]) -> None:
        counts: list[tuple[str, int]] = []
        year, month = today.year, today.month
        for _ in range(12):
            n = sum(1 for d in deadlines if d.date.year == year and d.date.month == month
                    and d.date >= today)
            counts.append((dt.date(year, month, 1).strftime("%b %Y"), n))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        self.months = counts
        text = "; ".join(f"{label}: {n}" for label, n in counts)
        self.setAccessibleDescription(f"Deadlines falling due per month: {text}")
        self.setToolTip(text)
        self.update()

    def paintEvent(self, event: Any) -> None:
        if not self.months:
            return
        painter = QPainter(self)
        palette = self.palette()
        fm = self.fontMetrics()
        line = fm.height()
        width = self.width() / len(self.months)
        top, bottom = line, self.height() - line  # a number above, the month below
        most = max(n for _, n in self.months) or 1
        for i, (label, n) in enumerate(self.months):
            x = int(i * width)
            bar = int((bottom - top) * n / most)
            rect = QRect(x + 3, bottom - bar, max(int(width) - 6, 2), bar)
            painter.fillRect(rect, palette.highlight())
            painter.setPen(palette.windowText().color())
            painter.drawText(QRect(x, bottom - bar - line, int(width), line),
                             Qt.AlignmentFlag.AlignCenter, str(n))
            painter.drawText(QRect(x, bottom, int(width), line), Qt.AlignmentFlag.AlignCenter,
                             label.split()[0])
        painter.end()


class DashboardPage(QWidget):
    """What needs action first: counts at a glance, a twelve-month timeline, the deadlines
    due soon and recently overdue (older ones collapsed), the findings by code, filters by
    kind and severity; Acknowledge works on several rows at once."""

    follow = Signal(str, str)
    populated = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("page-dashboard")
        self.summary = QLabel("Checking deadlines and findings…", self)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Summary")
        self.glance = QLabel(self)  # the counts to act on, large
        self.glance.setAccessibleName("Counts to act on")
        big = self.glance.font()
        big.setPointSizeF(big.pointSizeF() * 1.3)
        big.setBold(True)
        self.glance.setFont(big)
        self.timeline = Timeline(self)
        self.deadline_model = RowsModel(["Date", "When", "Status", "Deadline", "Record",
                                         "Source", "Why"], self)
        self.finding_model = RowsModel(["Severity", "Finding", "Record", "Source",
                                        "What to do"], self)
        self.deadlines = _table("Deadlines due soon or overdue", self)
        self.deadlines.setModel(self.deadline_model)
        self.deadlines.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.findings = _table("Findings", self)
        self.findings.setModel(self.finding_model)
        for view in (self.deadlines, self.findings):
            view.activated.connect(self._activated)
            view.doubleClicked.connect(self._activated)
            view.horizontalHeader().setStretchLastSection(True)
        self.deadline_kind = QComboBox(self)
        self.deadline_kind.setAccessibleName("Show deadlines of kind")
        self.older = QCheckBox("Show &older overdue", self)
        self.older.setAccessibleName("Show deadlines overdue more than "
                                     f"{RECENT_OVERDUE_DAYS} days")
        self.severity = QComboBox(self)
        self.severity.setAccessibleName("Show findings of severity")
        self.code = QComboBox(self)
        self.code.setAccessibleName("Show findings of code")
        d_label = QLabel("&Deadlines (due soon and overdue)", self)
        d_label.setBuddy(self.deadlines)
        f_label = QLabel("F&indings", self)
        f_label.setBuddy(self.findings)
        d_bar = QHBoxLayout()
        d_bar.addWidget(d_label, 1)
        f_bar = QHBoxLayout()
        f_bar.addWidget(f_label, 1)
        # each filter has a label it is the buddy of: a screen reader names the combo box by
        # it (Qt on Linux would announce only its value, "All deadlines, combo box")
        for bar, text, combo in ((d_bar, "&Kind:", self.deadline_kind),
                                 (f_bar, "Se&verity:", self.severity),
                                 (f_bar, "&Code:", self.code)):
            label = QLabel(text, self)
            label.setBuddy(combo)
            bar.addWidget(label)
            bar.addWidget(combo)
        d_bar.addWidget(self.older)
        layout = QVBoxLayout(self)
        layout.addWidget(self.glance)
        layout.addWidget(self.timeline)
        layout.addWidget(self.summary)
        layout.addLayout(d_bar)
        layout.addWidget(self.deadlines, 3)
        self.due: list[Any] = []  # the deadlines shown, row by row
        self.found: list[Any] = []  # the findings shown, row by row
        self.deadline_actions = DeadlineActions(self, session)  # acknowledge, snooze
        self.deadline_actions.bind_selection()
        layout.addWidget(self.deadline_actions)
        layout.addLayout(f_bar)
        layout.addWidget(self.findings, 2)
        self.overview: Overview | None = None
        for combo in (self.deadline_kind, self.severity, self.code):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.currentIndexChanged.connect(self._filters_changed)
        self.older.toggled.connect(self._filters_changed)
        session.overview_ready.connect(self.show_overview)
        self.ready = False
        self.findings_ready = False

    @staticmethod
    def _fill(combo: QComboBox, everything: str, items: list[tuple[str, str]]) -> None:
        """The choices, keeping the one made if it is still there."""
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(everything, None)
        for label, code in items:
            combo.addItem(label, code)
        combo.setCurrentIndex(max(combo.findData(current), 0))
        combo.blockSignals(False)

    def _filters_changed(self, *args: Any) -> None:
        if self.overview is not None:
            self.show_overview(self.overview)

    def show_overview(self, overview: Overview) -> None:
        # the first paint has the deadlines only: the findings module comes with them
        SEVERITIES: tuple[str, ...] = ()
        if overview.findings is not None:
            from calnet_desk.policy.findings import SEVERITIES
        self.overview = overview
        # overdue and due soon, and those acknowledged or snoozed meanwhile (their status shows)
        listed = dashboard_order([d for d in overview.deadlines if in_reminder_window(d)])
        kinds = sorted({d.kind for d in listed})
        self._fill(self.deadline_kind, "All deadlines",
                   [(f"{readable(k)} ({sum(1 for d in listed if d.kind == k)})", k)
                    for k in kinds])
        older = [d for d in listed if d.days_left < -RECENT_OVERDUE_DAYS
                 and d.status not in ("acknowledged", "snoozed")]
        self.older.setText(f"Show &older overdue ({len(older)})")
        self.older.setEnabled(bool(older) or self.older.isChecked())
        kind = self.deadline_kind.currentData()
        due = self.due = [d for d in listed if (kind is None or d.kind == kind)
                          and (self.older.isChecked() or d not in older)]
        self.deadline_model.set_rows(
            [[show_date(d.date.isoformat()), when_words(d.days_left), readable(d.status),
              readable(d.kind), f"{KIND_LABELS.get(d.record_kind, d.record_kind)} {d.key}",
              d.citation, d.explanation] for d in due],
            [(d.record_kind, d.key) for d in due], [d.explanation for d in due])
        for row, d in enumerate(due):  # overdue stands out by colour and by its words
            self.deadline_model.set_row_style(row, overdue=d.days_left < 0
                                              and d.status == "overdue")
        every = overview.findings or []
        self._fill(self.severity, "All severities",
                   [(f"{readable(s)} ({sum(1 for f in every if f.severity == s)})", s)
                    for s in SEVERITIES if any(f.severity == s for f in every)])
        by_code: dict[str, int] = {}
        for f in every:
            by_code[f.code] = by_code.get(f.code, 0) + 1
        self._fill(self.code, "All findings",
                   [(f"{readable(c)} ({n})", c) for c, n in
                    sorted(by_code.items(), key=lambda item: (-item[1], item[0]))])
        severity, code = self.severity.currentData(), self.code.currentData()
        found = self.found = [f for f in every if (severity is None or f.severity == severity)
                              and (code is None or f.code == code)]
        self.finding_model.set_rows(
            [[readable(f.severity), readable(f.code),
              f"{KIND_LABELS.get(f.kind, f.kind)} {f.key}", f.citation, f.message]
             for f in found],
            [(f.kind, f.key) for f in found],
            [f"{f.message}\n\n{f.citation}: {f.sentence}" if f.sentence else f.message
             for f in found])
        active = [d for d in listed if d.status in ("overdue", "due-soon")]
        overdue = sum(1 for d in active if d.status == "overdue")
        soon = sum(1 for d in active if d.status == "due-soon")
        within = sum(1 for d in overview.deadlines
                     if 0 <= d.days_left <= DUE_WITHIN_DAYS and d.status != "past")
        marked = (f", {len(listed) - len(active)} acknowledged or snoozed"
                  if len(listed) > len(active) else "")
        as_of = show_date(overview.today.isoformat())
        checked = (f"{len(every)} finding(s)" if overview.findings is not None
                   else "checking findings…")
        self.summary.setText(
            f"As of {as_of}: {overdue} overdue, {soon} due soon{marked}, {checked}. "
            "Press Enter on a row to open its record.")
        severities = ", ".join(
            f"{n} {s}{'s' if n != 1 and s != 'info' else ''}" for s in SEVERITIES
            if (n := sum(1 for f in every if f.severity == s)))
        self.glance.setText(
            f"{overdue} overdue · {within} due within {DUE_WITHIN_DAYS} days · "
            + (f"findings: {severities}" if overview.findings is not None
               else "findings being checked"))
        self.timeline.set_deadlines(overview.today, overview.deadlines)
        for view in (self.deadlines, self.findings):
            fit_columns(view, 40)
        # a few deadlines take the room they need, the findings below get the rest (on a
        # laptop at 150 % the findings had two rows beside blank deadline rows)
        fit_height(self.deadlines, len(due), DEADLINE_ROWS_FITTED)
        first = not self.ready
        self.ready = True
        self.findings_ready = overview.findings is not None
        if first or self.findings_ready:
            self.populated.emit()

    def view_rows(self) -> tuple[list[str], list[list[str]]]:
        """What the dashboard shows, as one table (for File > Export this view)."""
        columns = ["Section", "Date", "When", "Status", "Deadline or finding", "Record",
                   "Source", "Why or what to do"]
        rows = [["Deadline", *r] for r in self.deadline_model.rows]
        for r in self.finding_model.rows:
            severity, finding, record, source, message = r
            rows.append(["Finding", "", "", severity, finding, record, source, message])
        return columns, rows

    def _activated(self, index: QModelIndex) -> None:
        target = index.data(KEY_ROLE)
        if target and target[0] in KIND_LABELS:
            self.follow.emit(*target)


# "Order", "ATO", "Outside contract"…: each kind's singular from its declaration.
KIND_LABELS = {k.name: readable(k.singular) for k in KINDS.values()}


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
        self.table = _table("Documents", self)
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
