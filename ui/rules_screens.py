"""The rules on screen: the procurement check as a short wizard, the IPR calculator,
acknowledge and snooze on the dashboard, the calendar export and the list of every rule with
its citation. The decisions are the core's (calnet_desk.policy, calnet_desk.deadlines); these
screens ask, show and write through the session's writer."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QModelIndex, QPoint, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from calnet_desk.policy.ipr import (
    CHECKLIST_LABELS,
    IprInput,
    IprUsageError,
    calculate,
    checklist_items,
    make_input,
    money_text,
    parse_dollars,
)
from calnet_desk.policy.procurement import Purchase, UsageError, check_purchase
from calnet_desk.policy.rules import RuleSet, load_rules
from calnet_desk.records import AGENCY_CLASSES, KINDS
from calnet_desk.store import RecordError, Register

from .dialogs import dialog_buttons, name_buttons, show_error
from .formatting import date_format, readable, show_date
from .session import Session
from .settings import Settings
from .widgets import scrolling


def rules_of(session: Session) -> RuleSet:
    """The common rule set with the register's overrides (as the CLI's check-purchase and
    ipr use it)."""
    return load_rules(None, session.root)


# --- the procurement check ---------------------------------------------------------------------

OFFERING_LABELS = {
    "calnet": "A service CALNET offers (contact-center technology included)",
    "not-on-calnet": "Something CALNET does not offer (PBX or key system, premise "
                     "equipment, transport not on contract)",
    "contact-center-agents": "Contact-center agents or staff augmentation (people, not "
                             "technology)",
    "contact-center-mixed": "A contact center bought as one: technology and human agents "
                            "(answered part by part)",
}
# The offerings whose catalog entry matters (a mixed purchase: its technology part).
CATALOGUED = ("calnet", "contact-center-mixed")

REQUIREMENT_TEXT = {
    "order-on-calnet": "Buy it through CALNET: an STD. 20 signed by the CATR or an ATR for "
                       "each order.",
    "calnet-optional": "CALNET is optional: the agency may use it or another vehicle the "
                       "state procurement rules allow.",
    "exemption-before-purchase": "An approved exemption before buying (or before extending "
                                 "or re-bidding the outside contract).",
    "general-delegation": "A General Delegation.",
    "contract-delegation": "A CALNET contract delegation, approved before ordering.",
    "outside-calnet-rules": "Not a CALNET purchase: the state procurement rules govern it.",
    "confirm-with-calnet-program": "Confirm with the CALNET Program before buying elsewhere, "
                                   "and keep its answer in the file: the sources differ "
                                   "(see below).",
}

# The requirements met by a record of the register: (kind, delegation type, what it is called)
CREATES: dict[str, tuple[str, str | None, str]] = {
    "exemption-before-purchase": ("exemptions", None, "exemption"),
    "general-delegation": ("delegations", "general", "general delegation"),
    "contract-delegation": ("delegations", "contract", "contract delegation"),
}


def requirement_text(code: str) -> str:
    return REQUIREMENT_TEXT.get(code, readable(code) + ".")


class NewRecordDialog(QDialog):
    """The id (typed by the person) and the project of a new pending record."""

    def __init__(self, what: str, project: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Create the {what} record")
        intro = QLabel(f"A pending {what} record is added to the register; fill in the "
                       "rest of the request on its page.", self)
        intro.setWordWrap(True)
        self.key = QLineEdit(self)
        self.key.setAccessibleName(f"{what.capitalize()} id")
        self.key.setPlaceholderText("e.g. EX-2026-01")
        self.project = QLineEdit(project, self)
        self.project.setAccessibleName("Project")
        form = QFormLayout()
        form.addRow("&Id:", self.key)
        form.addRow("&Project:", self.project)
        buttons = dialog_buttons(self)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)


def ask_new_record(parent: QWidget, what: str, project: str) -> tuple[str, str] | None:
    """(id, project) typed, or None when cancelled (tests replace this)."""
    dialog = NewRecordDialog(what, project, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.key.text().strip(), dialog.project.text().strip()


class AnswersPage(QWizardPage):
    """Only the questions that apply to the answers so far; what cannot be combined cannot
    be chosen."""

    def __init__(self, agency_class: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("The planned purchase")
        self.setSubTitle("Answer for one purchase; the next page says what the rules "
                         "require and which rule says so.")
        self.agency_class = QComboBox(self)
        self.agency_class.setAccessibleName("Agency class")
        for c in AGENCY_CLASSES:
            self.agency_class.addItem(readable(c), c)
        if agency_class in AGENCY_CLASSES:
            self.agency_class.setCurrentIndex(AGENCY_CLASSES.index(agency_class))
        self.offering = QComboBox(self)
        self.offering.setAccessibleName("What is bought")
        for code, label in OFFERING_LABELS.items():
            self.offering.addItem(label, code)
        self.catalog_status = QComboBox(self)
        self.catalog_status.setAccessibleName("Catalog status")
        self.catalog_status.addItem("Required (mandatory)", "required")
        self.catalog_status.addItem("Discretionary", "discretionary")
        self.buy_outside = QCheckBox("Buy it outside CALNET (or extend or re-bid an outside "
                                     "contract for it)", self)
        self.buy_outside.setAccessibleName("Buy outside CALNET")
        self.delegation_flag = QCheckBox("The catalog marks the item Delegation = Yes", self)
        self.delegation_flag.setAccessibleName("Catalog delegation flag")
        self.ato_term = QCheckBox("The service is listed on an ATO still inside its exclusive "
                                  "term", self)
        self.ato_term.setAccessibleName("ATO exclusive term active")
        self.form = QFormLayout(self)
        self.form.addRow("Agency &class:", self.agency_class)
        self.form.addRow("&What is bought:", self.offering)
        self.form.addRow("Catalog &status:", self.catalog_status)
        self.form.addRow("", self.buy_outside)
        self.form.addRow("", self.delegation_flag)
        self.form.addRow("", self.ato_term)
        for w in (self.agency_class, self.offering, self.catalog_status):
            w.currentIndexChanged.connect(self.update_questions)
        self.buy_outside.toggled.connect(self.update_questions)
        self.update_questions()

    def update_questions(self) -> None:
        agency = self.agency_class.currentData()
        calnet = self.offering.currentData() in CATALOGUED
        catalog = agency == "non-exempt-state" and calnet
        self.form.setRowVisible(self.catalog_status, catalog)
        self.form.setRowVisible(self.buy_outside, catalog)
        # bought outside, the delegation flag decides nothing
        self.form.setRowVisible(self.delegation_flag, catalog and not self.buy_outside.isChecked())
        self.form.setRowVisible(self.ato_term, agency == "non-state"
                                and self.offering.currentData() == "calnet")

    def purchase(self) -> Purchase:
        agency = str(self.agency_class.currentData())
        offering = str(self.offering.currentData())
        catalog = agency == "non-exempt-state" and offering in CATALOGUED
        outside = catalog and self.buy_outside.isChecked()
        return Purchase(
            agency, offering,
            catalog_status=str(self.catalog_status.currentData()) if catalog else None,
            delegation_flag=("yes" if self.delegation_flag.isChecked() else "no")
            if catalog and not outside else None,
            buy_outside=outside,
            ato_term_active=("yes" if self.ato_term.isChecked() else "no")
            if agency == "non-state" and offering == "calnet" else None)


class ResultPage(QWizardPage):
    def __init__(self, wizard: ProcurementWizard) -> None:
        super().__init__(wizard)
        self.wizard_ = wizard
        self.setTitle("What the rules require")
        self.text = QTextBrowser(self)
        self.text.setAccessibleName("Procurement check result")
        self.text.setOpenLinks(False)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setAccessibleName("What was created")
        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)
        self.create_buttons: dict[str, QPushButton] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addLayout(self.buttons)
        layout.addWidget(self.note)
        self.result: dict[str, Any] | None = None

    def initializePage(self) -> None:
        purchase = self.wizard_.answers.purchase()
        for button in self.create_buttons.values():
            self.buttons.removeWidget(button)
            button.deleteLater()
        self.create_buttons = {}
        self.note.clear()
        try:
            self.result = check_purchase(self.wizard_.rules, purchase)
        except UsageError as e:  # cannot happen from the answers page; said if it does
            self.result = None
            self.text.setHtml(f"<p>{html.escape(str(e))}</p>")
            return
        self.text.setHtml(result_html(purchase, self.result))
        for code in self.result["requirements"]:
            if code in CREATES:
                _, _, what = CREATES[code]
                button = QPushButton(f"Create the {what} record…", self)
                button.setAccessibleName(f"Create the {what} record")
                button.setEnabled(self.wizard_.can_write())
                button.clicked.connect(lambda checked=False, c=code: self.wizard_.create_record(c))
                self.buttons.insertWidget(self.buttons.count() - 1, button)
                self.create_buttons[code] = button
        if self.create_buttons and not self.wizard_.can_write():
            self.note.setText("The register is open read-only: records cannot be created.")


def result_html(purchase: Purchase, result: dict[str, Any]) -> str:
    e = html.escape
    answers = [readable(purchase.agency_class) + " agency",
               OFFERING_LABELS[purchase.offering].split(" (")[0]]
    if purchase.catalog_status:
        answers.append(f"catalog status {purchase.catalog_status}")
    if purchase.buy_outside:
        answers.append("bought outside CALNET")
    if purchase.delegation_flag == "yes":
        answers.append("catalog Delegation = Yes")
    if purchase.ato_term_active == "yes":
        answers.append("on an ATO inside its exclusive term")
    parts = [f"<p><i>{e(' · '.join(answers))}</i></p>", "<h3>Requirements</h3><ul>"]
    parts += [f"<li>{e(requirement_text(r))}</li>" for r in result["requirements"]]
    for part in result.get("parts", []):
        parts.append(f"<li>{e(part['part'].capitalize())}: "
                     f"{e(' '.join(requirement_text(r) for r in part['requirements']))}</li>")
    parts.append(f"</ul><h3>Why</h3><p>{e(result['explanation'])}</p>")
    if result.get("conflicts"):
        parts.append("<h3>Where the sources differ</h3><ul>")
        parts += [f"<li>{e(c['source'])} ({e(c['date'] or 'undated')}): "
                  f"\u201c{e(c['says'])}\u201d</li>" for c in result["conflicts"]]
        parts.append("</ul>")
    parts.append(f"<h3>Sources</h3><p>{e(', '.join(result['citations']))}</p>")
    parts.append("<h3>The file must hold</h3>")
    if result["documents"]:
        parts.append("<ul>" + "".join(f"<li>{e(d)}</li>" for d in result["documents"])
                     + "</ul>")
    else:
        parts.append("<p>Nothing beyond the agency's usual purchasing file.</p>")
    return "".join(parts)


class ProcurementWizard(QWizard):
    """Tools > Check a purchase: the answers, then the requirements with their citations,
    the documents the file must hold, and the records to create."""

    open_record = Signal(str, str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.rules = rules_of(session)
        self.setWindowTitle("Check a purchase")
        self.setObjectName("procurement-wizard")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.answers = AnswersPage(str(session.agency().get("agency_class") or ""), self)
        self.result_page = ResultPage(self)
        self.addPage(self.answers)
        self.addPage(self.result_page)
        for which in (QWizard.WizardButton.NextButton, QWizard.WizardButton.BackButton,
                      QWizard.WizardButton.FinishButton, QWizard.WizardButton.CancelButton):
            button = self.button(which)
            button.setAccessibleName(button.text().replace("&", "").strip("<> "))
        self.created: dict[str, str] = {}  # requirement -> the key of the record created
        self.resize(self.fontMetrics().averageCharWidth() * 90,
                    self.fontMetrics().height() * 30)

    def can_write(self) -> bool:
        return self.session.writer is not None and not self.session.read_only

    def create_record(self, code: str) -> None:
        """A minimal pending record for the requirement, with the id the person types."""
        kind_name, delegation_type, what = CREATES[code]
        if not self.can_write() or self.session.writer is None:
            QMessageBox.information(self, "Read-only", "This register is open read-only.")
            return
        answer = ask_new_record(self, what, "")
        if answer is None:
            return
        key, project = answer
        if not key or not project:
            show_error(self, "Not created", f"The {what} needs an id and a project; nothing "
                       "was created.")
            return
        kind = KINDS[kind_name]
        record: dict[str, Any] = {kind.key.name: key, "project": project,
                                  "decision": "pending"}
        if delegation_type:
            record["type"] = delegation_type
        if kind_name == "exemptions" and "general-delegation" in self.created:
            record["general_delegation_id"] = self.created["general-delegation"]

        def job(reg: Register, progress: Any, cancelled: Any) -> str:
            if reg.get(kind, key) is not None:
                raise RecordError(f"{kind.singular} {key} is already in the register; "
                                  "choose another id. Nothing was created.")
            with reg.transaction("created from the procurement check") as tx:
                tx.put(kind, record)
            return key

        def done(_: object) -> None:
            self.created[code] = key
            button = self.result_page.create_buttons.get(code)
            if button is not None:
                button.setEnabled(False)
                button.setText(f"Created {what} {key}")
                button.setAccessibleName(button.text())
            self.result_page.note.setText(
                f"Created {what} {key} (pending); it is open on the {kind.label} page.")
            self.session.changed.emit(kind_name, key)
            self.open_record.emit(kind_name, key)

        self.session.writer.submit(
            job, done, lambda message, details: show_error(self, "Not created", message,
                                                           details))


# --- the IPR calculator ------------------------------------------------------------------------

def pick_exemption(parent: QWidget, keys: list[str]) -> str | None:
    """The exemption to keep the calculation with (tests replace this)."""
    key, ok = QInputDialog.getItem(parent, "Save to exemption",
                                   "Keep the calculation with exemption (reason IPR):",
                                   keys, 0, True)
    return str(key).strip() or None if ok else None


class IprDialog(QDialog):
    """Individual Price Reduction [STMM 501.0]: live result as the figures are typed."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.rules = rules_of(session)
        self.setWindowTitle("IPR calculator")
        self.setObjectName("ipr-dialog")
        self.calnet_cost = QLineEdit(self)
        self.calnet_cost.setAccessibleName("CALNET cost over the term")
        self.calnet_cost.setPlaceholderText("e.g. 125000 or $125,000.00")
        self.alternative_cost = QLineEdit(self)
        self.alternative_cost.setAccessibleName("Alternative cost over the same term")
        self.alternative_cost.setPlaceholderText("e.g. 95000")
        self.months = QSpinBox(self)
        self.months.setAccessibleName("Months the totals cover")
        self.months.setRange(0, 600)
        self.months.setSpecialValueText("Not given")
        form = QFormLayout()
        form.addRow("&CALNET cost:", self.calnet_cost)
        form.addRow("&Alternative cost:", self.alternative_cost)
        form.addRow("&Months:", self.months)

        box = QGroupBox("Comparable to CALNET (shown in the IPR documentation)", self)
        box_layout = QVBoxLayout(box)
        self.checks: dict[str, QCheckBox] = {}
        for code in checklist_items(self.rules):
            label = CHECKLIST_LABELS.get(code, code)
            check = QCheckBox(label[:1].upper() + label[1:], box)
            check.setAccessibleName(f"Comparable {label}")
            box_layout.addWidget(check)
            self.checks[code] = check
        self.attest = QCheckBox("A separate contract would not unduly interfere with the "
                                "statewide network", self)
        self.attest.setAccessibleName("Network attestation")

        self.verdict = QLabel(self)
        self.verdict.setAccessibleName("Meets the IPR guide")
        self.figures = QLabel(self)
        self.figures.setAccessibleName("Saving")
        self.explanation = QLabel(self)
        self.explanation.setWordWrap(True)
        self.explanation.setAccessibleName("Explanation")
        self.explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.explanation.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.explanation.setMinimumHeight(self.fontMetrics().lineSpacing() * 8)
        self.figures.setWordWrap(True)
        self.citation = QLabel(self)
        self.citation.setAccessibleName("Source")
        self.saved = QLabel(self)
        self.saved.setWordWrap(True)
        self.saved.setAccessibleName("Saved")
        result = QGroupBox("Result (advisory)", self)
        result_layout = QVBoxLayout(result)
        for w in (self.verdict, self.figures, self.explanation, self.citation, self.saved):
            result_layout.addWidget(w)

        self.save_button = QPushButton("&Save to exemption…", self)
        self.save_button.setAccessibleName("Save to exemption")
        self.save_button.clicked.connect(self.save)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        name_buttons(buttons)
        self.save_button.setAccessibleName("Save to exemption")

        body = QVBoxLayout()
        body.addLayout(form)
        body.addWidget(box)
        body.addWidget(self.attest)
        body.addWidget(result, 1)
        layout = QVBoxLayout(self)
        scroll = scrolling(body, self)  # a laptop at 150 % scrolls it; Close stays in view
        scroll.setAccessibleName("IPR figures and result")
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        for edit in (self.calnet_cost, self.alternative_cost):
            edit.textChanged.connect(self.update_result)
        self.months.valueChanged.connect(self.update_result)
        for check in (*self.checks.values(), self.attest):
            check.toggled.connect(self.update_result)
        self.ipr: IprInput | None = None
        self.outcome: dict[str, Any] | None = None
        self.update_result()
        self.resize(self.fontMetrics().averageCharWidth() * 120,
                    scroll.widget().sizeHint().height() + buttons.sizeHint().height()
                    + 3 * layout.spacing() + 2 * layout.contentsMargins().top())

    def current_input(self) -> IprInput:
        calnet = parse_dollars(self.calnet_cost.text())
        alternative = parse_dollars(self.alternative_cost.text())
        return make_input(self.rules, calnet, alternative, self.months.value() or None,
                          [c for c, box in self.checks.items() if box.isChecked()],
                          self.attest.isChecked())

    def update_result(self) -> None:
        self.saved.clear()
        try:
            self.ipr = self.current_input()
        except IprUsageError as e:
            self.ipr, self.outcome = None, None
            empty = not (self.calnet_cost.text().strip() and self.alternative_cost.text().strip())
            self.verdict.setText("Give both costs to see the result." if empty
                                 else f"Cannot calculate: {e}")
            for w in (self.figures, self.explanation, self.citation):
                w.clear()
            self.save_button.setEnabled(False)
            return
        self.outcome = r = calculate(self.rules, self.ipr)
        self.verdict.setText("<b>Meets the IPR guide (advisory): "
                             + ("yes" if r["meets_guide"] else "no") + "</b>")
        saving = self.ipr.calnet_cost - self.ipr.alternative_cost
        self.figures.setText(f"Saving {money_text(saving)} ({r['saving_percent']:.2f} % of "
                             f"the CALNET cost); alternative / CALNET {r['ratio']:.4f}; "
                             "checklist complete: "
                             + ("yes" if r["checklist_complete"] else "no"))
        self.explanation.setText(r["explanation"])
        self.citation.setText(f"Source: {r['citation']}")
        self.save_button.setEnabled(self.session.writer is not None
                                    and not self.session.read_only)

    def save(self) -> None:
        ipr, writer = self.ipr, self.session.writer
        if ipr is None or writer is None or self.session.read_only:
            return
        keys = [str(k) for (k,) in self.session.reader.conn.execute(
            "SELECT exemption_id FROM exemptions WHERE reason = 'ipr' ORDER BY 1")]
        key = pick_exemption(self, keys)
        if not key:
            return

        def job(reg: Register, progress: Any, cancelled: Any) -> str:
            from calnet_desk.policy.ipr import save_calculation

            return save_calculation(reg, key, ipr, "IPR calculator")

        def done(action: object) -> None:
            self.saved.setText(f"The calculation saved with exemption {key} was already this "
                               "one." if action == "unchanged" else
                               f"Saved with exemption {key}; its request packet shows it.")
            self.session.changed.emit("exemptions", key)

        writer.submit(job, done, lambda message, details: show_error(
            self, "Not saved", message, details))


