"""Run by tests/ui/test_qt_canary.py in its own process (a leaking build may abort it): call each
void setter the app uses a few thousand times and print, per setter, how far
sys.getrefcount(None) fell. One line of JSON per setter, flushed, so a crash still shows
which setter was running."""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import PySide6  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
)

CALLS = 3000


def main() -> None:
    app = QApplication(sys.argv[:1])
    line, label, text = QLineEdit(), QLabel(), QPlainTextEdit()
    combo, button, window = QComboBox(), QPushButton(), QMainWindow()
    combo.addItems(["—", "Yes", "No"])
    setters = {
        "QLineEdit.setText": lambda i: line.setText(f"TSR-2026-{i:05d}"),
        "QLineEdit.setPlaceholderText": lambda i: line.setPlaceholderText("MM/DD/YYYY"),
        "QWidget.setStyleSheet": lambda i: line.setStyleSheet(""),
        "QWidget.setToolTip": lambda i: line.setToolTip("tip"),
        "QWidget.setEnabled": lambda i: button.setEnabled(bool(i % 2)),
        "QWidget.setVisible": lambda i: label.setVisible(bool(i % 2)),
        "QWidget.setAccessibleName": lambda i: line.setAccessibleName("Request number"),
        "QWidget.setAccessibleDescription": lambda i: line.setAccessibleDescription(""),
        "QLabel.setText": lambda i: label.setText("Required."),
        "QPlainTextEdit.setPlainText": lambda i: text.setPlainText("sentence"),
        "QComboBox.setCurrentIndex": lambda i: combo.setCurrentIndex(i % 3),
        "QAbstractButton.setText": lambda i: button.setText("&Save"),
        "QStatusBar.showMessage": lambda i: window.statusBar().showMessage("Saved", 5000),
    }
    print(json.dumps({"pyside6": PySide6.__version__, "python": sys.version.split()[0],
                      "start": sys.getrefcount(None)}), flush=True)
    for name, call in setters.items():
        call(0)  # first-call caches are not leaks
        before = sys.getrefcount(None)
        for i in range(CALLS):
            call(i)
        print(json.dumps({"setter": name, "fell": before - sys.getrefcount(None)}), flush=True)
    app.processEvents()


if __name__ == "__main__":
    main()
