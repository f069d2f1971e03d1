"""Table models over the register, fed plain rows by calnet_desk.store.browse.

A view is the ordered key list of the current filter; rows are read a block at a time
when shown, and the model grows with fetchMore, so 100,000 orders stay smooth.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QConcatenateTablesProxyModel,
    QModelIndex,
    QPersistentModelIndex,
)
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette, QStandardItemModel

from calnet_desk.records import Kind, Record
from calnet_desk.store import Register

from .formatting import show

# The register pages' queries (calnet_desk.store.browse) are imported by their models when
# made: the first page (the dashboard's plain rows) does not need them (issue 16 item 15).
if TYPE_CHECKING:
    from PySide6.QtCore import Qt

    from calnet_desk.store.browse import ViewQuery

# Qt's item data roles, orientation and alignment as the ints Qt passes and takes (the values
# of Qt.ItemDataRole, Qt.Orientation and Qt.AlignmentFlag, fixed by Qt; a test checks them).
# The first page paints through these models: touching PySide's `Qt` namespace there makes
# PySide build its 96 enum types, ~25 ms of the cold start (issue 16 item 15).
DISPLAY_ROLE = 0
TOOLTIP_ROLE = 3
FONT_ROLE = 6
ALIGNMENT_ROLE = 7
FOREGROUND_ROLE = 9
USER_ROLE = 0x0100
HORIZONTAL = 0x1
ALIGN_RIGHT_VCENTER = 0x0002 | 0x0080

KEY_ROLE = USER_ROLE + 1


def horizontal(orientation: Any) -> bool:
    """Qt.Orientation.Horizontal (a Python Flag, not an int) or its int."""
    return bool(getattr(orientation, "value", orientation) == HORIZONTAL)
BLOCK = 256
FIRST_FETCH = 512
Index = QModelIndex | QPersistentModelIndex


class RecordTableModel(QAbstractTableModel):
    def __init__(self, reader: Register, kind: Kind, parent: Any = None,
                 load: bool = True) -> None:
        from calnet_desk.store.browse import ViewQuery

        super().__init__(parent)
        self.reader = reader
        self.kind = kind
        self.fields = kind.fields
        self.query = ViewQuery(kind)
        self.keys: list[str] = []
        self.loaded = 0
        self._blocks: dict[int, dict[str, Record]] = {}
        self.ready = False
        if load:
            self.reload()

    # --- the view --------------------------------------------------------------------

    def set_query(self, query: ViewQuery) -> None:
        self.query = query
        self.reload()

    def reload(self) -> None:
        from calnet_desk.store.browse import view_keys

        self.ready = True
        self.beginResetModel()
        self.keys = view_keys(self.reader, self.query)
        self.loaded = min(len(self.keys), FIRST_FETCH)
        self._blocks.clear()
        self.endResetModel()

    def total(self) -> int:
        return len(self.keys)

    def record_at(self, row: int) -> Record | None:
        if not 0 <= row < self.loaded:
            return None
        block = row // BLOCK
        if block not in self._blocks:
            from calnet_desk.store.browse import read_rows

            keys = self.keys[block * BLOCK:(block + 1) * BLOCK]
            self._blocks[block] = read_rows(self.reader, self.kind, keys)
        return self._blocks[block].get(self.keys[row])

    def row_of(self, key: str) -> int:
        try:
            row = self.keys.index(key)
        except ValueError:
            return -1
        while row >= self.loaded and self.canFetchMore(QModelIndex()):
            self.fetchMore(QModelIndex())
        return row

    def refresh_key(self, key: str) -> None:
        """One record changed or went away: update that row only, no full reload."""
        row = self.row_of(key)
        if row < 0:
            return
        block = row // BLOCK
        self._blocks.pop(block, None)
        if self.reader.exists(self.kind, key):
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.fields) - 1))
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self.keys[row]
        self.loaded -= 1
        self._blocks = {}
        self.endRemoveRows()

    # --- Qt's model interface ------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.loaded

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.fields)

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and self.loaded < len(self.keys)

    def fetchMore(self, parent: Index) -> None:
        if parent.isValid():
            return
        more = min(BLOCK * 4, len(self.keys) - self.loaded)
        if more <= 0:
            return
        self.beginInsertRows(QModelIndex(), self.loaded, self.loaded + more - 1)
        self.loaded += more
        self.endInsertRows()

    def data(self, index: Index, role: int = DISPLAY_ROLE) -> Any:
        if not index.isValid():
            return None
        rec = self.record_at(index.row())
        if rec is None:
            return None
        f = self.fields[index.column()]
        if role == DISPLAY_ROLE:
            return show(f, rec.get(f.name))
        if role == KEY_ROLE:
            return self.keys[index.row()]
        if role == ALIGNMENT_ROLE and f.type in ("money", "integer"):
            return ALIGN_RIGHT_VCENTER
        if role == TOOLTIP_ROLE and f.type == "text":
            value = rec.get(f.name)
            return value if isinstance(value, str) and len(value) > 40 else None
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = DISPLAY_ROLE) -> Any:
        if not horizontal(orientation) or not 0 <= section < len(self.fields):
            return None
        f = self.fields[section]
        if role == DISPLAY_ROLE:
            return f.label
        if role == TOOLTIP_ROLE:
            return " ".join(p for p in (f.help, f"[{f.citation}]" if f.citation else "") if p)
        return None

    def sort(self, column: int, order: Qt.SortOrder | int = 0) -> None:  # 0: ascending
        from PySide6.QtCore import Qt

        from calnet_desk.store.browse import ViewQuery

        if not 0 <= column < len(self.fields):
            return
        q = self.query
        wanted = ViewQuery(q.kind, self.fields[column].name,
                           order == Qt.SortOrder.DescendingOrder, q.statuses,
                           q.date_from, q.date_to, q.text, q.keys_in)
        if wanted == q and self.ready:
            return
        self.query = wanted
        if self.ready:  # a page not shown yet sorts when it first loads
            self.reload()


class PlainRowsModel(QAbstractTableModel):
    """A small read-only table of plain rows (dashboard lists, documents). Its column
    titles are not answered in Python: see RowsModel, or titled() for the first page."""

    def __init__(self, headers: list[str], parent: Any = None) -> None:
        super().__init__(parent)
        self.headers = headers
        self.rows: list[list[str]] = []
        self.payload: list[Any] = []
        self.tooltips: list[str] = []
        self.urgent: set[int] = set()  # rows shown as overdue

    def set_rows(self, rows: list[list[str]], payload: list[Any],
                 tooltips: list[str] | None = None) -> None:
        self.beginResetModel()
        self.rows = rows
        self.payload = payload
        self.tooltips = tooltips or [""] * len(rows)
        self.urgent = set()
        self.endResetModel()

    def set_row_style(self, row: int, overdue: bool) -> None:
        """An overdue row is bold and in the error colour (its words say so too)."""
        if overdue:
            self.urgent.add(row)
        else:
            self.urgent.discard(row)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.headers) - 1))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: Index, role: int = DISPLAY_ROLE) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        if role == DISPLAY_ROLE:
            return self.rows[index.row()][index.column()]
        if role == KEY_ROLE:
            return self.payload[index.row()]
        if role == TOOLTIP_ROLE:
            return self.tooltips[index.row()] or None
        if index.row() in self.urgent:
            if role == FOREGROUND_ROLE:
                dark = QGuiApplication.palette().color(QPalette.ColorRole.Base).lightness() < 128
                return QColor("#ff8a80" if dark else "#b00020")
            if role == FONT_ROLE:
                font = QFont()
                font.setBold(True)
                return font
        return None


class RowsModel(PlainRowsModel):
    """Plain rows with their column titles answered in Python (pages after the first)."""

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = DISPLAY_ROLE) -> Any:
        if (horizontal(orientation) and role == DISPLAY_ROLE
                and 0 <= section < len(self.headers)):
            return self.headers[section]
        return None


def titled(model: PlainRowsModel) -> QAbstractItemModel:
    """The rows under column titles Qt keeps, for a table on the first page: the header
    paints them and a screen reader reads them without calling Python. (A Python
    headerData is handed a Qt.Orientation, and QHeaderView asks for it as soon as it gets
    a model: that one enum makes PySide build its whole `Qt` namespace, 96 enum types,
    ~25 ms of the cold start, issue 16 item 15.) The titles are an empty first table, the
    rows the second: row numbers and data are the rows' own."""
    titles = QStandardItemModel(0, len(model.headers), model)
    titles.setHorizontalHeaderLabels(model.headers)
    both = QConcatenateTablesProxyModel(model)
    both.addSourceModel(titles)
    both.addSourceModel(model)
    return both
