"""Snooze until…: the day a deadline is shown again (ui.dialogs.deadline_actions asks)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit, QDialog, QLabel, QVBoxLayout, QWidget

from ..formatting import date_format
from ..messages import dialog_buttons


class SnoozeDialog(QDialog):
    def __init__(self, what: str, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Snooze until")
        label = QLabel(f"Snooze {what} until (it is shown again on that day, and at once if "
                       "its date changes):", self)
        label.setWordWrap(True)
        self.date = QDateEdit(self)
        self.date.setAccessibleName("Snooze until")
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat(date_format())
        first = today + dt.timedelta(days=1)
        self.date.setMinimumDate(QDate(first.year, first.month, first.day))
        week = today + dt.timedelta(days=7)
        self.date.setDate(QDate(week.year, week.month, week.day))
        label.setBuddy(self.date)
        buttons = dialog_buttons(self)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.date)
        layout.addWidget(buttons)