# --- acknowledge and snooze on the dashboard ---------------------------------------------------

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


def ask_snooze_date(parent: QWidget, what: str, today: dt.date) -> dt.date | None:
    """The day to snooze until, or None when cancelled (tests replace this)."""
    dialog = SnoozeDialog(what, today, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
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

    def __init__(self, dashboard: Any, session: Session) -> None:
        super().__init__(dashboard)
        self.dashboard = dashboard
        self.session = session
        self.ack_button = QPushButton("&Acknowledge", self)
        self.ack_button.setAccessibleName("Acknowledge the selected deadline")
        self.snooze_button = QPushButton("S&nooze until…", self)
        self.snooze_button.setAccessibleName("Snooze the selected deadline")
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setAccessibleName("Deadline status")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.ack_button)
        layout.addWidget(self.snooze_button)
        layout.addWidget(self.note, 1)
        self.ack_button.clicked.connect(self.acknowledge)
        self.snooze_button.clicked.connect(lambda: self.snooze())
        table: QTableView = dashboard.deadlines
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._context_menu)
        dashboard.deadline_model.modelAboutToBeReset.connect(self._remember)
        dashboard.deadline_model.modelReset.connect(self._reselect)
        self._follow: tuple[str, str, str] | None = None
        self.shown: list[Any] = []
        self.update_buttons()

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
        """All the selected deadlines at once (one write each, in the history)."""
        chosen = self.selected_all()
        if len(chosen) == 1:
            self._mark(chosen[0], "acknowledged", None)
        elif chosen:
            self._mark_many(chosen)

    def _mark_many(self, chosen: list[Any]) -> None:
        writer = self.session.writer
        if writer is None or self.session.read_only:
            return

        def job(reg: Register, progress: Any, cancelled: Any) -> object:
            from calnet_desk.deadlines import mark_deadline

            for d in chosen:
                mark_deadline(reg, d.record_kind, d.key, d.kind, "acknowledged")
            return len(chosen)

        def done(_: object) -> None:
            self.note.setText(f"Acknowledged {len(chosen)} deadlines; each comes back if its "
                              "date changes.")
            self.session.refresh_overview()

        writer.submit(job, done, lambda message, details: show_error(
            self, "Not changed", message, details))

    def snooze(self, until: dt.date | None = None) -> None:
        d = self.selected()
        if d is None:
            return
        until = until or ask_snooze_date(self, deadline_words(d), self.session.today())
        if until is not None:
            self._mark(d, "snoozed", until)

    def _mark(self, d: Any, mark: str, until: dt.date | None) -> None:
        writer = self.session.writer
        if writer is None or self.session.read_only:
            return

        def job(reg: Register, progress: Any, cancelled: Any) -> object:
            from calnet_desk.deadlines import mark_deadline

            return mark_deadline(reg, d.record_kind, d.key, d.kind, mark, until=until)

        def done(_: object) -> None:
            what = deadline_words(d)
            self.note.setText(
                f"Acknowledged the {what} ({show_date(d.date.isoformat())}); it comes back "
                "if that date changes." if mark == "acknowledged" else
                f"Snoozed the {what} until {show_date(until.isoformat() if until else '')}.")
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
        name, _ = QFileDialog.getSaveFileName(parent, "Export deadlines to a calendar",
                                              settings.export_path("calnet-deadlines.ics"),
                                              "iCalendar (*.ics)")
        if not name:
            return
        path = Path(name)
    target = path if path.suffix.lower() == ".ics" else path.with_name(path.name + ".ics")
    today = session.today()

    def job(reg: Register) -> int:
        from calnet_desk.calendar_export import export_ics

        if not target.parent.is_dir():
            raise OSError(f"{target.parent} is not a folder")
        return export_ics(reg, target, today)

    session.read_async(job, lambda n: report(f"Wrote {n} event(s) to {target}"),
                       lambda message, details: show_error(
                           parent, "Calendar not exported", f"{message}; nothing was written",
                           details))


