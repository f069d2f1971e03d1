"""File > Import a spreadsheet…: a wizard in four steps. The file and what it holds; its
columns mapped to the canonical ones (matched by header, the common spellings included,
see data/rules/header-aliases.toml); a preview of the first rows as they will be stored;
a dry run on a background reader listing every bad cell. Import asks the main window to
run the import on the writer (progress, and a Cancel that rolls back)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from calnet_desk.exchange.importer import (
    ColumnMap,
    apply_mapping,
    column_name,
    preview,
    propose_mapping,
    read_header,
)
from calnet_desk.exchange.sheets import SheetError, sheet_format
from calnet_desk.records import KINDS, Kind
from calnet_desk.store import Register

from ..formatting import show
from ..session import Session
from ..settings import remember_folder, start_folder
from ..widgets import guard_wheel

IGNORE = "(ignore)"
PREVIEW_ROWS = 20
SPREADSHEETS = "Spreadsheets (*.csv *.xlsx *.xlsm);;All files (*)"


def _name_buttons(wizard: QWizard) -> None:
    for which in (QWizard.WizardButton.NextButton, QWizard.WizardButton.BackButton,
                  QWizard.WizardButton.FinishButton, QWizard.WizardButton.CancelButton):
        button = wizard.button(which)
        button.setAccessibleName(button.text().replace("&", "").strip("<> "))


def best_kind(header: list[object], kinds: Sequence[str]) -> str | None:
    """The kind whose columns the header matches best (its key column among them)."""
    best, score = None, 0
    for name in kinds:
        kind = KINDS[name]
        proposal = propose_mapping(kind, header)
        mapped = [f for f in proposal.values() if f]
        n = len(mapped) + (2 if kind.key.name in mapped else 0)
        if n > score:
            best, score = name, n
    return best


class FilePage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.w = wizard
        self.setTitle("The spreadsheet")
        self.setSubTitle("A CSV or XLSX file (its first sheet) with one record kind, one "
                         "record per row and the column names in row 1.")
        self.path = QLineEdit(self)
        self.path.setAccessibleName("Spreadsheet file")
        self.path.setPlaceholderText("Path of a .csv or .xlsx file")
        self.browse = QPushButton("Bro&wse…", self)
        self.browse.setAccessibleName("Browse for the spreadsheet")
        self.kind = QComboBox(self)
        self.kind.setAccessibleName("Record kind the file holds")
        for name in wizard.kinds:
            self.kind.addItem(KINDS[name].label, name)
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("File problem")
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        form = QFormLayout(self)
        file_label = QLabel("&File:", self)
        file_label.setBuddy(self.path)
        form.addRow(file_label, row)
        form.addRow("&Holds:", self.kind)
        form.addRow(self.problem)
        self.browse.clicked.connect(self._browse)
        self.path.textChanged.connect(self._path_changed)
        self.kind.activated.connect(self._kind_chosen)
        self._guessed_for = ""

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Import a spreadsheet",
                                              self.path.text() or start_folder(self),
                                              SPREADSHEETS)
        if name:
            remember_folder(self, name)
            self.path.setText(name)
            try:
                self._guess(Path(name), read_header(Path(name), Path(name).name))
            except SheetError as e:
                self.problem.setText(str(e))

    def _kind_chosen(self) -> None:
        self.w.kind_fixed = True  # the person chose: no more guessing

    def _guess(self, path: Path, header: list[object]) -> None:
        """A new file: propose the kind it looks like (unless one was chosen)."""
        if str(path) == self._guessed_for:
            return
        self._guessed_for = str(path)
        guess = best_kind(header, self.w.kinds)
        if guess and not self.w.kind_fixed:
            self.kind.setCurrentIndex(self.kind.findData(guess))

    def _path_changed(self) -> None:
        self.problem.clear()
        self.completeChanged.emit()

    def chosen(self) -> Path | None:
        text = self.path.text().strip()
        return Path(text) if text else None

    def isComplete(self) -> bool:
        path = self.chosen()
        return path is not None and path.is_file()

    def validatePage(self) -> bool:
        path = self.chosen()
        if path is None:
            return False
        try:
            sheet_format(path)
            header = read_header(path, path.name)
        except SheetError as e:
            self.problem.setText(str(e))
            return False
        if not any(c not in (None, "") for c in header):
            self.problem.setText(f"{path.name}: row 1 is empty; it must name the columns")
            return False
        self._guess(path, header)
        self.w.path, self.w.header = path, header
        self.w.kind = KINDS[str(self.kind.currentData())]
        return True


class MappingPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.w = wizard
        self.setTitle("Columns")
        self.setSubTitle("Each column of the file and the field it fills, matched by its "
                         "header (common spellings such as \"Req #\" or \"MRC\" included). "
                         "Change any that are wrong; a column set to (ignore) is not "
                         "imported.")
        self.table = QTableWidget(0, 3, self)
        self.table.setAccessibleName("Column mapping")
        self.table.setHorizontalHeaderLabels(["Column in the file", "Imported as",
                                              "First value (row 2)"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setTabKeyNavigation(False)
        self.table.horizontalHeader().setSectionResizeMode(
            2, QHeaderView.ResizeMode.Stretch)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Mapping status")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        self.combos: list[QComboBox] = []
        self._built_for: tuple[Any, ...] = ()
        self.errors: list[str] = []

    def initializePage(self) -> None:
        w = self.w
        signature = (str(w.path), w.kind.name, tuple(map(str, w.header)))
        if signature == self._built_for:
            return  # back and forth keeps the choices made
        self._built_for = signature
        proposal = w.initial_mapping or propose_mapping(w.kind, w.header)
        w.initial_mapping = None
        sample: list[object] = []
        if w.path is not None:
            try:
                from calnet_desk.exchange.sheets import read_rows

                with read_rows(w.path, w.path.name) as rows:
                    next(rows, None)
                    second = next(rows, None)
                    sample = list(second[1]) if second else []
            except SheetError:
                sample = []
        self.table.setRowCount(len(w.header))
        self.combos = []
        for i in range(len(w.header)):
            name = column_name(w.header, i)
            item = QTableWidgetItem(name)
            self.table.setItem(i, 0, item)
            combo = QComboBox(self.table)
            combo.setAccessibleName(f"Field for column {i + 1}, {name}")
            combo.addItem(IGNORE, None)
            for f in w.kind.fields:
                combo.addItem(f"{f.label}{' *' if f.required else ''}  ({f.name})", f.name)
            index = combo.findData(proposal.get(i))
            combo.setCurrentIndex(max(index, 0))
            combo.currentIndexChanged.connect(self._changed)
            guard_wheel(combo)  # the wheel scrolls the list, never changes a mapping
            self.table.setCellWidget(i, 1, combo)
            self.combos.append(combo)
            value = sample[i] if i < len(sample) else None
            self.table.setItem(i, 2, QTableWidgetItem("" if value is None else str(value)))
        self.table.resizeColumnsToContents()
        self._changed()

    def mapping(self) -> ColumnMap:
        return {i: c.currentData() for i, c in enumerate(self.combos)}

    def _changed(self) -> None:
        w = self.w
        mapping = self.mapping()
        _, errors, notes = apply_mapping(w.kind, w.header, mapping)
        self.errors = [e.split(":", 1)[1].strip() for e in errors]
        ignored = [column_name(w.header, i) for i, f in mapping.items() if f is None]
        gray = QBrush(QColor("#888888"))
        for i, f in mapping.items():
            item = self.table.item(i, 0)
            if item is not None:
                item.setForeground(gray if f is None else QBrush())
        lines = []
        if ignored:
            lines.append(f"Ignored (not imported): {', '.join(ignored)}.")
        mapped = sum(1 for f in mapping.values() if f)
        lines.append(f"{mapped} of {len(mapping)} column(s) imported; * marks a required "
                     "field.")
        if self.errors:
            lines.append("To fix before going on: " + "; ".join(self.errors) + ".")
        self.status.setText(" ".join(lines))
        w.mapping = mapping
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return not self.errors


class PreviewPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.w = wizard
        self.setTitle("Preview")
        self.setSubTitle(f"The first {PREVIEW_ROWS} rows as they will be stored. A cell "
                         "marked ⚠ will not import as it is; the next step checks every row.")
        self.table = QTableWidget(0, 0, self)
        self.table.setAccessibleName("Preview of the first rows")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.setAlternatingRowColors(True)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setAccessibleName("Preview note")
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)

    def initializePage(self) -> None:
        w = self.w
        assert w.path is not None
        fields = [f for f in w.kind.fields if f.name in set(w.mapping.values())]
        self.table.clear()
        self.table.setColumnCount(len(fields))
        self.table.setHorizontalHeaderLabels([f.label for f in fields])
        try:
            rows = preview(w.path, w.kind, w.mapping, PREVIEW_ROWS, w.path.name)
        except SheetError as e:
            rows = []
            self.note.setText(str(e))
        self.table.setRowCount(len(rows))
        self.table.setVerticalHeaderLabels([str(r[0]) for r in rows])
        bad = QBrush(QColor("#b00020"))
        flagged = 0
        for r, (_, record, problems) in enumerate(rows):
            for c, f in enumerate(fields):
                if f.name in problems:
                    item = QTableWidgetItem(f"⚠ {problems[f.name]}")
                    item.setForeground(bad)
                    item.setToolTip(problems[f.name])
                    flagged += 1
                else:
                    item = QTableWidgetItem(show(f, record.get(f.name)))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        cap = self.table.fontMetrics().averageCharWidth() * 30
        for c in range(self.table.columnCount()):
            self.table.setColumnWidth(c, min(self.table.columnWidth(c), cap))
        if rows:
            self.note.setText(f"Rows {rows[0][0]}–{rows[-1][0]} of {w.path.name} (row numbers "
                              f"as the spreadsheet shows them); {flagged} cell(s) marked.")
        elif not self.note.text():
            self.note.setText(f"{w.path.name} has no data rows below the header.")


class DryRunPage(QWizardPage):
    checked = Signal()

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.w = wizard
        self.setTitle("Check every row")
        self.setSubTitle("A dry run: every row is read and checked as the import will, "
                         "nothing is written. Import is possible once no row has a problem.")
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Check result")
        self.problems = QListWidget(self)
        self.problems.setAccessibleName("Problems (file:row:column: reason)")
        self.again = QPushButton("Check &again", self)
        self.again.setAccessibleName("Check the file again")
        self.again.clicked.connect(self.run_check)
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(self.again)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.problems, 1)
        self.ok = False
        self.running = False
        self.result: Any = None
        self._generation = 0

    def initializePage(self) -> None:
        self.run_check()

    def run_check(self) -> None:
        from calnet_desk.exchange.importer import import_file

        w = self.w
        assert w.path is not None
        self._generation += 1
        generation = self._generation
        path, kind, mapping = w.path, w.kind, dict(w.mapping)
        today = w.session.today()
        self.ok, self.running, self.result = False, True, None
        self.problems.clear()
        self.again.setEnabled(False)
        self.status.setText(f"Checking every row of {path.name}…")
        self.completeChanged.emit()

        def job(reg: Register) -> Any:
            return import_file(reg, path, kind, dry_run=True, name=path.name,
                               mapping=mapping, today=today)

        def done(result: Any) -> None:
            if generation == self._generation:
                self._show(result)

        def failed(message: str, details: str) -> None:
            if generation == self._generation:
                self.running = False
                self.again.setEnabled(True)
                self.status.setText(f"The check did not finish: {message}")
                self.checked.emit()

        w.session.read_async(job, done, failed)

    def _show(self, result: Any) -> None:
        self.running, self.result = False, result
        self.again.setEnabled(True)
        self.problems.addItems(result.errors)
        self.problems.addItems([f"Warning: {w}" for w in result.warnings])
        ignored = len(result.notes)
        ignored_text = f" {ignored} column(s) ignored." if ignored else ""
        warned = len(result.warnings)
        if warned:
            ignored_text += (f" {warned} warning(s) listed below: a date of something done "
                             "lies after today; check it before importing.")
        kind = self.w.kind
        if result.errors:
            where = (f" in {result.problem_rows:,} row(s)" if result.problem_rows else "")
            self.status.setText(f"{len(result.errors)} problem(s){where}; {result.rows:,} "
                                "data row(s) read. Correct the cells listed below in the "
                                f"file, save it, and check again.{ignored_text}")
        elif result.rows == 0:
            self.status.setText("The file has no data rows: nothing to import.")
        else:
            self.ok = True
            self.status.setText(f"All {result.rows:,} row(s) are good: ready to import as "
                                f"{kind.label.lower()}.{ignored_text} Existing records with "
                                "the same key are updated.")
            self.problems.addItems(result.notes)
        self.completeChanged.emit()
        self.checked.emit()

    def isComplete(self) -> bool:
        return self.ok


class ImportWizard(QWizard):
    """Emits import_requested(path, kind name, mapping) when Import is pressed."""

    import_requested = Signal(object, str, object)

    def __init__(self, session: Session, kinds: Sequence[str] | None = None,
                 path: Path | None = None, kind_name: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.kinds = list(kinds or KINDS)
        self.kind_fixed = False
        self.path: Path | None = None
        self.header: list[object] = []
        self.kind: Kind = KINDS[self.kinds[0]]
        self.mapping: ColumnMap = {}
        self.initial_mapping: ColumnMap | None = None
        self.setObjectName("import-wizard")
        self.setWindowTitle("Import a spreadsheet")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, False)
        self.file_page = FilePage(self)
        self.mapping_page = MappingPage(self)
        self.preview_page = PreviewPage(self)
        self.check_page = DryRunPage(self)
        for page in (self.file_page, self.mapping_page, self.preview_page, self.check_page):
            self.addPage(page)
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Import")
        _name_buttons(self)
        self.button(QWizard.WizardButton.FinishButton).setAccessibleName("Import")
        if kind_name:
            self.kind_fixed = True
            self.file_page.kind.setCurrentIndex(self.file_page.kind.findData(kind_name))
        if path is not None:
            self.file_page.path.setText(str(path))
        # three quarters of the screen, so the preview's columns show (it is fitted to the
        # screen when shown: ui/screen.py)
        ch = self.fontMetrics().averageCharWidth()
        area = (parent.screen() if parent is not None else self.screen()).availableGeometry()
        self.resize(max(ch * 110, area.width() * 3 // 4),
                    max(self.fontMetrics().height() * 34, area.height() * 3 // 4))

    def accept(self) -> None:
        if not self.check_page.ok or self.path is None:
            return
        self.import_requested.emit(self.path, self.kind.name, dict(self.mapping))
        super().accept()
