"""The dashboard: what needs action first, the counts at a glance, a twelve-month timeline,
the deadlines due soon and recently overdue, the findings by code. It is the first page
shown, so it imports only what its first paint needs (the findings module comes with the
findings, the deadline dialogs when they are opened)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, QRectF, QSize, Signal
from PySide6.QtGui import QPainter, QPainterPath
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..dialogs.deadline_actions import DeadlineActions, in_reminder_window
from ..formatting import readable, show_date
from ..models import KEY_ROLE, PlainRowsModel, titled
from ..session import Overview, Session
from .tables import KIND_LABELS, PaintedTable, fit_columns, fit_height, table_view

DEADLINE_ROWS_FITTED = 8  # up to this many, the deadlines table is as tall as its rows

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
            bar_shape = QPainterPath()
            bar_shape.addRect(QRectF(x + 3, bottom - bar, max(int(width) - 6, 2), bar))
            painter.fillPath(bar_shape, palette.highlight())
            # the text in the painter's pen, the widget's text colour; centred by hand.
            # fillRect, setPen and Qt's alignment flags each take a Qt enum in one of their
            # overloads, and trying it makes PySide build its whole `Qt` namespace (96 enum
            # types, ~25 ms) at the first paint (see models.titled)
            for text, line_top in ((str(n), bottom - bar - line), (label.split()[0], bottom)):
                left = x + (int(width) - fm.horizontalAdvance(text)) // 2
                painter.drawText(QPoint(left, line_top + fm.ascent()), text)
        painter.end()


class DashboardPage(QWidget):
    """What needs action first: counts at a glance, a twelve-month timeline, the deadlines
    due soon and recently overdue (older ones collapsed), the findings by code, filters by
    kind and severity; Acknowledge works on several rows at once."""

    follow = Signal(str, str)
    populated = Signal()
    shown = Signal()  # once: the deadlines painted on screen for the first time

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
        self.deadline_model = PlainRowsModel(["Date", "When", "Status", "Deadline", "Record",
                                         "Source", "Why"], self)
        self.finding_model = PlainRowsModel(["Severity", "Finding", "Record", "Source",
                                        "What to do"], self)
        self.deadlines: PaintedTable = table_view(  # type: ignore[assignment]
            "Deadlines due soon or overdue", self, painted=True)
        self.deadlines.setModel(titled(self.deadline_model))
        self.deadlines.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.findings = table_view("Findings", self)
        self.findings.setModel(titled(self.finding_model))
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
        self.deadlines.painted.connect(self._painted)
        if session.overview is not None:  # computed before the window (the app's start)
            self.show_overview(session.overview)

    def _painted(self) -> None:
        if self.ready:  # the rows are in: the first page is shown
            self.deadlines.painted.disconnect(self._painted)
            self.shown.emit()

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
        fit_columns(self.deadlines, 40, self.deadline_model)
        fit_columns(self.findings, 40, self.finding_model)
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
