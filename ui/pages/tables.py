"""What the pages' tables share: how a table is made, fitted to its rows and columns, and
the words for each kind of record in a cell."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QAbstractItemView, QTableView, QWidget

from calnet_desk.records import KINDS

from ..formatting import readable
from ..models import PlainRowsModel

SAMPLE_ROWS = 64  # columns are fitted to the first rows, not all of them
# Fusion's item text margin: its focus-frame margin (2) + 1, each side (what Qt's own fit
# adds to a cell's text; tests/ui/test_ui_daily.py checks the widths equal Qt's)
CELL_MARGIN = 2 * (2 + 1)


def fit_columns(view: QTableView, max_chars: int, rows: PlainRowsModel | None = None) -> None:
    """Columns as wide as what the visible rows need, within reason (font metrics, never
    pixels, so it holds at 150 % and 200 %). Given the plain rows it shows, measured from
    their texts: Qt's own fit asks the model for every role of every cell, each a call into
    Python (~10 ms of the first page at 64 rows, issue 16 item 15)."""
    header = view.horizontalHeader()
    if rows is None:
        header.setResizeContentsPrecision(SAMPLE_ROWS)
        view.resizeColumnsToContents()
        widths = [view.columnWidth(c) for c in range(view.model().columnCount())]
    else:
        widths = text_widths(view, rows)
    cap = view.fontMetrics().averageCharWidth() * max_chars
    for c, width in enumerate(widths):
        view.setColumnWidth(c, min(width, cap))


def text_widths(view: QTableView, rows: PlainRowsModel) -> list[int]:
    """What view.resizeColumnsToContents() gives for these rows (one line of text a cell,
    overdue rows bold), from their texts."""
    header = view.horizontalHeader()
    plain = QFontMetricsF(view.font())  # Qt lays the text out in fractions, then rounds up
    bold_font = QFont()  # as PlainRowsModel.data gives an overdue row
    bold_font.setBold(True)
    bold = QFontMetricsF(bold_font)
    extra = CELL_MARGIN + (1 if view.showGrid() else 0)
    sample = rows.rows[:SAMPLE_ROWS]
    widths = []
    for c in range(len(rows.headers)):
        width = header.sectionSizeHint(c)
        for r, row in enumerate(sample):
            metrics = bold if r in rows.urgent else plain
            width = max(width, math.ceil(metrics.horizontalAdvance(row[c])) + extra)
        widths.append(width)
    return widths


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


def go_to_rows(view: QTableView, selected: bool) -> None:
    """From a search box to the table's rows: the first row selected unless one is
    (``selected``), and the focus on the table; nothing when it has no rows."""
    from PySide6.QtCore import Qt

    model = view.model()
    if model.rowCount() == 0:
        return
    if not selected:
        view.selectRow(0)
        view.setCurrentIndex(model.index(0, 0))
    view.setFocus(Qt.FocusReason.ShortcutFocusReason)


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
