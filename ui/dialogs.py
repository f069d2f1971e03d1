"""Small dialogs: a reason for a deletion, errors with copyable details."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)


class ReasonDialog(QDialog):
    def __init__(self, title: str, question: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        label = QLabel(question, self)
        label.setWordWrap(True)
        self.reason = QLineEdit(self)
        self.reason.setAccessibleName("Reason")
        self.reason.setPlaceholderText("Reason (kept in the history)")
        label.setBuddy(self.reason)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        for b in buttons.buttons():
            b.setAccessibleName(b.text().replace("&", ""))
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.reason)
        layout.addWidget(buttons)


def ask_reason(parent: QWidget, title: str, question: str) -> str | None:
    """The reason typed, or None when cancelled."""
    dialog = ReasonDialog(title, question, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.reason.text().strip()


def show_error(parent: QWidget | None, title: str, message: str, details: str = "",
               log_hint: str = "") -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok,
                      parent)
    if log_hint:
        box.setInformativeText(log_hint)
    if details:
        box.setDetailedText(details)  # copyable
    box.exec()