# --- every rule with its citation --------------------------------------------------------------

def rule_rows(rules: RuleSet) -> list[list[str]]:
    """[section, entry, what, citation, text] for every rule, deadline kind, procurement
    case, request element and finding code."""
    rows: list[list[str]] = []
    for r in rules.rules.values():
        value = (", ".join(map(str, r.value)) if isinstance(r.value, list)
                 else ("yes" if r.value else "no") if isinstance(r.value, bool)
                 else str(r.value))
        if r.by_kind:
            value += " (" + "; ".join(f"{k}: {', '.join(map(str, v))}"
                                      for k, v in r.by_kind.items()) + ")"
        rows.append(["Rule", r.id, f"{value} {r.unit}".strip(), ", ".join(r.citations),
                     r.text])
    for kind, d in rules.deadlines.items():
        rows.append(["Deadline", kind, readable(kind), str(d.get("citation", "")),
                     str(d.get("text", ""))])
    for case in rules.procurement:
        when = "; ".join(f"{readable(k)}: {' or '.join(v)}"
                         for k, v in case.get("when", {}).items())
        rows.append(["Procurement case", str(case["case"]),
                     f"{when} → {', '.join(case['requirements'])}",
                     ", ".join(case["citations"]), str(case.get("explanation", ""))])
    for kind in ("exemptions", "delegations"):
        for e in rules.requests.get(kind, {}).get("elements", []):
            rows.append([f"Request element ({KINDS[kind].singular})", str(e["code"]),
                         str(e.get("label", "")), str(e.get("citation", "")),
                         str(e.get("condition") or "Always. Fields: "
                             + ", ".join(e.get("fields", [])))])
    for code, f in rules.findings.items():
        rows.append(["Finding", code, readable(str(f.get("severity", ""))),
                     str(f.get("citation", "")), str(f.get("message", ""))])
    return rows


