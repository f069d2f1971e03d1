"""The desktop workspace, headless (QT_QPA_PLATFORM=offscreen), never sleeping."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import focus_chain
from PySide6 import QtWidgets
from PySide6.QtCore import QLocale, QModelIndex, Qt, QUrl
from PySide6.QtWidgets import QApplication

from calnet_desk import demo
from calnet_desk.records import KINDS
from calnet_desk.store import Register
from calnet_desk.store.browse import ViewQuery
from calnet_desk.system import open_with_viewer
from ui import controller as controller_mod
from ui import messages as messages_mod
from ui.formatting import readable, show_date, show_money
from ui.main_window import MainWindow
from ui.models import KEY_ROLE, RecordTableModel, RowsModel
from ui.pages.workspace import RecordPage
from ui.settings import Settings

ORDERS = KINDS["orders"]
US = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)


@pytest.fixture(autouse=True)
def us_locale() -> Iterator[None]:
    QLocale.setDefault(US)
    yield


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ui") / "demo"
    demo.create_demo(root, orders=60).close()
    return root


@pytest.fixture
def big_root(tmp_path: Path) -> Path:
    """1,500 plain orders: more than the first fetch, so lazy fetching shows."""
    root = tmp_path / "big"
    reg = Register.create(root, agency="Big Dept", agency_class="non-exempt-state")
    with reg.transaction() as tx:
        tx.put_many(ORDERS, [{"request_number": f"HO-{n:05d}", "order_type": "new",
                              "request_date": (dt.date(2025, 1, 1)
                                               + dt.timedelta(days=n % 365)).isoformat(),
                              "contractor": "Verizon" if n % 100 else "Zayo",
                              "status": "completed" if n % 3 else "approved",
                              "monthly_cost": n * 100} for n in range(1500)])
    reg.close()
    return root


@pytest.fixture
def window(open_window: Any) -> MainWindow:
    win: MainWindow = open_window(60, record_opened=True, overview=True)
    return win


# --- models -----------------------------------------------------------------------------------

def test_record_model_passes_qtmodeltester(qtmodeltester: Any, demo_root: Path) -> None:
    with Register.open(demo_root) as reg:
        model = RecordTableModel(reg, ORDERS)
        qtmodeltester.check(model)
        model.set_query(ViewQuery(ORDERS, "monthly_cost", True, ("completed",)))
        qtmodeltester.check(model)


def test_rows_model_passes_qtmodeltester(qtmodeltester: Any) -> None:
    model = RowsModel(["A", "B"])
    model.set_rows([["1", "2"], ["3", "4"]], ["x", "y"])
    qtmodeltester.check(model)
    assert model.index(1, 0).data(KEY_ROLE) == "y"


def test_the_first_pages_rows_under_titles_qt_keeps(qtmodeltester: Any) -> None:
    """models.titled: the header reads its titles from a Qt model, the rows and their keys
    are the plain model's, and its resets come through."""
    from ui.models import PlainRowsModel, titled

    rows = PlainRowsModel(["A", "B"])
    model = titled(rows)
    rows.set_rows([["1", "2"], ["3", "4"]], ["x", "y"])
    qtmodeltester.check(model)
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(2)] == ["A", "B"]
    assert (model.rowCount(), model.index(1, 1).data(), model.index(1, 0).data(KEY_ROLE)) == (
        2, "4", "y")
    rows.set_rows([["5", "6"]], ["z"])
    assert (model.rowCount(), model.index(0, 0).data()) == (1, "5")


