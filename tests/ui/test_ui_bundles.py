"""The audit-bundle dialogs: export, verify per file, merge with a choice per record."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from calnet_desk.exchange.bundle import verify_bundle
from calnet_desk.records import KINDS
from calnet_desk.store import Register
from ui.dialogs.bundles import ExportBundleDialog, MergeBundleDialog, VerifyBundleDialog
from ui.session import Session

ORDERS, DELEGATIONS = KINDS["orders"], KINDS["delegations"]
AGENCY = "Department of Bundles"


def make_register(root: Path, contractor: str) -> Path:
    reg = Register.create(root, agency=AGENCY, agency_class="non-exempt-state")
    with reg.transaction() as tx:
        tx.put(KINDS["people"], {"person_id": "P-1", "name": "Pat Lee", "role": "catr"})
        tx.put(DELEGATIONS, {"delegation_id": "D-1", "type": "general", "project": "PBX",
                             "decision": "approved"})
        for n in (1, 2):
            tx.put(ORDERS, {"request_number": f"HO-{n}", "request_date": "2026-01-02",
                            "order_type": "new", "contractor": contractor,
                            "delegation_id": "D-1"})
    reg.close()
    return root


@pytest.fixture
def session(qtbot: Any, tmp_path: Path) -> Iterator[Session]:
    s = Session(make_register(tmp_path / "mine", "AT&T"))
    with qtbot.waitSignal(s.writer_ready, timeout=10000):
        pass
    yield s
    s.close()


def test_export_dialog_writes_a_sound_bundle_and_shows_the_folder(
        qtbot: Any, session: Session, tmp_path: Path) -> None:
    revealed: list[Path] = []
    dialog = ExportBundleDialog(session, reveal=revealed.append)
    qtbot.addWidget(dialog)
    dialog.scope.setCurrentIndex(dialog.scope.findData("delegation"))
    assert dialog.key.isEnabled() and dialog.key.currentText() == "D-1"
    dialog.path.setText(str(tmp_path / "out" / "bundle.zip"))
    (tmp_path / "out").mkdir()
    dialog.as_of.setDate(dt.date.today())
    dialog.start()
    qtbot.waitUntil(lambda: dialog.written is not None, timeout=30000)
    assert verify_bundle(tmp_path / "out" / "bundle.zip", dialog.head) == []
    assert f"History chain head: {dialog.head}" in dialog.status.text()  # shown, selectable
    assert dialog.scope_text() == "delegation:D-1"
    dialog.show_folder.click()
    assert revealed == [tmp_path / "out"]


def test_verify_dialog_reports_per_file(qtbot: Any, session: Session, tmp_path: Path) -> None:
    from calnet_desk.exchange.bundle import export_bundle, parse_scope

    good = tmp_path / "good.zip"
    export_bundle(session.reader, good, parse_scope("all"), dt.date.today())
    dialog = VerifyBundleDialog(good)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.sound is not None, timeout=30000)
    assert dialog.sound is True
    assert dialog.table.rowCount() > 5
    assert {dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())} == {"OK"}

    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dest:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("records/orders.json"):
                data = data.replace(b"AT&T", b"AT&X")
            dest.writestr(info, data)
    dialog = VerifyBundleDialog(bad)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.sound is not None, timeout=30000)
    assert dialog.sound is False
    rows = {dialog.table.item(r, 0).text(): dialog.table.item(r, 1).text()
            for r in range(dialog.table.rowCount())}
    orders = next(k for k in rows if k.endswith("records/orders.json"))
    assert rows[orders] != "OK"


def test_merge_dialog_takes_the_chosen_version_per_record(
        qtbot: Any, session: Session, tmp_path: Path) -> None:
    from calnet_desk.exchange.bundle import export_bundle, parse_scope

    theirs = make_register(tmp_path / "theirs", "Verizon")
    with Register.open(theirs, write=True) as reg:
        with reg.transaction() as tx:
            tx.put(ORDERS, {"request_number": "HO-3", "request_date": "2026-02-02",
                            "order_type": "new", "contractor": "Zayo"})
        bundle = tmp_path / "theirs.zip"
        export_bundle(reg, bundle, parse_scope("all"), dt.date.today())
    dialog = MergeBundleDialog(session, bundle)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(dialog.merge_button.isEnabled, timeout=30000)
    assert set(dialog.choices) == {("orders", "HO-1"), ("orders", "HO-2")}
    dialog.choices[("orders", "HO-2")].setCurrentIndex(1)  # take the bundle's
    with qtbot.waitSignal(dialog.merged, timeout=30000):
        dialog.merge_button.click()
    with Register.open(session.root) as reg:
        assert reg.get(ORDERS, "HO-1")["contractor"] == "AT&T"  # kept
        assert reg.get(ORDERS, "HO-2")["contractor"] == "Verizon"  # taken
        assert reg.get(ORDERS, "HO-3")["contractor"] == "Zayo"  # added
        reasons = {e["reason"] for e in reg.history("orders", "HO-3")}
        assert any(r and r.startswith("merge bundle ") for r in reasons)


def test_every_focusable_widget_of_the_export_dialog_is_named(qtbot: Any,
                                                              session: Session) -> None:
    from PySide6.QtCore import Qt

    dialog = ExportBundleDialog(session)
    qtbot.addWidget(dialog)
    dialog.show()
    unnamed = []
    w = dialog.nextInFocusChain()
    seen: list[Any] = []
    while w is not dialog and w not in seen:
        seen.append(w)
        if (w.isVisibleTo(dialog) and w.focusPolicy() != Qt.FocusPolicy.NoFocus
                and not w.accessibleName()):
            unnamed.append(type(w).__name__)
        w = w.nextInFocusChain()
    assert unnamed == []
