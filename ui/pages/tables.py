"""What the pages' tables share: how a table is made, fitted to its rows and columns, and
the words for each kind of record in a cell."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QAbstractItemView, QTableView, QWidget

from calnet_desk.records import KINDS

from ..formatting import readable


def fit_columns(view: QTableView, max_chars: int) -> None:
    """Columns as wide as what the visible rows need, within reason (font metrics, never
    pixels, so it holds at 150 % and 200 %)."""
    view.horizontalHeader().setResizeContentsPrecision(64)  # sample rows, not all of them
    view.resizeColumnsToContents()
    cap = view.fontMetrics().averageCharWidth() * max_chars
    for c in range(view.model().columnCount()):
        view.setColumnWidth(c, min(view.columnWidth(c), cap))


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


class PaintedTable(QTableView):
    """A table saying when it has been painted (the smoke test's "first page shown")."""

    painted = Signal()

    def paintEvent(self, event: Any) -> None:
        super().paintEvent(event)
        self.painted.emit()


def table_view(name: str, parent: QWidget, painted: bool = False) -> QTableView:
    view = PaintedTable(parent) if painted else QTableView(parent)
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


# "Order", "ATO", "Outside contract"…: each kind's singular from its declaration.
KIND_LABELS = {k.name: readable(k.singular) for k in KINDS.values()}