def test_the_models_role_numbers_are_qts() -> None:
    from ui import models

    assert (models.DISPLAY_ROLE, models.TOOLTIP_ROLE, models.FONT_ROLE, models.ALIGNMENT_ROLE,
            models.FOREGROUND_ROLE, models.USER_ROLE) == (
        Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.TextAlignmentRole, Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.UserRole)
    assert models.HORIZONTAL == Qt.Orientation.Horizontal.value
    assert models.horizontal(Qt.Orientation.Horizontal)
    assert not models.horizontal(Qt.Orientation.Vertical)
    assert models.ALIGN_RIGHT_VCENTER == (
        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value


def test_lazy_fetching_sorting_and_filters(big_root: Path) -> None:
    with Register.open(big_root) as reg:
        model = RecordTableModel(reg, ORDERS)
        assert model.total() == 1500 and model.rowCount() == 512
        assert model.canFetchMore(QModelIndex())
        model.fetchMore(QModelIndex())
        assert model.rowCount() == 1500 and not model.canFetchMore(QModelIndex())
        cost = ORDERS.columns.index("monthly_cost")
        model.sort(cost, Qt.SortOrder.DescendingOrder)
        assert model.index(0, 0).data() == "HO-01499"
        assert model.index(0, cost).data() == "$1,499.00"
        model.set_query(ViewQuery(ORDERS, text="zayo"))
        assert model.total() == 15
        model.set_query(ViewQuery(ORDERS, statuses=("approved",)))
        assert model.total() == 500
        model.set_query(ViewQuery(ORDERS, date_from=dt.date(2025, 1, 1),
                                  date_to=dt.date(2025, 1, 10)))
        assert model.total() == 50  # days 0-9 of each of the 5 passes over the year


def test_an_edit_updates_one_row_without_a_reset(qtbot: Any, big_root: Path) -> None:
    reg = Register.open(big_root, write=True)
    model = RecordTableModel(reg, ORDERS)
    with reg.transaction("cancelled") as tx:
        tx.put(ORDERS, {"request_number": "HO-00003", "status": "cancelled"})
        tx.delete(ORDERS, "HO-00004")
    with qtbot.assertNotEmitted(model.modelReset):
        with qtbot.waitSignal(model.dataChanged):
            model.refresh_key("HO-00003")
        with qtbot.waitSignal(model.rowsRemoved):
            model.refresh_key("HO-00004")
    status = ORDERS.columns.index("status")
    assert model.index(3, status).data() == "Cancelled"
    assert model.index(4, 0).data() == "HO-00005"
    assert model.total() == 1499
    reg.close()


def test_values_shown_in_the_locale() -> None:
    assert show_date("2026-03-05", US) == "03/05/2026"
    assert show_money(123456, US) == "$1,234.56"
    assert readable("in-progress") == "In progress"
    assert readable("non-exempt-state") == "Non-exempt state"
    assert readable("ato-exclusive-term-end") == "ATO exclusive term end"
    assert readable("delegated-order-missing-form20") == "Delegated order missing Form 20"


# --- the window -------------------------------------------------------------------------------

def test_navigation_with_counts_and_shortcuts(qtbot: Any, window: MainWindow) -> None:
    labels = [window.nav.item(r).text() for r in range(window.nav.count())]
    assert labels[0] == "Dashboard"
    assert labels[1] == "Orders (STD. 20) · 60"
    assert any(label.startswith("Documents · ") for label in labels)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.nav.setFocus()
    ctrl = Qt.KeyboardModifier.ControlModifier
    qtbot.keyClick(window.nav, Qt.Key.Key_3, ctrl)
    assert window.current_page() is window.pages["exemptions"]
    qtbot.keyClick(window.nav, Qt.Key.Key_1, ctrl)
    assert window.current_page() is window.dashboard
    qtbot.keyClick(window.nav, Qt.Key.Key_2, ctrl)
    assert window.current_page() is window.pages["orders"]
    qtbot.keyClick(window.nav, Qt.Key.Key_F, ctrl)
    assert QApplication.focusWidget() is window.pages["orders"].search


def test_search_as_you_type_filters_the_page(qtbot: Any, window: MainWindow) -> None:
    page = window.pages["orders"]
    window.show_page("orders")
    first = page.model.index(0, 0).data()
    qtbot.keyClicks(page.search, first)
    qtbot.waitUntil(lambda: page.model.total() == 1)
    assert page.count.text() == "1 order"
    page.search.clear()
    qtbot.waitUntil(lambda: page.model.total() == 60)


def test_dashboard_lists_deadlines_and_findings_and_opens_records(
        qtbot: Any, window: MainWindow) -> None:
    dash = window.dashboard
    assert dash.deadline_model.rowCount() > 0 and dash.finding_model.rowCount() > 0
    assert "overdue" in dash.summary.text()
    kind, key = dash.finding_model.payload[0]
    dash.findings.activated.emit(dash.finding_model.index(0, 0))
    assert window.current_page() is window.pages[kind]
    assert window.pages[kind].selected_key() == key
    html = window.pages[kind].view.toHtml()
    assert "Findings" in html and "History" in html


def test_record_view_links_follow_and_documents_open_read_only(
        qtbot: Any, window: MainWindow) -> None:
    with Register.open(window.session.root) as reg:
        row = reg.conn.execute("SELECT request_number, delegation_id FROM orders WHERE "
                               "delegation_id IS NOT NULL LIMIT 1").fetchone()
        doc = reg.conn.execute("SELECT kind, key, sha256 FROM document_links WHERE "
                               "kind = 'orders' LIMIT 1").fetchone()
    window.open_record("orders", row[0])
    page = window.pages["orders"]
    assert page.selected_key() == row[0]
    assert "record:delegations/" in page.view.toHtml() or row[1] in page.view.toPlainText()
    page.view.anchorClicked.emit(QUrl(f"record:delegations/{row[1]}"))
    assert window.current_page() is window.pages["delegations"]
    assert window.pages["delegations"].selected_key() == row[1]
    window.open_record(doc[0], doc[1])
    page.view.anchorClicked.emit(QUrl(f"document:{doc[2]}"))
    opened = window.opened_files  # type: ignore[attr-defined]
    assert len(opened) == 1 and opened[0].is_file()
    assert not os.stat(opened[0]).st_mode & stat.S_IWUSR


def test_delete_with_a_reason_goes_through_the_writer(
        qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    page = window.pages["orders"]
    with Register.open(window.session.root) as reg:
        key = reg.conn.execute("SELECT request_number FROM orders o WHERE NOT EXISTS "
                               "(SELECT 1 FROM document_links l WHERE l.key = o.request_number)"
                               " ORDER BY 1 LIMIT 1").fetchone()[0]
    window.open_record("orders", key)
    monkeypatch.setattr(messages_mod, "ask_reason", lambda *a: "entered twice")
    with qtbot.waitSignal(window.session.changed, timeout=10000):
        page.delete_button.click()
    qtbot.waitUntil(lambda: page.model.row_of(key) < 0)
    with Register.open(window.session.root) as reg:
        entries = reg.history("orders", key)
    assert entries[-1]["action"] == "delete" and entries[-1]["reason"] == "entered twice"
    assert window.nav.item(1).text() == "Orders (STD. 20) · 59"


def test_cancelling_the_reason_deletes_nothing(qtbot: Any, window: MainWindow,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    page = window.pages["orders"]
    assert not page.model.ready  # pages read their rows when first shown
    window.show_page("orders")
    assert page.model.ready
    window.open_record("orders", page.model.keys[0])
    monkeypatch.setattr(messages_mod, "ask_reason", lambda *a: None)
    with qtbot.assertNotEmitted(window.session.changed, wait=50):
        page.delete_button.click()
    assert page.model.total() == 60



def test_every_focusable_widget_has_an_accessible_name(window: MainWindow) -> None:
    unnamed = []
    for row in range(window.nav.count()):
        window.nav.setCurrentRow(row)
        for w in focus_chain(window):
            if (w.isVisibleTo(window) and w.focusPolicy() != Qt.FocusPolicy.NoFocus
                    and w.isEnabled() and not w.accessibleName()
                    and not (hasattr(w, "text") and callable(w.text) and w.text())):
                unnamed.append(f"{type(w).__name__} {w.objectName()}")
    assert unnamed == []


def test_every_page_renders(qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    for row in range(window.nav.count()):
        window.nav.setCurrentRow(row)
        page = window.stack.currentWidget()
        if isinstance(page, RecordPage) and page.model.rowCount():
            page.table.selectRow(0)
            assert page.view.toPlainText().strip()
        image = window.grab()
        assert not image.isNull() and image.width() > 400
        assert image.save(str(tmp_path / f"{row}.png"))


# --- opening registers ------------------------------------------------------------------------

def test_first_run_wizard_creates_the_register(qtbot: Any, tmp_path: Path) -> None:
    from ui.wizards.first_run import FirstRunWizard

    root = tmp_path / "new"
    wizard = FirstRunWizard(root)
    qtbot.addWidget(wizard)
    wizard.agency.name.setText("Department of Examples")
    wizard.agency.agency_class.setCurrentIndex(2)
    wizard.catr.name.setText("Pat Example")
    wizard.create_register()
    with Register.open(root) as reg:
        assert reg.agency()["name"] == "Department of Examples"
        assert reg.agency()["agency_class"] == "non-state"
        people = reg.records(KINDS["people"])
        assert [(p["name"], p["role"]) for p in people] == [("Pat Example", "catr")]


def test_a_locked_register_opens_read_only_when_asked(qtbot: Any, tmp_path: Path,
                                                      demo_root: Path) -> None:
    holder = Register.open(demo_root, write=True)
    asked: list[str] = []

    def ask(parent: Any, title: str, text: str, options: Any) -> str:
        asked.append(text)
        return controller_mod.READ_ONLY

    ctl = controller_mod.Controller(demo_root, settings=Settings(tmp_path / "s.ini"), ask=ask)
    try:
        assert ctl.open(demo_root)
        assert ctl.session is not None and ctl.session.read_only
        assert "open for changes by" in asked[0]
        assert ctl.window is not None and ctl.window.mode.text() == "Read-only"
    finally:
        if ctl.window:
            ctl.window.close()
        holder.close()


def test_a_corrupt_register_offers_the_restore(qtbot: Any, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from calnet_desk.store.backups import make_backup

    root = tmp_path / "reg"
    reg = demo.create_demo(root, orders=10)
    make_backup(reg, "manual")
    reg.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    reg.close()
    (root / "register.sqlite3").write_bytes(b"garbage" * 1000)
    monkeypatch.setattr(QtWidgets.QMessageBox, "information", lambda *a: None)
    choices = iter([controller_mod.RESTORE])
    ctl = controller_mod.Controller(root, settings=Settings(tmp_path / "s.ini"),
                                    ask=lambda *a: next(choices))
    try:
        assert ctl.open(root)
        assert ctl.window is not None
        ctl.window.show_page("orders")
        assert ctl.window.pages["orders"].model.total() == 10
    finally:
        if ctl.window:
            ctl.window.close()


def test_smoke_test_exits_0_on_a_register_and_1_without(tmp_path: Path,
                                                        demo_root: Path) -> None:
    exe = [sys.executable, "-m", "ui.app"]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    ok = subprocess.run([*exe, "--data-dir", str(demo_root), "--smoke-test"], env=env,
                        capture_output=True, text=True, timeout=120, check=False)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([*exe, "--data-dir", str(tmp_path / "none"), "--smoke-test"],
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode == 1 and "no register in" in bad.stderr
    assert not (tmp_path / "none").exists()


def test_quit_after_first_page_starts_as_a_person_does_and_closes(tmp_path: Path) -> None:
    """The hook benchmarks/gui.py times the real start with: through the controller (the
    register opened for writing, its daily backup and the recent list kept), the line once
    the first page is painted, then the window closes as a person closes it."""
    root = tmp_path / "reg"
    demo.create_demo(root, orders=30).close()
    home = {name: str(tmp_path / name.lower()) for name in
            ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")}
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **home}
    r = subprocess.run([sys.executable, "-m", "ui.app", "--data-dir", str(root),
                        "--quit-after-first-page"], env=env, capture_output=True, text=True,
                       timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(r"first page shown \(CPU [0-9.]+ s\)\n", r.stdout)
    assert len([p for p in (root / "backups").iterdir() if p.name.endswith("-daily")]) == 1
    settings = Settings(tmp_path / "xdg_config_home" / "CALNET Desk" / "settings.ini")
    assert settings.recent_registers() == [root]
    assert settings.value("window/geometry") is not None  # closed as a person closes it
    with Register.open(root, write=True):  # and the lock was let go
        pass


@pytest.mark.parametrize("scale", ["1.5", "2"])
def test_smoke_test_at_150_and_200_percent(scale: str, demo_root: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": scale}
    r = subprocess.run([sys.executable, "-m", "ui.app", "--data-dir", str(demo_root),
                        "--smoke-test"], env=env, capture_output=True, text=True,
                       timeout=120, check=False)
    assert r.returncode == 0, r.stderr


# --- the OS branches --------------------------------------------------------------------------

def test_open_with_viewer_windows_branch_through_injection(tmp_path: Path) -> None:
    calls: list[str] = []
    open_with_viewer(tmp_path / "form.pdf", platform="win32", startfile=calls.append)
    assert calls == [str(tmp_path / "form.pdf")]


@pytest.mark.parametrize(("platform", "launcher"), [("linux", "xdg-open"), ("darwin", "open")])
def test_open_with_viewer_other_branches(platform: str, launcher: str, tmp_path: Path) -> None:
    calls: list[list[str]] = []
    open_with_viewer(tmp_path / "a.pdf", platform=platform, popen=lambda a: calls.append(list(a)))
    assert calls == [[launcher, str(tmp_path / "a.pdf")]]


def test_the_error_hook_shows_a_dialog_with_details(qtbot: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import app as app_mod
    from ui import messages as dialogs

    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(dialogs, "show_error",
                        lambda parent, title, message, details="", hint="": shown.append(
                            (message, details)))
    old = sys.excepthook
    try:
        app_mod.install_excepthook(None)
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
    finally:
        sys.excepthook = old
    assert shown and "boom" in shown[0][0] and "Traceback" in shown[0][1]


def test_smoke_test_fails_on_a_damaged_register(tmp_path: Path) -> None:
    root = tmp_path / "damaged"
    reg = demo.create_demo(root, orders=30)
    reg.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    reg.close()
    data = bytearray((root / "register.sqlite3").read_bytes())
    for i in range(4096 * 3, len(data), 5):  # leave the header and schema pages readable
        data[i] = (data[i] + 77) % 256
    (root / "register.sqlite3").write_bytes(bytes(data))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run([sys.executable, "-m", "ui.app", "--data-dir", str(root),
                        "--smoke-test"], env=env, capture_output=True, text=True,
                       timeout=120, check=False)
    assert r.returncode == 1
    assert "damaged" in r.stderr or "malformed" in r.stderr


def test_export_this_view_writes_the_filtered_rows_in_order(
        qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = window.pages["orders"]
    window.show_page("orders")
    page.status.setCurrentIndex(page.status.findData("completed"))
    qtbot.waitUntil(lambda: 0 < page.model.total() < 60)
    target = tmp_path / "completed.csv"
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(target), "CSV (*.csv)"))
    window.export_view()
    qtbot.waitUntil(target.exists, timeout=10000)
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("request_number,request_date")
    assert [line.split(",")[0] for line in lines[1:]] == page.model.keys


def test_heavy_libraries_load_only_when_used() -> None:
    code = ("import sys; from ui.app import make_app; make_app(); import ui.main_window, "
            "ui.controller; print(sorted(m for m in ('openpyxl', 'icalendar', 'fpdf', "
            "'bagit', 'pypdf', 'sqlite_utils') if m in sys.modules))")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def _orders_csv(path: Path, n: int, bad_row: int | None = None) -> Path:
    lines = ["request_number,request_date,order_type,contractor,status"]
    for i in range(n):
        date = "2026-13-01" if i == bad_row else "2026-01-02"
        lines.append(f"IMP-{i:05d},{date},new,AT&T,draft")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_from_the_window_with_progress(qtbot: Any, window: MainWindow,
                                              tmp_path: Path) -> None:
    src = _orders_csv(tmp_path / "new-orders.csv", 30)
    with qtbot.waitSignal(window.session.changed, timeout=20000):
        window.import_spreadsheet(src, "orders")
    qtbot.waitUntil(lambda: window.nav.item(1).text() == "Orders (STD. 20) · 90")


def test_a_bad_import_names_the_cells_and_writes_nothing(
        qtbot: Any, window: MainWindow, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(messages_mod, "show_error",
                        lambda parent, title, message, details="": shown.append(
                            (message, details)))
    src = _orders_csv(tmp_path / "bad.csv", 10, bad_row=4)
    window.import_spreadsheet(src, "orders")
    qtbot.waitUntil(lambda: bool(shown), timeout=20000)
    assert "nothing was imported" in shown[0][0]
    assert "bad.csv:6:request_date" in shown[0][1]
    assert window.nav.item(1).text() == "Orders (STD. 20) · 60"


def test_cancelling_an_import_rolls_it_back(qtbot: Any, window: MainWindow, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(messages_mod, "show_error",
                        lambda parent, title, message, details="": shown.append(message))
    src = _orders_csv(tmp_path / "big.csv", 3000)
    window.import_spreadsheet(src, "orders")
    # what its Cancel button does
    window._last_progress.canceled.emit()  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: bool(shown), timeout=20000)
    assert "cancelled" in shown[0]
    with Register.open(window.session.root) as reg:
        assert reg.count(ORDERS) == 60


def test_backup_from_the_window(qtbot: Any, window: MainWindow) -> None:
    window.backup_now()
    qtbot.waitUntil(lambda: "Backed up to" in window.statusBar().currentMessage(),
                    timeout=20000)
    assert any(window.session.root.joinpath("backups").glob("*-manual"))


def test_menu_mnemonics_are_unique_within_each_menu(window: MainWindow) -> None:
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        letters = []
        for action in menu.actions():
            text = action.text()
            if "&" in text and not action.isSeparator():
                letters.append(text[text.index("&") + 1].lower())
        assert len(letters) == len(set(letters)), (menu_action.text(), letters)


def test_messages_survive_a_windowed_build_without_stderr(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from ui import app as app_mod

    monkeypatch.setattr(sys, "stderr", None)  # what a console=False Windows build has
    with caplog.at_level("INFO", logger="calnet_desk.ui"):
        app_mod.say("calnet-desk: no register in C:\\\\x\\n")
    assert "no register in" in caplog.text
