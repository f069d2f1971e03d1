"""Edit > Settings…: the reminder ladder per record kind, how dates are shown, the default
export folder.

Where each one lives: the date display and the export folder are the person's (the one
settings object, ui.settings.Settings, QSettings in INI format). The reminder ladders are the
register's: they change the deadlines the core computes — the dashboard, the CLI's
``deadlines``, the calendar export, the findings — so they are written where the core reads
ladders, the register's ``rules.toml`` override (``[rules.reminder-ladder-days.by-kind]``,
citation "design"), by the core's write_kind_ladders (atomically), on the writer thread.
One copy, read by every program that opens the register, and none to keep in step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from calnet_desk.policy.deadlines import DEADLINE_RECORD_KINDS, parse_ladder
from calnet_desk.policy.rules import kind_ladders, load_rules, write_kind_ladders
from calnet_desk.records import KINDS
from calnet_desk.store import Register

from ..formatting import DATE_DISPLAYS, set_date_display, show_date
from ..messages import dialog_buttons, show_error
from ..session import Session
from ..settings import Settings

SAMPLE_DATE = "2026-03-05"


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, session: Session,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.session = session
        self.setWindowTitle("Settings")
        self.setObjectName("settings-dialog")
        self.writable = session.writer is not None and not session.read_only

        ladders_box = QGroupBox("Reminder ladder per record kind (days before the deadline)",
                                self)
        ladder_form = QFormLayout(ladders_box)
        note = QLabel("Kept with the register (its rules.toml), so the dashboard, the "
                      "calendar export and the command line remind alike. A record's own "
                      "ladder still wins.", ladders_box)
        note.setWordWrap(True)
        ladder_form.addRow(note)
        self.current = kind_ladders(load_rules(None, session.root), DEADLINE_RECORD_KINDS)
        self.shipped = kind_ladders(load_rules(), DEADLINE_RECORD_KINDS)
        self.ladders: dict[str, QLineEdit] = {}
        for kind in DEADLINE_RECORD_KINDS:
            edit = QLineEdit(", ".join(map(str, self.current[kind])), ladders_box)
            edit.setAccessibleName(f"Reminder ladder for {KINDS[kind].label}")
            edit.setPlaceholderText("e.g. 90, 60, 30, 7")
            edit.setEnabled(self.writable)
            edit.textChanged.connect(self._check)
            ladder_form.addRow(f"{KINDS[kind].label}:", edit)
            self.ladders[kind] = edit
        self.shipped_button = QPushButton("&Restore the shipped ladders", ladders_box)
        self.shipped_button.setAccessibleName("Restore the shipped ladders")
        self.shipped_button.setEnabled(self.writable)
        self.shipped_button.clicked.connect(self.restore_shipped)
        ladder_form.addRow("", self.shipped_button)
        if not self.writable:
            ladder_form.addRow(QLabel("The register is open read-only: the ladders cannot be "
                                      "changed now.", ladders_box))

        self.date_display = QComboBox(self)
        self.date_display.setAccessibleName("Date display")
        for code, label in DATE_DISPLAYS.items():
            self.date_display.addItem(label, code)
        self.date_display.setCurrentIndex(list(DATE_DISPLAYS).index(settings.date_display()))
        self.date_sample = QLabel(self)
        self.date_sample.setAccessibleName("Date display example")
        self.date_display.currentIndexChanged.connect(self._show_sample)
        self.export_folder = QLineEdit(str(settings.export_folder() or ""), self)
        self.export_folder.setAccessibleName("Default export folder")
        self.export_folder.setPlaceholderText("None: save dialogs start where they last were")
        self.export_folder.textChanged.connect(self._check)
        self.browse = QPushButton("&Browse…", self)
        self.browse.setAccessibleName("Choose the default export folder")
        self.browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.export_folder, 1)
        folder_row.addWidget(self.browse)
        mine = QGroupBox("Display and files (yours, on this computer)", self)
        mine_form = QFormLayout(mine)
        mine_form.addRow("&Dates:", self.date_display)
        mine_form.addRow("", self.date_sample)
        folder_label = QLabel("Default &export folder:", mine)
        folder_label.setBuddy(self.export_folder)  # Alt+E goes to the field, no literal "&"
        mine_form.addRow(folder_label, folder_row)

        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("Problems")
        self.buttons = dialog_buttons(self, accept=self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(ladders_box)
        layout.addWidget(mine)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self._show_sample()
        self._check()

    def _show_sample(self) -> None:
        mode = str(self.date_display.currentData())
        from .. import formatting

        before = formatting.date_display()
        set_date_display(mode)
        try:
            self.date_sample.setText(f"5 March 2026 shows as {show_date(SAMPLE_DATE)}")
        finally:
            set_date_display(before)

    def restore_shipped(self) -> None:
        for kind, edit in self.ladders.items():
            edit.setText(", ".join(map(str, self.shipped[kind])))

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Default export folder",
                                                  self.export_folder.text())
        if folder:
            self.export_folder.setText(folder)

    def problems(self) -> list[str]:
        found = []
        for kind, edit in self.ladders.items():
            try:
                parse_ladder(edit.text())
            except ValueError as e:
                found.append(f"{KINDS[kind].label}: {e}")
        folder = self.export_folder.text().strip()
        if folder and not Path(folder).is_dir():
            found.append(f"Default export folder: {folder} is not a folder")
        return found

    def _check(self) -> None:
        found = self.problems()
        self.problem.setText("\n".join(found))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not found)

    def ladder_values(self) -> dict[str, list[int]]:
        return {kind: list(parse_ladder(edit.text())) for kind, edit in self.ladders.items()}

    def save(self) -> None:
        """Keep the settings; the ladders go to the register on the writer, then the
        deadlines are computed again."""
        if self.problems():
            return
        mode = str(self.date_display.currentData())
        self.settings.set_date_display(mode)
        set_date_display(mode)
        folder = self.export_folder.text().strip()
        self.settings.set_export_folder(Path(folder) if folder else None)
        ladders = self.ladder_values()
        writer = self.session.writer
        if self.writable and writer is not None and ladders != self.current:
            session = self.session

            def job(reg: Register, progress: Any, cancelled: Any) -> str:
                return str(write_kind_ladders(reg.paths.root, ladders))

            writer.submit(job, lambda _: session.refresh_overview(),
                          lambda message, details: show_error(
                              self.parentWidget(), "Reminder ladders not changed", message,
                              details))
        self.accept()
