"""Documents in the window: add by button or by dropping files on a record or on the
Documents page, detach with a reason, open a read-only copy, verify the stored bytes
(pytest-qt headless, never sleeping, dialogs patched)."""

from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget

from calnet_desk import demo
from calnet_desk.records import KINDS
from calnet_desk.store import Register
from calnet_desk.store import documents as docs
from ui import messages as dialogs
from ui.main_window import MainWindow
from ui.pages import documents_panel as panel_mod
from ui.session import Session
from ui.settings import Settings

EXEMPTIONS = KINDS["exemptions"]


@pytest.fixture
def window(open_window: Any) -> MainWindow:
    win: MainWindow = open_window(20, folder="reg", record_opened=True)
    return win


@pytest.fixture
def scan(tmp_path: Path) -> Path:
    path = tmp_path / "signed exemption.pdf"
    path.write_bytes(b"%PDF-1.4 signed by the CIO\n" * 50)
    return path


def _key_without_documents(win: MainWindow) -> str:
    with Register.open(win.session.root) as reg:
        row = reg.conn.execute(
            "SELECT exemption_id FROM exemptions e WHERE NOT EXISTS (SELECT 1 FROM "
            "document_links l WHERE l.kind = 'exemptions' AND l.key = e.exemption_id) "
            "ORDER BY 1 LIMIT 1").fetchone()
    assert row is not None
    return str(row[0])


def _linked(win: MainWindow, key: str) -> list[str]:
    with Register.open(win.session.root) as reg:
        return [d.name for d in docs.documents_of(reg, EXEMPTIONS, key)]


def _mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def _drop(target: QWidget, mime: QMimeData) -> tuple[bool, bool]:
    """Drag over ``target`` and drop: (the drag was accepted, the drop was accepted)."""
    pos = QPointF(target.rect().center())
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    with warnings.catch_warnings():  # Qt 6 has only the QPoint constructor, deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime, buttons, mods)
    QApplication.sendEvent(target, enter)
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, buttons, mods)
    QApplication.sendEvent(target, drop)
    return enter.isAccepted(), drop.isAccepted()


def _open(win: MainWindow, key: str) -> Any:
    win.open_record("exemptions", key)
    page = win.pages["exemptions"]
    assert page.selected_key() == key
    return page


