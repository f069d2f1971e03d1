"""Tools > IPR calculator: the Individual Price Reduction comparison (calnet_desk.policy.ipr),
saved on an exemption through the writer."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
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
from calnet_desk.records import KINDS
from calnet_desk.store import Register

from ..messages import name_buttons, show_error
from ..session import Session
from ..widgets import guard_wheel, scrolling
from .rules_dialog import rules_of


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
        guard_wheel(self.months)  # scrolling the dialog never changes the months
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
        scrolled = scroll.widget()
        assert scrolled is not None  # scrolling() set it
        self.resize(self.fontMetrics().averageCharWidth() * 120,
                    scrolled.sizeHint().height() + buttons.sizeHint().height()
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
        keys = self.session.reader.keys_where(KINDS["exemptions"], "reason", "ipr")
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
