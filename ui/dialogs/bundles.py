"""Audit bundles from the window: export (scope, as-of, redact, progress, cancel, show in
folder), verify with the result per file, merge with a choice per conflicting record. The
work runs off the GUI thread; the window stays responsive."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from calnet_desk.records import KINDS
from calnet_desk.store import Register

from ..formatting import date_format, to_date
from ..messages import dialog_buttons, name_buttons
from ..session import Session
from ..widgets import guard_wheel
from ..worker import Background, Ticket

if TYPE_CHECKING:
    from calnet_desk.exchange.bundle import BundleResult


def _named(widget: QWidget, name: str) -> QWidget:
    """An accessible name for the widget and the editor inside it (combo boxes, dates)."""
    widget.setAccessibleName(name)
    for inner in widget.findChildren(QLineEdit):
        if not inner.accessibleName():
            inner.setAccessibleName(name)
    return widget


class ExportBundleDialog(QDialog):
    SCOPES = (("all", "Everything"), ("exemption", "One exemption, with its orders"),
              ("delegation", "One delegation, with every purchase under it"),
              ("ato", "One ATO"), ("since", "Records changed since a date"))

    def __init__(self, session: Session, parent: QWidget | None = None,
                 reveal: Callable[[Path], None] | None = None,
                 selected: tuple[str, str] | None = None, folder: Path | None = None) -> None:
        """``selected``: the record (kind, key) selected in the window; an exemption,
        delegation or ATO starts the dialog on that record's scope, an order on its
        exemption's or delegation's; ``folder``: where the file goes (start_folder)."""
        super().__init__(parent)
        self.session = session
        self.reveal = reveal
        self.setWindowTitle("Export an audit bundle")
        self.scope = QComboBox(self)
        for code, label in self.SCOPES:
            self.scope.addItem(label, code)
        self.key = QComboBox(self)
        self.key.setEditable(True)
        self.since = QDateEdit(QDate.currentDate().addMonths(-1), self)
        self.as_of = QDateEdit(QDate.currentDate(), self)
        for w in (self.since, self.as_of):
            w.setCalendarPopup(True)
            w.setDisplayFormat(date_format())
        self.redact = QCheckBox("Re&dact personal names, e-mail and phone (Public Records Act "
                                "copy)", self)
        self.path = QLineEdit(self)
        browse = QPushButton("&Browse…", self)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.bar = QProgressBar(self)
        self.bar.setVisible(False)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.buttons = dialog_buttons(self, self.start, self._cancel, "&Export")
        self.show_folder = self.buttons.addButton("Show in f&older",
                                                  QDialogButtonBox.ButtonRole.ActionRole)
        self.show_folder.setEnabled(False)
        self.show_folder.clicked.connect(self._show_in_folder)
        name_buttons(self.buttons)
        for widget, name in ((self.scope, "Scope"), (self.key, "Record"), (self.since, "Since"),
                             (self.as_of, "As of"), (self.redact, "Redact"),
                             (self.path, "Bundle file"),
                             (browse, "Browse for the bundle file")):
            _named(widget, name)
        form = QFormLayout()
        form.addRow("&Scope:", self.scope)
        form.addRow("&Record:", self.key)
        form.addRow("Changed s&ince:", self.since)
        form.addRow("&As of (report date):", self.as_of)
        form.addRow("", self.redact)
        file_label = QLabel("&File:", self)
        file_label.setBuddy(self.path)
        form.addRow(file_label, row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.scope.currentIndexChanged.connect(self._scope_changed)
        self._scope_changed()
        agency = str(session.agency().get("name") or "agency")
        self.agency = agency.split(' (')[0]
        self.folder = folder or Path.home()
        self.suggested = ""  # the name follows the scope until another one is typed or picked
        self.key.currentTextChanged.connect(self._suggest_path)
        self.since.dateChanged.connect(self._suggest_path)
        self.as_of.dateChanged.connect(self._suggest_path)
        start = scope_of(session, selected) if selected is not None else None
        if start is not None:
            self.scope.setCurrentIndex(self.scope.findData(start[0]))
            self.key.setCurrentText(start[1])
        self._suggest_path()
        self.job: Ticket | None = None
        self.written: Path | None = None
        self.head = ""

    def _suggest_path(self, *args: Any) -> None:
        """The file is named after what it holds: the agency, the scope, the report date."""
        if self.path.text() not in ("", self.suggested):
            return
        code = str(self.scope.currentData())
        what = {"all": "everything",
                "since": f"changed since {to_date(self.since.date()).isoformat()}"
                }.get(code, f"{code} {self.key.currentText().strip()}")
        name = f"{self.agency} audit bundle {what} {to_date(self.as_of.date())}.zip"
        self.suggested = str(self.folder / name.replace("/", "-").replace(":", "-"))
        self.path.setText(self.suggested)

    def _scope_changed(self) -> None:
        code = self.scope.currentData()
        self.key.clear()
        if code in ("exemption", "delegation", "ato"):
            kind = KINDS[code + "s"]
            self.key.addItems(sorted(self.session.reader.keys(kind)))
        self.key.setEnabled(code in ("exemption", "delegation", "ato"))
        self.since.setEnabled(code == "since")
        if hasattr(self, "suggested"):  # not while the dialog is being built
            self._suggest_path()

    def scope_text(self) -> str:
        code = str(self.scope.currentData())
        if code == "all":
            return "all"
        if code == "since":
            return f"since:{to_date(self.since.date()).isoformat()}"
        return f"{code}:{self.key.currentText().strip()}"

    def _browse(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save the bundle as", self.path.text(),
                                              "Bundle (*.zip)")
        if name:
            self.path.setText(name)

    def start(self) -> None:
        from calnet_desk.exchange.bundle import export_bundle, parse_scope

        try:
            scope = parse_scope(self.scope_text())
        except ValueError as e:
            self.status.setText(str(e))
            return
        out = Path(self.path.text().strip())
        as_of = to_date(self.as_of.date())
        redact = self.redact.isChecked()

        def work(reg: Register, report: Any, cancelled: Any) -> BundleResult:
            return export_bundle(reg, out, scope, as_of, redact, report, cancelled)

        self.bar.setVisible(True)
        self.bar.setRange(0, 0)
        self.status.setText("Exporting…")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.job = self.session.read_job(work, self._done, self._failed, self._progress)

    def _progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(min(done, total))

    def _done(self, result: object) -> None:
        result = cast("BundleResult", result)
        self.written = result.path
        self.head = result.head
        self.bar.setVisible(False)
        self.status.setText(f"The bundle is written to {self.written}. An auditor can check "
                            "it with any BagIt validator or sha256sum.\n"
                            f"History chain head: {result.head}\nSend the head separately "
                            "(e.g. by e-mail): verify-bundle --expect-head checks it.")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.show_folder.setEnabled(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)

    def _failed(self, message: str, details: str) -> None:
        self.bar.setVisible(False)
        self.status.setText(f"Not exported: {message}. No partial file was left.")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)

    def _cancel(self) -> None:
        if self.job is not None:
            self.job.cancel_and_wait()  # the partial file is gone when the dialog closes
        self.reject()

    def _show_in_folder(self) -> None:
        from calnet_desk.system import NoViewer

        if self.written is not None:
            try:
                (self.reveal or _reveal)(self.written.parent)
            except NoViewer as e:
                self.status.setText(f"{e} The bundle is {self.written}.")


def _reveal(folder: Path) -> None:
    from calnet_desk.system import open_with_viewer

    open_with_viewer(folder)


def scope_of(session: Session, selected: tuple[str, str]) -> tuple[str, str] | None:
    """The bundle scope (code, key) of the record selected in the window: an exemption,
    delegation or ATO itself; an order through the exemption or delegation it rests on;
    None for anything else (the dialog then starts with everything)."""
    kind, key = selected
    if kind in ("exemptions", "delegations", "atos") and key:
        return kind[:-1], key
    if kind == "orders" and key:
        order = session.reader.get(KINDS["orders"], key) or {}
        for code in ("exemption", "delegation"):
            if order.get(f"{code}_id"):
                return code, str(order[f"{code}_id"])
    return None


def verify_per_file(path: Path) -> list[tuple[str, str]]:
    """(file, result) rows: every file of the bag with OK or what is wrong, then the
    problems that belong to no single file."""
    from calnet_desk.exchange.archive import UnsafeArchive, open_bundle
    from calnet_desk.exchange.bundle import verify_bag

    try:
        with open_bundle(path) as root:
            problems = verify_bag(root)
            files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                           if p.is_file())
    except UnsafeArchive as e:
        return [("(archive)", f"refused: {e}")]
    rows: list[tuple[str, str]] = []
    used: set[str] = set()
    for name in files:
        mine = [p for p in problems if name in p]
        used.update(mine)
        rows.append((name, "; ".join(mine) if mine else "OK"))
    rows += [("(bag)", p) for p in problems if p not in used]
    return rows


class VerifyBundleDialog(QDialog):
    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Verify {path.name}")
        self.summary = QLabel("Checking every file against the manifests…", self)
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 2, self)
        self.table.setHorizontalHeaderLabels(["File", "Result"])
        self.table.horizontalHeader().setStretchLastSection(True)
        _named(self.table, "Result per file")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        name_buttons(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        # room for the file names and results (it opened at 278×278); fitted to the screen
        self.resize(self.fontMetrics().averageCharWidth() * 100,
                    self.fontMetrics().height() * 30)
        self.sound: bool | None = None
        self.background = Background(self)  # no register needed: the bundle alone
        self.finished.connect(lambda _result: self.background.close())
        self.job = self.background.run(lambda report, cancelled: verify_per_file(path),
                                       self._done,
                                       lambda m, d: self.summary.setText(f"Not checked: {m}"))

    def _done(self, rows: object) -> None:
        assert isinstance(rows, list)
        self.table.setRowCount(len(rows))
        for i, (name, result) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(name))
            self.table.setItem(i, 1, QTableWidgetItem(result))
        bad = [r for r in rows if r[1] != "OK"]
        self.sound = not bad
        self.summary.setText("Sound: every file matches its manifest and the history matches "
                             "its chain." if not bad else
                             f"{len(bad)} problem(s) found; the bundle cannot be trusted.")
        self.table.resizeColumnToContents(0)


class MergeBundleDialog(QDialog):
    """A dry run first; then each conflicting record: keep the register's or take the
    bundle's; then the merge on the writer, all or nothing."""

    merged = Signal()

    def __init__(self, session: Session, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.path = session, path
        self.setWindowTitle(f"Merge {path.name}")
        self.summary = QLabel("Checking the bundle (nothing is written yet)…", self)
        self.summary.setWordWrap(True)
        self.summary.setMinimumHeight(self.fontMetrics().lineSpacing() * 3)
        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(["Record", "Field", "Register / bundle",
                                              "Keep"])
        self.table.horizontalHeader().setStretchLastSection(True)
        _named(self.table, "Conflicting records")
        self.buttons = dialog_buttons(self, self.merge, ok_text="&Merge")
        self.merge_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.merge_button.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.choices: dict[tuple[str, str], QComboBox] = {}
        self.result: Any = None
        from calnet_desk.exchange.merge import merge_bundle

        self.job = session.read_job(
            lambda reg, report, cancelled: merge_bundle(reg, path, dry_run=True),
            self._planned, lambda m, d: self.summary.setText(f"Not checked: {m}"))

    def _planned(self, result: Any) -> None:
        if result.problems:
            self.summary.setText("The bundle is refused; nothing will be written:\n"
                                 + "\n".join(result.problems[:20]))
            return
        added = sum(result.added.values())
        skipped = sum(result.skipped.values())
        self.summary.setText(f"{added} new record(s) will be added, {skipped} identical ones "
                             f"skipped, {result.documents_added} document(s) added. "
                             f"{len(result.conflicts)} record(s) differ: choose which version "
                             "to keep for each.")
        rows = [(c, f, v) for c in result.conflicts for f, v in c.fields.items()]
        self.table.setRowCount(len(rows))
        for i, (c, f, (mine, theirs)) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(f"{c.kind} {c.key}"))
            self.table.setItem(i, 1, QTableWidgetItem(f))
            self.table.setItem(i, 2, QTableWidgetItem(f"{mine} / {theirs}"))
            if (c.kind, c.key) not in self.choices:
                combo = QComboBox(self.table)
                combo.addItem("The register's", "register")
                combo.addItem("The bundle's", "bundle")
                _named(combo, f"Keep which version of {c.kind} {c.key}")
                guard_wheel(combo)  # scrolling the conflicts never changes a choice
                self.choices[(c.kind, c.key)] = combo
                self.table.setCellWidget(i, 3, combo)
        self.merge_button.setEnabled(True)

    def take(self) -> set[tuple[str, str]]:
        return {k for k, combo in self.choices.items() if combo.currentData() == "bundle"}

    def merge(self) -> None:
        from calnet_desk.exchange.merge import merge_bundle

        writer = self.session.writer
        if writer is None or self.session.read_only:
            QMessageBox.information(self, "Read-only", "This register is open read-only.")
            return
        take, path = self.take(), self.path
        self.merge_button.setEnabled(False)
        self.summary.setText("Merging…")

        def job(reg: Register, report: Any, cancelled: Any) -> Any:
            return merge_bundle(reg, path, take=take)

        def done(result: Any) -> None:
            if result.problems:
                self.summary.setText("Not merged; nothing was written:\n"
                                     + "\n".join(result.problems[:20]))
                return
            self.result = result
            self.summary.setText("Merged. The history records it with the bundle's SHA-256.")
            self.session.changed.emit("", "")
            self.merged.emit()
            self.accept()

        writer.submit(job, done, lambda m, d: self.summary.setText(f"Not merged: {m}"))
