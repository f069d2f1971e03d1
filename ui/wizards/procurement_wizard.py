"""Tools > Check a purchase: the procurement check as a short wizard (the decision is the
core's, calnet_desk.policy.procurement), and creating the request it says is needed."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from calnet_desk.operations import create_from_check
from calnet_desk.policy.procurement import (
    Purchase,
    UsageError,
    check_purchase,
    record_of_check,
)
from calnet_desk.records import AGENCY_CLASSES, KINDS

from ..dialogs.rules_dialog import rules_of
from ..formatting import readable
from ..messages import dialog_buttons, show_error
from ..session import Session
from ..worker import operation

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

        # the check's answers and result are kept with the record, as one of its documents
        result = self.result_page.result
        check_text = record_of_check(self.answers.purchase(), result, dt.date.today(),
                                     f"{kind.singular} {key}") if result else None
        job = operation(create_from_check, kind, record, check_text)

        def done(_: object) -> None:
            self.created[code] = key
            button = self.result_page.create_buttons.get(code)
            if button is not None:
                button.setEnabled(False)
                button.setText(f"Created {what} {key}")
                button.setAccessibleName(button.text())
            self.result_page.note.setText(
                f"Created {what} {key} (pending), with this check kept in its documents; it "
                f"is open on the {kind.label} page.")
            self.session.changed.emit(kind_name, key)
            self.open_record.emit(kind_name, key)

        self.session.writer.submit(
            job, done, lambda message, details: show_error(self, "Not created", message,
                                                           details))


# --- the IPR calculator ------------------------------------------------------------------------