def test_add_document_by_button(qtbot: Any, window: MainWindow, scan: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    key = _key_without_documents(window)
    page = _open(window, key)
    panel = page.documents
    assert panel.table.rowCount() == 0 and panel.add_button.isEnabled()
    assert not panel.detach_button.isEnabled() and not panel.verify_button.isEnabled()
    monkeypatch.setattr(panel_mod.QFileDialog, "getOpenFileNames",
                        lambda *a, **k: ([str(scan)], ""))
    with qtbot.waitSignal(window.session.changed, timeout=10000) as changed:
        panel.add_button.click()
    assert changed.args == ["exemptions", key]
    assert _linked(window, key) == ["signed exemption.pdf"]
    sha, _ = docs.hash_file(scan)
    assert panel.table.rowCount() == 1
    assert panel.table.item(0, 0).text() == "signed exemption.pdf"
    assert panel.table.item(0, 2).text() == sha  # the hash shown
    assert panel.title.text() == "Documents (1)"
    assert "signed exemption.pdf" in page.view.toPlainText()
    with Register.open(window.session.root) as reg:
        assert reg.history("document-links")[-1]["reason"] == f"attach to exemption {key}"


def test_files_dropped_on_the_record_view_are_attached(qtbot: Any, window: MainWindow,
                                                       scan: Path, tmp_path: Path) -> None:
    key = _key_without_documents(window)
    page = _open(window, key)
    quote = tmp_path / "quote.xlsx"
    quote.write_bytes(b"not really a workbook")
    with qtbot.waitSignal(window.session.changed, timeout=10000):
        assert _drop(page.view.viewport(), _mime(scan, quote)) == (True, True)
    assert sorted(_linked(window, key)) == ["quote.xlsx", "signed exemption.pdf"]
    assert page.documents.table.rowCount() == 2


def test_files_dropped_on_the_page_itself_go_to_the_selected_record(
        qtbot: Any, window: MainWindow, scan: Path) -> None:
    key = _key_without_documents(window)
    page = _open(window, key)
    with qtbot.waitSignal(window.session.changed, timeout=10000):
        assert _drop(page, _mime(scan)) == (True, True)
    assert _linked(window, key) == ["signed exemption.pdf"]


def test_a_drop_without_a_record_or_without_files_is_refused(
        qtbot: Any, window: MainWindow, scan: Path, tmp_path: Path) -> None:
    window.show_page("exemptions")
    page = window.pages["exemptions"]
    page.table.clearSelection()
    assert page.documents.key is None
    with qtbot.assertNotEmitted(window.session.changed, wait=50):
        assert _drop(page.view.viewport(), _mime(scan)) == (False, False)
    key = _key_without_documents(window)
    _open(window, key)
    folder_only = _mime(tmp_path)  # a folder is not a document
    with qtbot.assertNotEmitted(window.session.changed, wait=50):
        assert _drop(page.view.viewport(), folder_only) == (False, False)


def test_files_dropped_on_the_documents_page_ask_for_the_record(
        qtbot: Any, window: MainWindow, scan: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = _key_without_documents(window)
    window.show_page("documents")
    page = window.documents
    before = page.model.rowCount()
    asked: list[str] = []

    def pick(parent: Any, session: Any, kinds: list[str], question: str) -> Any:
        asked.append(question)
        return None if len(asked) == 1 else ("exemptions", key)

    monkeypatch.setattr(panel_mod, "pick_record", pick)
    with qtbot.assertNotEmitted(window.session.changed, wait=50):
        _drop(page, _mime(scan))  # the question cancelled: nothing added
    assert "signed exemption.pdf" in asked[0]
    with qtbot.waitSignal(window.session.changed, timeout=10000):
        assert _drop(page, _mime(scan)) == (True, True)
    assert _linked(window, key) == ["signed exemption.pdf"]
    qtbot.waitUntil(lambda: page.model.rowCount() == before + 1)
    documents_item = next(window.nav.item(r) for r in range(window.nav.count())
                          if window.nav.item(r).data(Qt.ItemDataRole.UserRole) == "documents")
    assert documents_item.text().endswith(f"· {before + 1}")


def test_the_record_picker_accepts_only_an_existing_record(qtbot: Any, window: MainWindow
                                                           ) -> None:
    key = _key_without_documents(window)
    picker = panel_mod.RecordPicker(window.session, list(KINDS), "Which record?", window)
    qtbot.addWidget(picker)
    picker.kind.setCurrentIndex(picker.kind.findData("exemptions"))
    picker.key.setText("EX-NOPE")
    picker.accept()
    assert picker.result() == 0 and "no exemption EX-NOPE" in picker.problem.text()
    assert key in picker.key.completer().model().stringList()  # type: ignore[attr-defined]
    picker.key.setText(key)
    picker.accept()
    assert picker.result() == 1 and picker.chosen() == ("exemptions", key)


def _with_document(qtbot: Any, window: MainWindow, scan: Path) -> tuple[Any, str, str]:
    key = _key_without_documents(window)
    page = _open(window, key)
    with qtbot.waitSignal(window.session.changed, timeout=10000):
        page.documents.add_files([scan])
    page.documents.table.selectRow(0)
    sha = page.documents.selected_sha()
    assert sha
    return page, key, sha


def test_detach_with_a_reason_keeps_the_stored_file(qtbot: Any, window: MainWindow,
                                                    scan: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    page, key, sha = _with_document(qtbot, window, scan)
    panel = page.documents
    monkeypatch.setattr(dialogs, "ask_reason", lambda *a: None)
    with qtbot.assertNotEmitted(window.session.changed, wait=50):
        panel.detach_button.click()  # the reason cancelled: nothing detached
    monkeypatch.setattr(dialogs, "ask_reason", lambda *a: "wrong exemption")
    with qtbot.waitSignal(window.session.changed, timeout=10000):
        panel.detach_button.click()
    assert _linked(window, key) == [] and panel.table.rowCount() == 0
    assert docs.document_path(window.session.reader.paths, sha).is_file()
    with Register.open(window.session.root) as reg:
        assert reg.history("document-links")[-1]["reason"] == "wrong exemption"


def test_open_hands_a_read_only_copy_to_the_viewer(qtbot: Any, window: MainWindow,
                                                   scan: Path) -> None:
    page, _, _ = _with_document(qtbot, window, scan)
    page.documents.open_button.click()
    opened = window.opened_files  # type: ignore[attr-defined]
    assert len(opened) == 1 and opened[0].read_bytes() == scan.read_bytes()
    assert not os.stat(opened[0]).st_mode & stat.S_IWUSR


@pytest.mark.parametrize("damage", ["missing", "a folder", "unreadable"])
def test_open_says_why_a_stored_file_cannot_be_read(qtbot: Any, window: MainWindow,
                                                    scan: Path, damage: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A stored file missing, replaced by a folder, or that cannot be read: Open says so in
    a sentence (it reached the unexpected-error dialog with the store's RecordError)."""
    from ui import messages

    page, _, sha = _with_document(qtbot, window, scan)
    stored = docs.document_path(window.session.reader.paths, sha)
    os.chmod(stored, stat.S_IRUSR | stat.S_IWUSR)
    stored.unlink()
    if damage == "a folder":
        stored.mkdir()
    elif damage == "unreadable":
        stored.write_bytes(scan.read_bytes())
        real_open = os.open

        def refused(path: Any, flags: int, *a: Any, **k: Any) -> int:
            if not k and Path(path) == stored:
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, flags, *a, **k)

    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(messages, "show_error",
                        lambda parent, title, message, *a, **k: shown.append((title, message)))
    with monkeypatch.context() as m:
        if damage == "unreadable":
            m.setattr(os, "open", refused)
        page.documents.open_button.click()
    assert window.opened_files == []  # type: ignore[attr-defined]
    assert len(shown) == 1 and shown[0][0] == "Cannot open the document", shown
    assert {"missing": "is missing", "a folder": "is not a regular file",
            "unreadable": "cannot be read (Permission denied)"}[damage] in shown[0][1]
    assert "restore it from a backup" in shown[0][1]


def test_verify_rehashes_on_demand(qtbot: Any, window: MainWindow, scan: Path) -> None:
    page, _, sha = _with_document(qtbot, window, scan)
    panel = page.documents
    with qtbot.waitSignal(panel.verified, timeout=10000) as result:
        panel.verify_button.click()
    assert result.args == [sha, "ok"] and panel.table.item(0, 3).text() == "OK"
    stored = docs.document_path(window.session.reader.paths, sha)
    os.chmod(stored, stat.S_IRUSR | stat.S_IWUSR)
    stored.write_bytes(b"tampered")
    with qtbot.waitSignal(panel.verified, timeout=10000) as result:
        panel.verify_button.click()
    assert result.args == [sha, "changed"] and panel.table.item(0, 3).text() == "Changed!"
    stored.unlink()
    with qtbot.waitSignal(panel.verified, timeout=10000) as result:
        panel.verify_button.click()
    assert result.args == [sha, "missing"]
    # the Documents page verifies its selected document too
    window.show_page("documents")
    docs_page = window.documents
    row = docs_page.model.payload.index(sha)
    docs_page.table.selectRow(row)
    with qtbot.waitSignal(docs_page.document_actions.verified, timeout=10000):
        docs_page.document_actions.verify_button.click()
    assert "MISSING" in docs_page.document_actions.result.text()


def test_the_documents_page_adds_by_button_after_asking_the_record(
        qtbot: Any, window: MainWindow, scan: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = _key_without_documents(window)
    window.show_page("documents")
    monkeypatch.setattr(panel_mod.QFileDialog, "getOpenFileNames",
                        lambda *a, **k: ([str(scan)], ""))
    monkeypatch.setattr(panel_mod, "pick_record", lambda *a: ("exemptions", key))
    with qtbot.waitSignal(window.session.changed, timeout=10000):
        window.documents.document_actions.add_button.click()
    assert _linked(window, key) == ["signed exemption.pdf"]


def test_a_read_only_register_offers_no_document_writes(qtbot: Any, tmp_path: Path) -> None:
    root = tmp_path / "ro"
    demo.create_demo(root, orders=5).close()
    session = Session(root, read_only=True, today=lambda: demo.AS_OF)
    win = MainWindow(session, Settings(tmp_path / "s.ini"), open_file=lambda p: None)
    qtbot.addWidget(win)
    win.show()
    try:
        key = _key_without_documents(win)
        page = _open(win, key)
        assert not page.documents.add_button.isEnabled()
        assert _drop(page.view.viewport(), _mime(tmp_path / "ro" / "register.sqlite3")) == (
            False, False)
        assert not win.documents.document_actions.add_button.isEnabled()
    finally:
        win.close()
