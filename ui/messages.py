"""Small dialogs: a reason for a deletion, errors with copyable details."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from calnet_desk.system import NoViewer


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
        buttons = dialog_buttons(self)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.reason)
        layout.addWidget(buttons)


def name_buttons(box: QDialogButtonBox) -> None:
    """Screen readers name each button by its text (without the mnemonic's &); the box
    leaves room for the buttons' focus rings (they reach its edges)."""
    from .style import ring_room

    ring_room(box)
    for b in box.buttons():
        b.setAccessibleName(b.text().replace("&", ""))


def dialog_buttons(dialog: QDialog, accept: Callable[[], object] | None = None,
                   reject: Callable[[], object] | None = None,
                   ok_text: str | None = None) -> QDialogButtonBox:
    """A dialog's OK and Cancel, wired (by default to accept/reject) and named."""
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                           | QDialogButtonBox.StandardButton.Cancel, dialog)
    if ok_text:
        box.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    box.accepted.connect(accept or dialog.accept)
    box.rejected.connect(reject or dialog.reject)
    name_buttons(box)
    return box


def ask_reason(parent: QWidget, title: str, question: str) -> str | None:
    """The reason typed, or None when cancelled."""
    dialog = ReasonDialog(title, question, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.reason.text().strip()


def no_viewer(parent: QWidget, message: str, path: Path,
              reveal: Callable[[Path], None]) -> QMessageBox:
    """No program opens the file: say so, where the file is, and offer Show in folder and
    Copy path. Window-modal, not blocking; returns the box."""
    box = QMessageBox(QMessageBox.Icon.Information, "No program to open it", message,
                      QMessageBox.StandardButton.NoButton, parent)
    box.setInformativeText(f"The read-only copy is {path}. Show it in its folder to open "
                           "it another way, or install a viewer for this kind of file.")
    from PySide6.QtCore import Qt  # here: its namespace costs the cold start ~25 ms

    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    show = box.addButton("Show in &folder", QMessageBox.ButtonRole.ActionRole)
    copy = box.addButton("Copy &path", QMessageBox.ButtonRole.ActionRole)
    box.setEscapeButton(box.addButton("&Close", QMessageBox.ButtonRole.RejectRole))
    for b in box.buttons():
        b.setAccessibleName(b.text().replace("&", ""))

    def clicked(button: object) -> None:
        if button is show:
            try:
                reveal(path)
            except NoViewer as e:  # no file manager either: the path is on the clipboard
                QGuiApplication.clipboard().setText(str(path))
                box.setInformativeText(f"{e} The path is copied: {path}")
                QTimer.singleShot(0, box.open)  # back up (a button closes it), saying so
        elif button is copy:
            QGuiApplication.clipboard().setText(str(path))

    box.buttonClicked.connect(clicked)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.open()
    return box


def show_error(parent: QWidget | None, title: str, message: str, details: str = "",
               log_hint: str = "") -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok,
                      parent)
    if log_hint:
        box.setInformativeText(log_hint)
    if details:
        box.setDetailedText(details)  # copyable
    box.exec()
