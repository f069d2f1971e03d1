"""Issue 16 item 11: file dialogs start in a sensible folder; the bundle export starts with
the selected record's scope and names the file with it; the Verify result is readable."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from PySide6 import QtWidgets

from ui.dialogs.bundles import ExportBundleDialog, VerifyBundleDialog
from ui.settings import Settings


def test_file_dialogs_start_in_documents_then_where_the_last_one_ended(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    documents = tmp_path / "Documents"
    documents.mkdir()
    monkeypatch.setattr("platformdirs.user_documents_dir", lambda: str(documents))
    monkeypatch.chdir(tmp_path)  # never the folder the app runs in
    settings = Settings(tmp_path / "s.ini")
    assert settings.start_folder() == documents
    assert settings.export_path("orders.xlsx") == str(documents / "orders.xlsx")
    chosen = tmp_path / "audits" / "bundle.zip"
    chosen.parent.mkdir()
    settings.remember_folder(chosen)
    assert Settings(tmp_path / "s.ini").start_folder() == chosen.parent  # remembered
    exports = tmp_path / "exports"
    exports.mkdir()
    settings.set_export_folder(exports)
    assert settings.start_folder() == exports  # the Settings dialog's choice comes first
    (chosen.parent).rename(tmp_path / "gone")
    settings.set_export_folder(None)
    assert settings.start_folder() == documents  # a folder that is gone is not offered


def test_bundle_export_starts_with_the_selected_records_scope_and_names_the_file(
        qtbot: Any, open_window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    window = open_window(60)
    window.settings.set_export_folder(tmp_path)
    shown: list[ExportBundleDialog] = []

    def export() -> None:
        window.export_bundle()  # opens window-modal, without blocking
        shown.append(window.bundle_dialog)
        window.bundle_dialog.reject()
    window.show_page("exemptions")
    page = window.pages["exemptions"]
    key = sorted(window.session.reader.keys(page.kind))[-1]
    monkeypatch.setattr(page, "selected_key", lambda: key)
    export()
    dialog = shown[-1]
    assert dialog.scope.currentData() == "exemption" and dialog.key.currentText() == key
    today = dt.date.today().isoformat()
    assert Path(dialog.path.text()) == tmp_path / (
        f"Department of Demonstration audit bundle exemption {key} {today}.zip")
    dialog.scope.setCurrentIndex(dialog.scope.findData("all"))
    assert Path(dialog.path.text()).name.endswith(f"audit bundle everything {today}.zip")
    mine = str(tmp_path / "mine.zip")
    dialog.path.setText(mine)  # a name the person gave is kept
    dialog.scope.setCurrentIndex(dialog.scope.findData("since"))
    assert dialog.path.text() == mine
    # an order's bundle is its exemption's or delegation's
    order = next(o for o in window.session.reader.records(window.pages["orders"].kind)
                 if o.get("exemption_id") or o.get("delegation_id"))
    window.show_page("orders")
    monkeypatch.setattr(window.pages["orders"], "selected_key",
                        lambda: order["request_number"])
    export()
    code = "exemption" if order.get("exemption_id") else "delegation"
    assert shown[-1].scope.currentData() == code
    assert shown[-1].key.currentText() == order[f"{code}_id"]
    window.show_page("people")  # nothing to scope by: everything
    export()
    assert shown[-1].scope.currentData() == "all"


def test_the_verify_result_opens_at_a_readable_size(qtbot: Any, open_window: Any,
                                                    tmp_path: Path) -> None:
    from calnet_desk.exchange.bundle import export_bundle, parse_scope

    window = open_window(10)
    bundle = tmp_path / "b.zip"
    export_bundle(window.session.reader, bundle, parse_scope("all"), dt.date.today())
    dialog = VerifyBundleDialog(bundle, window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.sound is not None, timeout=30000)
    metrics = dialog.fontMetrics()
    assert dialog.width() >= metrics.averageCharWidth() * 80  # not 278 x 278
    assert dialog.height() >= metrics.lineSpacing() * 20
    assert dialog.table.rowCount() > 5 and dialog.sound


def test_open_bundle_dialog_starts_in_the_start_folder(open_window: Any, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    window = open_window(10)
    window.settings.set_export_folder(tmp_path)
    asked: list[str] = []
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName",
                        lambda parent, title, folder, filt: (asked.append(folder), ("", ""))[1])
    assert window._pick_bundle("Verify a bundle") is None
    assert asked == [str(tmp_path)]
