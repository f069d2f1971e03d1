"""First run: create a register (agency name and class, CATR) in a few steps."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
    QWizard,
    QWizardPage,
)

from calnet_desk.operations import create_register
from calnet_desk.records import AGENCY_CLASSES

from ..formatting import readable


class AgencyPage(QWizardPage):
    def __init__(self, root: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Your agency")
        self.setSubTitle(f"CALNET Desk keeps your agency's CALNET file in {root}.")
        self.name = QLineEdit(self)
        self.name.setAccessibleName("Agency name")
        self.agency_class = QComboBox(self)
        self.agency_class.setAccessibleName("Agency class")
        for c in AGENCY_CLASSES:
            self.agency_class.addItem(readable(c), c)
        self.billing = QLineEdit(self)
        self.billing.setAccessibleName("Billing code")
        help_text = QLabel("Non-exempt state agencies must buy Required services through "
                           "CALNET; exempt state agencies may; non-state (local) agencies are "
                           "bound only for services on an ATO during its term (STMM 400.1).",
                           self)
        help_text.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("&Agency name:", self.name)
        form.addRow("Agency c&lass:", self.agency_class)
        form.addRow("Billing c&ode:", self.billing)
        form.addRow(help_text)
        self.registerField("agency*", self.name)


class CatrPage(QWizardPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Your CATR")
        self.setSubTitle("The Chief Agency Telecommunications Representative, designated on "
                         "form CDT-965. You can add ATRs later.")
        self.name = QLineEdit(self)
        self.name.setAccessibleName("CATR name")
        self.email = QLineEdit(self)
        self.email.setAccessibleName("CATR e-mail")
        form = QFormLayout(self)
        form.addRow("&CATR name:", self.name)
        form.addRow("&E-mail:", self.email)


class FirstRunWizard(QWizard):
    def __init__(self, root: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.root = root
        self.setWindowTitle("Create your CALNET Desk register")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.agency = AgencyPage(root, self)
        self.catr = CatrPage(self)
        self.addPage(self.agency)
        self.addPage(self.catr)
        for which in (QWizard.WizardButton.NextButton, QWizard.WizardButton.BackButton,
                      QWizard.WizardButton.FinishButton, QWizard.WizardButton.CancelButton):
            button = self.button(which)
            button.setAccessibleName(button.text().replace("&", "").strip("<> "))

    def answers(self) -> tuple[Path, str, str, str | None, str | None, str | None]:
        """The arguments of operations.create_register, read from the pages."""
        return (self.root, self.agency.name.text().strip(),
                str(self.agency.agency_class.currentData()),
                self.agency.billing.text().strip() or None,
                self.catr.name.text().strip() or None,
                self.catr.email.text().strip() or None)

    def create_register(self) -> None:
        """Create the register from the answers (called after the wizard is accepted)."""
        create_register(*self.answers())
