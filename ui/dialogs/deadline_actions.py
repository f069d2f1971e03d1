"""Acknowledge and snooze a deadline on the dashboard (calnet_desk.policy.deadlines writes the
mark through the writer), and the calendar export of every deadline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from calnet_desk.records import KINDS

from ..formatting import readable, show_date
from ..session import Session
from ..style import ring_room
from ..worker import operation

# The dashboard is the first page painted: what it shows only when asked (the snooze
# dialog, the context menu, the save dialog, error messages) is imported then (issue 16
# item 15: each Qt class's Python type, with its enums, is built on first use).
if TYPE_CHECKING:
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QMenu, QTableView

    from calnet_desk.store import Register

    from ..settings import Settings


def show_error(parent: QWidget | None, title: str, message: str, details: str = "") -> None:
    """ui.messages.show_error, its module imported when an error is shown."""
    from ..messages import show_error as show

    show(parent, title, message, details)


def ask_snooze_date(parent: QWidget, what: str, today: dt.date) -> dt.date | None:
    """The day to snooze until, or None when cancelled (tests replace this)."""
    from .snooze import SnoozeDialog

    dialog = SnoozeDialog(what, today, parent)
    if dialog.exec() != SnoozeDialog.DialogCode.Accepted:
        return None
    day = dialog.date.date().toPython()
    assert isinstance(day, dt.date)
    return day


def deadline_words(d: Any) -> str:
    return f"{readable(d.kind).lower()} of {KINDS[d.record_kind].singular} {d.key}"


class DeadlineActions(QWidget):
    """Acknowledge and Snooze until… for the dashboard's deadlines table (buttons and its
    context menu), through deadlines.mark_deadline on the writer; the overview refreshes
    and the row shows its new status."""

    acknowledged = Signal(object)  # operations.MarkedDeadlines: what Edit > Undo takes back

    def __init__(self, dashboard: Any, session: Session) -> None:
        super().__init__(dashboard)
        self.dashboard = dashboard
        self.session = session
        # text set after: QPushButton(text, parent) makes PySide try its overload taking a
        # QIcon first, and build QIcon's type with its enums (~2 ms of the cold start)
        self.ack_button = QPushButton(self)
        self.ack_button.setText("&Acknowledge")
        self.ack_button.setAccessibleName("Acknowledge the selected deadline")
        self.snooze_button = QPushButton(self)
        self.snooze_button.setText("S&nooze until…")
        self.snooze_button.setAccessibleName("Snooze the selected deadline")
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setAccessibleName("Deadline status")
        layout = QHBoxLayout(self)
        ring_room(layout)
        layout.addWidget(self.ack_button)
        layout.addWidget(self.snooze_button)
        layout.addWidget(self.note, 1)
        self.ack_button.clicked.connect(self.acknowledge)
        self.snooze_button.clicked.connect(lambda: self.snooze())
        table: QTableView = dashboard.deadlines
        table.customContextMenuRequested.connect(self._context_menu)
        dashboard.deadline_model.modelAboutToBeReset.connect(self._remember)
        dashboard.deadline_model.modelReset.connect(self._reselect)
        self._follow: tuple[str, str, str] | None = None
        self.shown: list[Any] = []
        self.update_buttons()

    def bind_menu(self) -> None:
        """The context menu (right click, the Menu key, Shift+F10) on the deadlines; the
        window binds it once its first page is on screen: its Qt enum makes PySide build
        the whole `Qt` namespace (see models.titled)."""
        from PySide6.QtCore import Qt

        self.dashboard.deadlines.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def bind_selection(self) -> None:
        """Called once the table has its model (its selection model exists)."""
        self.dashboard.deadlines.selectionModel().selectionChanged.connect(self.update_buttons)

    def selected(self) -> Any | None:
        rows = self.dashboard.deadlines.selectionModel().selectedRows()
        due = self.shown  # the rows as the table has them (dashboard.due may be newer)
        return due[rows[0].row()] if rows and rows[0].row() < len(due) else None

    def selected_all(self) -> list[Any]:
        """Every selected deadline (Shift or Ctrl with a click or the arrows select more)."""
        due = self.shown
        rows = sorted(i.row() for i in self.dashboard.deadlines.selectionModel().selectedRows())
        return [due[r] for r in rows if r < len(due)]

    def update_buttons(self, *args: Any) -> None:
        ok = (self.selected() is not None and self.session.writer is not None
              and not self.session.read_only)
        self.ack_button.setEnabled(ok)
        self.snooze_button.setEnabled(ok)

    def menu(self) -> QMenu:
        from PySide6.QtWidgets import QMenu

        menu = QMenu(self.dashboard.deadlines)
        ack = menu.addAction("&Acknowledge")
        ack.triggered.connect(self.acknowledge)
        snooze = menu.addAction("S&nooze until…")
        snooze.triggered.connect(lambda: self.snooze())
        for action in (ack, snooze):
            action.setEnabled(self.ack_button.isEnabled())
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        table = self.dashboard.deadlines
        index = table.indexAt(pos)
        if index.isValid():
            table.selectRow(index.row())
        self.menu().exec(table.viewport().mapToGlobal(pos))

    def acknowledge(self) -> None:
        """All the selected deadlines at once: one change (one transaction, its marks in the
        history) that Edit > Undo takes back whole."""
        chosen = self.selected_all()
        writer = self.session.writer
        if not chosen or writer is None or self.session.read_only:
            return
        from calnet_desk.operations import acknowledge_deadlines

        targets = [(d.record_kind, d.key, d.kind) for d in chosen]

        def done(marked: object) -> None:
            if len(chosen) == 1:
                d = chosen[0]
                self.note.setText(f"Acknowledged the {deadline_words(d)} "
                                  f"({show_date(d.date.isoformat())}); it comes back if that "
                                  "date changes.")
                self._follow = targets[0]
            else:
                self.note.setText(f"Acknowledged {len(chosen)} deadlines; each comes back if "
                                  "its date changes.")
            self.acknowledged.emit(marked)
            self.session.refresh_overview()

        writer.submit(operation(acknowledge_deadlines, targets), done,
                      lambda message, details: show_error(self, "Not changed", message,
                                                          details))

    def snooze(self, until: dt.date | None = None) -> None:
        d = self.selected()
        writer = self.session.writer
        if d is None or writer is None or self.session.read_only:
            return
        until = until or ask_snooze_date(self, deadline_words(d), self.session.today())
        if until is None:
            return
        chosen = until

        def job(reg: Register, progress: Any, cancelled: Any) -> object:
            from calnet_desk.policy.deadlines import mark_deadline

            return mark_deadline(reg, d.record_kind, d.key, d.kind, "snoozed", until=chosen)

        def done(_: object) -> None:
            self.note.setText(f"Snoozed the {deadline_words(d)} until "
                              f"{show_date(chosen.isoformat())}.")
            self._follow = (d.record_kind, d.key, d.kind)
            self.session.refresh_overview()

        writer.submit(job, done, lambda message, details: show_error(
            self, "Not changed", message, details))

    def _remember(self) -> None:
        d = self.selected()
        if self._follow is None and d is not None:
            self._follow = (d.record_kind, d.key, d.kind)

    def _reselect(self) -> None:
        """When the overview is shown again, the deadline selected (or just marked) stays
        selected, with its new status."""
        follow, self._follow = self._follow, None
        self.shown = list(self.dashboard.due)
        for row, d in enumerate(self.shown):
            if follow is not None and (d.record_kind, d.key, d.kind) == follow:
                self.dashboard.deadlines.selectRow(row)
                break
        self.update_buttons()


def in_reminder_window(d: Any) -> bool:
    """Overdue, or within the first step of its ladder: what the dashboard lists (also when
    acknowledged or snoozed, so the status shows)."""
    if d.status == "past":  # long gone (the rule set's deadline-past-after-days)
        return False
    return bool(d.days_left < 0 or (d.ladder and d.days_left <= d.ladder[0])
                or d.status in ("overdue", "due-soon"))


# --- the calendar export -----------------------------------------------------------------------

def export_calendar(parent: QWidget, session: Session, settings: Settings,
                    report: Callable[[str], None], path: Path | None = None) -> None:
    """Every deadline to an .ics file, written in the background (atomically)."""
    if path is None:
        from PySide6.QtWidgets import QFileDialog

        name, _ = QFileDialog.getSaveFileName(parent, "Export deadlines to a calendar",
                                              settings.export_path("calnet-deadlines.ics"),
                                              "iCalendar (*.ics)")
        if not name:
            return
        path = Path(name)
    target = path if path.suffix.lower() == ".ics" else path.with_name(path.name + ".ics")
    today = session.today()

    def job(reg: Register) -> int:
        from calnet_desk.exchange.calendar import export_ics

        if not target.parent.is_dir():
            raise OSError(f"{target.parent} is not a folder")
        return export_ics(reg, target, today)

    session.read_async(job, lambda n: report(f"Wrote {n} event(s) to {target}"),
                       lambda message, details: show_error(
                           parent, "Calendar not exported", f"{message}; nothing was written",
                           details))


# --- every rule with its citation --------------------------------------------------------------