class RulesDialog(QDialog):
    """Help > Rules and citations: every rule, deadline kind, procurement case, request
    element and finding, each with its source; a filter over all columns."""

    def __init__(self, rules: RuleSet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Rules and citations")
        self.setObjectName("rules-dialog")
        sources = QLabel(f"{rules.name} — from {', '.join(rules.sources)}", self)
        sources.setWordWrap(True)
        self.filter = QLineEdit(self)
        self.filter.setAccessibleName("Filter the rules")
        self.filter.setPlaceholderText("Filter: a word, a code or a citation (e.g. 501.0)")
        self.filter.setClearButtonEnabled(True)
        self.model = QStandardItemModel(0, 5, self)
        self.model.setHorizontalHeaderLabels(["Kind", "Code", "What", "Source", "Text"])
        for row in rule_rows(rules):
            items = [QStandardItem(v) for v in row]
            for item in items:
                item.setEditable(False)
            items[4].setToolTip(row[4])
            self.model.appendRow(items)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.table = QTableView(self)
        self.table.setAccessibleName("Rules and citations")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the rule set's order
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.count = QLabel(self)
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setAccessibleName("The selected entry")
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label = QLabel("&Filter:", self)
        label.setBuddy(self.filter)
        bar = QHBoxLayout()
        bar.addWidget(label)
        bar.addWidget(self.filter, 1)
        bar.addWidget(self.count)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        name_buttons(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(sources)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        layout.addWidget(buttons)
        self.filter.textChanged.connect(self._filter)
        self.table.selectionModel().currentRowChanged.connect(self._show_detail)
        cap = self.fontMetrics().averageCharWidth()
        for column, chars in enumerate((28, 32, 40, 22)):
            self.table.setColumnWidth(column, cap * chars)
        self._filter("")
        self.resize(cap * 170, self.fontMetrics().height() * 40)

    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        self.count.setText(f"{self.proxy.rowCount()} of {self.model.rowCount()} shown")

    def _show_detail(self, current: QModelIndex, previous: QModelIndex) -> None:
        row = [self.proxy.index(current.row(), c).data() for c in range(5)]
        self.detail.setText(f"{row[1]} [{row[3]}]: {row[4]}" if current.isValid() else "")

    def rows_shown(self) -> list[list[str]]:
        return [[str(self.proxy.index(r, c).data()) for c in range(5)]
                for r in range(self.proxy.rowCount())]
