"""Issue 16 item 14: a record's summary printed through the system's PDF viewer (saving it
as PDF is tests/ui/test_ui_daily.py's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pypdf import PdfReader


def text_of(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_print_opens_the_summary_in_the_pdf_viewer(qtbot: Any, open_window: Any) -> None:
    window = open_window(20, record_opened=True)
    window.show_page("orders")
    key = sorted(window.session.reader.keys(window.pages["orders"].kind))[0]
    assert window.pages["orders"].select_key(key)
    window.print_summary()
    qtbot.waitUntil(lambda: bool(window.opened_files), timeout=30000)
    opened = window.opened_files[0]
    assert opened.name == f"order {key} summary.pdf"
    assert key in text_of(opened)
    assert "print it from there" in window.statusBar().currentMessage()


def test_no_record_selected_says_so(open_window: Any) -> None:
    window = open_window(10, record_opened=True)
    window.nav.setCurrentRow(0)  # the dashboard
    window.print_summary()
    message = window.statusBar().currentMessage()
    assert message.startswith("Select a record on a register page first")
    assert window.opened_files == []
