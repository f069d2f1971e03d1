"""Run by tests/ui/test_drafts.py as a separate process: open the register in the window, start a
new order, type into it as a person would, print the draft's path once it is on disk, then wait
to be killed (kill -9: no clean-up of any kind runs)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from ui.main_window import MainWindow  # noqa: E402
from ui.session import Session  # noqa: E402
from ui.settings import Settings  # noqa: E402


def main() -> None:
    root = Path(sys.argv[1])
    app = QApplication(sys.argv[:1])
    session = Session(root)
    window = MainWindow(session, Settings(root.parent / "child-settings.ini"))
    window.show()

    def type_order() -> None:
        editor = window.edit_record("orders", "", "new")
        editor.draft_written.connect(lambda path: (print(f"DRAFT {path}", flush=True)))
        QTest.keyClicks(editor.inputs["request_number"].focus, "TSR-2026-99999")
        QTest.keyClicks(editor.inputs["description"].focus, "Typed before the crash")
        QTest.keyClicks(editor.inputs["monthly_cost"].focus, "123.45")

    session.writer_ready.connect(type_order)
    app.exec()


if __name__ == "__main__":
    main()
