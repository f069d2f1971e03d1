"""The rules on screen and the settings, headless (pytest-qt), never sleeping; modal dialogs
are replaced by plain functions."""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import focus_chain
from PySide6 import QtWidgets
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QApplication, QDialog, QWidget, QWizard

from calnet_desk import demo
from calnet_desk.policy.deadlines import DEADLINE_RECORD_KINDS, deadlines
from calnet_desk.policy.ipr import saved_calculation
from calnet_desk.policy.rules import RulesError, load_rules, write_kind_ladders
from calnet_desk.records import KINDS
from calnet_desk.store import Register
from ui import formatting
from ui.dialogs import deadline_actions, ipr_dialog, snooze
from ui.dialogs.settings_dialog import SettingsDialog
from ui.main_window import MainWindow
from ui.session import Session
from ui.settings import Settings
from ui.wizards import procurement_wizard

US = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(autouse=True)
def us_locale() -> Iterator[None]:
    QLocale.setDefault(US)
    formatting.set_date_display("system")
    yield
    formatting.set_date_display("system")


@pytest.fixture
def window(open_window: Any) -> MainWindow:
    win: MainWindow = open_window(40, overview=True)
    return win



def _named(w: QWidget) -> bool:
    """Its own accessible name, or, for the line edit inside a date or spin box, the box's."""
    if w.accessibleName():
        return True
    parent = w.parentWidget()
    return (w.objectName() == "qt_spinbox_lineedit" and parent is not None
            and bool(parent.accessibleName()))


def unnamed_focusable(root: QWidget) -> list[str]:
    """Stricter than a visible text: every focusable widget needs an accessible name."""
    return [f"{type(w).__name__} {w.objectName()} {getattr(w, 'text', lambda: '')()}"
            for w in focus_chain(root)
            if w.isVisibleTo(root) and w.focusPolicy() != Qt.FocusPolicy.NoFocus
            and w.isEnabled() and not _named(w)]


def set_answers(wizard: procurement_wizard.ProcurementWizard, agency: str, offering: str) -> None:
    page = wizard.answers
    page.agency_class.setCurrentIndex(page.agency_class.findData(agency))
    page.offering.setCurrentIndex(page.offering.findData(offering))


# --- the procurement check ---------------------------------------------------------------------

def test_the_wizard_asks_only_what_applies(qtbot: Any, window: MainWindow) -> None:
    wizard = window.check_purchase()
    page = wizard.answers
    agency = window.session.agency()["agency_class"]
    assert page.agency_class.currentData() == agency  # the register's by default

    def shown(w: QWidget) -> bool:
        return bool(page.form.isRowVisible(w))

    set_answers(wizard, "non-exempt-state", "calnet")
    assert shown(page.catalog_status) and shown(page.buy_outside)
    assert shown(page.delegation_flag) and not shown(page.ato_term)
    page.buy_outside.setChecked(True)
    assert not shown(page.delegation_flag)  # bought outside, the flag decides nothing
    set_answers(wizard, "non-exempt-state", "not-on-calnet")
    assert not any(shown(w) for w in (page.catalog_status, page.buy_outside,
                                      page.delegation_flag, page.ato_term))
    # checked boxes that no longer apply are not passed on: no contradiction can be made
    page.delegation_flag.setChecked(True)
    assert page.purchase().buy_outside is False
    assert page.purchase().delegation_flag is None
    page.purchase().validate()
    set_answers(wizard, "non-state", "calnet")
    assert shown(page.ato_term) and not shown(page.catalog_status)
    set_answers(wizard, "exempt-state", "calnet")
    assert not any(shown(w) for w in (page.catalog_status, page.ato_term))
    # every combination the page can produce is one the core accepts
    for a in range(page.agency_class.count()):
        for o in range(page.offering.count()):
            for c in range(page.catalog_status.count()):
                for flags in range(8):
                    page.agency_class.setCurrentIndex(a)
                    page.offering.setCurrentIndex(o)
                    page.catalog_status.setCurrentIndex(c)
                    page.buy_outside.setChecked(bool(flags & 1))
                    page.delegation_flag.setChecked(bool(flags & 2))
                    page.ato_term.setChecked(bool(flags & 4))
                    page.purchase().validate()
    wizard.reject()


def test_result_page_shows_requirements_citations_and_documents(
        qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    wizard = window.check_purchase()
    set_answers(wizard, "non-exempt-state", "calnet")
    wizard.answers.catalog_status.setCurrentIndex(0)  # required
    wizard.answers.buy_outside.setChecked(True)
    wizard.next()
    page = wizard.result_page
    text = page.text.toPlainText()
    assert "An approved exemption before buying" in text
    assert "A General Delegation." in text
    assert "STMM 501.0" in text and "SAM 4605" in text and "STMM 3-502.0" in text
    assert "General Delegation approval" in text  # a document the file must hold
    assert "needs an approved exemption before acting" in text  # the explanation
    assert set(page.create_buttons) == {"exemption-before-purchase", "general-delegation"}
    assert unnamed_focusable(wizard) == []
    wizard.resize(900, 560)
    image = wizard.grab()
    assert not image.isNull() and image.save(str(tmp_path / "procurement-check.png"))
    if os.environ.get("CALNET_DESK_SCREENSHOTS"):
        image.save(str(SHOTS / "procurement-check.png"))
    wizard.back()
    set_answers(wizard, "exempt-state", "calnet")
    wizard.next()
    assert "CALNET is optional" in page.text.toPlainText()
    assert page.create_buttons == {}
    assert "Nothing beyond" in page.text.toPlainText()
    wizard.reject()


def test_create_the_records_the_requirement_asks_for(
        qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    wizard = window.check_purchase()
    set_answers(wizard, "non-exempt-state", "calnet")
    wizard.answers.buy_outside.setChecked(True)
    wizard.next()
    page = wizard.result_page
    answers = iter([("GD-NEW-1", "Fiber to the annex"), ("EX-NEW-1", "Fiber to the annex")])
    monkeypatch.setattr(procurement_wizard, "ask_new_record", lambda *a: next(answers))
    with qtbot.waitSignal(wizard.open_record, timeout=10000):
        page.create_buttons["general-delegation"].click()
    assert window.current_page() is window.pages["delegations"]
    qtbot.waitUntil(lambda: window.pages["delegations"].selected_key() == "GD-NEW-1")
    assert not page.create_buttons["general-delegation"].isEnabled()
    with qtbot.waitSignal(wizard.open_record, timeout=10000):
        page.create_buttons["exemption-before-purchase"].click()
    assert window.pages["exemptions"].selected_key() == "EX-NEW-1"
    assert "Created exemption EX-NEW-1" in page.note.text()
    with Register.open(window.session.root) as reg:
        gd = reg.get(KINDS["delegations"], "GD-NEW-1")
        ex = reg.get(KINDS["exemptions"], "EX-NEW-1")
        history = reg.history("exemptions", "EX-NEW-1")
    assert gd is not None and gd["type"] == "general" and gd["decision"] == "pending"
    assert ex is not None and ex["decision"] == "pending"
    assert ex["general_delegation_id"] == "GD-NEW-1"  # paired, as SAM 4605 asks
    assert history[-1]["reason"] == "created from the procurement check"
    # the check's answers and result are kept with each record it created (issue 16 item 14)
    from calnet_desk.store.documents import document_path, documents_of

    with Register.open(window.session.root) as reg:
        kept = documents_of(reg, KINDS["exemptions"], "EX-NEW-1")
        assert [d.name for d in kept] == ["procurement check EX-NEW-1.txt"]
        text = document_path(reg.paths, kept[0].sha256).read_text("utf-8")
        assert [d.name for d in documents_of(reg, KINDS["delegations"], "GD-NEW-1")] == [
            "procurement check GD-NEW-1.txt"]
    assert "kept with exemption EX-NEW-1" in text
    assert "agency class: non-exempt-state" in text and "buy outside: True" in text
    assert "Requirements: " in text and "exemption-before-purchase" in text
    assert "Sources: " in text and "kept in its documents" in page.note.text()
    wizard.reject()


def test_an_id_already_taken_creates_nothing(qtbot: Any, window: MainWindow,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    with Register.open(window.session.root) as reg:
        taken = sorted(reg.keys(KINDS["delegations"]))[0]
        before = reg.get(KINDS["delegations"], taken)
    wizard = window.check_purchase()
    set_answers(wizard, "non-exempt-state", "not-on-calnet")
    wizard.next()
    assert set(wizard.result_page.create_buttons) == {"general-delegation"}
    errors: list[str] = []
    monkeypatch.setattr(procurement_wizard, "show_error", lambda parent, title, message, details="":
                        errors.append(message))
    monkeypatch.setattr(procurement_wizard, "ask_new_record", lambda *a: (taken, "Something else"))
    wizard.result_page.create_buttons["general-delegation"].click()
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert "already in the register" in errors[0]
    # cancelled: nothing asked
    monkeypatch.setattr(procurement_wizard, "ask_new_record", lambda *a: None)
    wizard.result_page.create_buttons["general-delegation"].click()
    with Register.open(window.session.root) as reg:
        assert reg.get(KINDS["delegations"], taken) == before
    wizard.reject()


# --- acknowledge and snooze ----------------------------------------------------------------------

def _select_due(window: MainWindow, status: str) -> Any:
    dash = window.dashboard
    row = next(i for i, d in enumerate(dash.due) if d.status == status)
    dash.deadlines.selectRow(row)
    return dash.due[row]


def test_acknowledge_from_the_dashboard(qtbot: Any, window: MainWindow) -> None:
    dash = window.dashboard
    actions = dash.deadline_actions
    assert not actions.ack_button.isEnabled()  # nothing selected
    d = _select_due(window, "due-soon")
    assert actions.ack_button.isEnabled() and actions.snooze_button.isEnabled()
    with qtbot.waitSignal(window.session.overview_ready, timeout=10000):
        actions.ack_button.click()
    qtbot.waitUntil(lambda: dash.deadline_actions.selected() is not None
                    and dash.deadline_actions.selected().status == "acknowledged")
    shown = actions.selected()
    assert (shown.record_kind, shown.key, shown.kind) == (d.record_kind, d.key, d.kind)
    row = dash.deadlines.selectionModel().selectedRows()[0].row()
    assert dash.deadline_model.index(row, 2).data() == "Acknowledged"
    assert "Acknowledged the" in actions.note.text() and d.key in actions.note.text()
    assert "acknowledged or snoozed" in dash.summary.text()
    with Register.open(window.session.root) as reg:
        found = {(x.record_kind, x.key, x.kind): x for x in deadlines(reg, demo.AS_OF)}
    assert found[(d.record_kind, d.key, d.kind)].status == "acknowledged"
    # the selection survives the next refresh (the findings arriving, a change elsewhere)
    with qtbot.waitSignal(window.session.overview_ready, timeout=10000):
        window.session.refresh_overview(with_findings=False)
    again = actions.selected()
    assert (again.record_kind, again.key, again.kind) == (d.record_kind, d.key, d.kind)


def test_snooze_through_the_context_menu(qtbot: Any, window: MainWindow,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    dash = window.dashboard
    d = _select_due(window, "overdue")
    asked: list[dt.date] = []

    def ask(parent: Any, what: str, today: dt.date) -> dt.date:
        asked.append(today)
        return today + dt.timedelta(days=10)

    monkeypatch.setattr(deadline_actions, "ask_snooze_date", ask)
    menu = dash.deadline_actions.menu()
    labels = [a.text() for a in menu.actions()]
    assert labels == ["&Acknowledge", "S&nooze until…"]
    with qtbot.waitSignal(window.session.overview_ready, timeout=10000):
        menu.actions()[1].trigger()
    assert asked == [demo.AS_OF]
    qtbot.waitUntil(lambda: dash.deadline_actions.selected() is not None
                    and dash.deadline_actions.selected().status == "snoozed")
    until = demo.AS_OF + dt.timedelta(days=10)
    assert formatting.show_date(until.isoformat()) in dash.deadline_actions.note.text()
    with Register.open(window.session.root) as reg:
        found = {(x.record_kind, x.key, x.kind): x for x in deadlines(reg, demo.AS_OF)}
        later = {(x.record_kind, x.key, x.kind): x for x in deadlines(reg, until)}
    assert found[(d.record_kind, d.key, d.kind)].status == "snoozed"
    assert later[(d.record_kind, d.key, d.kind)].status == "overdue"  # it lapses


def test_cancelled_snooze_changes_nothing(qtbot: Any, window: MainWindow,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _select_due(window, "due-soon")
    monkeypatch.setattr(deadline_actions, "ask_snooze_date", lambda *a: None)
    with qtbot.assertNotEmitted(window.session.overview_ready, wait=50):
        window.dashboard.deadline_actions.snooze_button.click()


def test_the_snooze_dialog_starts_a_week_out(qtbot: Any) -> None:
    dialog = snooze.SnoozeDialog("exemption term end of exemption X", dt.date(2026, 10, 30))
    qtbot.addWidget(dialog)
    assert dialog.date.date().toPython() == dt.date(2026, 11, 6)
    assert dialog.date.minimumDate().toPython() == dt.date(2026, 10, 31)
    assert unnamed_focusable(dialog) == []


# --- the IPR calculator --------------------------------------------------------------------------

def test_ipr_calculator_live_result(qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    dialog = window.ipr_calculator()
    assert "Give both costs" in dialog.verdict.text()
    assert not dialog.save_button.isEnabled()
    rules = load_rules(None, window.session.root)
    assert list(dialog.checks) == rules.value("ipr-checklist")
    dialog.calnet_cost.setText("$100,000")
    dialog.alternative_cost.setText("75000")
    dialog.months.setValue(36)
    assert "yes" not in dialog.verdict.text()  # the checklist and the attestation lack
    assert "lacks" in dialog.explanation.text()
    for check in dialog.checks.values():
        check.setChecked(True)
    dialog.attest.setChecked(True)
    assert "Meets the IPR guide (advisory): yes" in dialog.verdict.text()
    assert "25.00 %" in dialog.figures.text() and "$25,000.00" in dialog.figures.text()
    assert "Advisory only" in dialog.explanation.text() and "about" in dialog.explanation.text()
    assert dialog.citation.text() == f"Source: {rules.citation('ipr-max-percent-of-calnet')}"
    assert dialog.save_button.isEnabled()
    dialog.alternative_cost.setText("90000")
    assert "no" in dialog.verdict.text() and "above 80 %" in dialog.explanation.text()
    dialog.alternative_cost.setText("-5")
    assert "Cannot calculate" in dialog.verdict.text()
    assert not dialog.save_button.isEnabled()
    dialog.alternative_cost.setText("75000")
    assert unnamed_focusable(dialog) == []
    image = dialog.grab()
    assert not image.isNull() and image.save(str(tmp_path / "ipr.png"))
    if os.environ.get("CALNET_DESK_SCREENSHOTS"):
        image.save(str(SHOTS / "ipr-calculator.png"))
    dialog.reject()


def test_ipr_save_to_an_exemption(qtbot: Any, window: MainWindow,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    with Register.open(window.session.root) as reg:
        ipr_key = reg.conn.execute("SELECT exemption_id FROM exemptions WHERE reason = 'ipr' "
                                   "ORDER BY 1 LIMIT 1").fetchone()[0]
        other = reg.conn.execute("SELECT exemption_id FROM exemptions WHERE reason = "
                                 "'feature-gap' ORDER BY 1 LIMIT 1").fetchone()[0]
    dialog = window.ipr_calculator()
    dialog.calnet_cost.setText("120000")
    dialog.alternative_cost.setText("90000")
    offered: list[list[str]] = []

    def pick(parent: Any, keys: list[str]) -> str:
        offered.append(keys)
        return str(ipr_key)

    monkeypatch.setattr(ipr_dialog, "pick_exemption", pick)
    with qtbot.waitSignal(window.session.changed, timeout=10000):
        dialog.save_button.click()
    assert ipr_key in offered[0] and other not in offered[0]
    assert f"Saved with exemption {ipr_key}" in dialog.saved.text()
    with Register.open(window.session.root) as reg:
        saved = saved_calculation(reg, ipr_key)
    assert saved is not None and saved.calnet_cost == 12_000_000
    errors: list[str] = []
    monkeypatch.setattr(ipr_dialog, "show_error", lambda parent, title, message, details="":
                        errors.append(message))
    monkeypatch.setattr(ipr_dialog, "pick_exemption", lambda *a: str(other))
    dialog.save_button.click()
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert "not ipr" in errors[0]
    dialog.reject()


# --- the calendar export -------------------------------------------------------------------------

def test_export_deadlines_to_a_calendar(qtbot: Any, window: MainWindow, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "deadlines"
    target.parent.mkdir()
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(target), "iCalendar (*.ics)"))
    menu_texts = [a.text() for m in window.menuBar().actions() if m.menu()
                  for a in m.menu().actions()]
    assert "Export deadlines to &calendar…" in menu_texts
    window.export_calendar()
    ics = target.with_name("deadlines.ics")
    qtbot.waitUntil(lambda: "event(s) to" in window.statusBar().currentMessage(),
                    timeout=20000)
    text = ics.read_text("utf-8")
    assert text.startswith("BEGIN:VCALENDAR") and "DTSTAMP:20261030T000000Z" in text
    errors: list[str] = []
    monkeypatch.setattr(deadline_actions, "show_error", lambda parent, title, message, details="":
                        errors.append(message))
    window.export_calendar(tmp_path / "missing" / "x.ics")
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert "nothing was written" in errors[0]


# --- the rule list -------------------------------------------------------------------------------

def test_every_rule_is_listed_with_its_citation_and_the_filter_works(
        qtbot: Any, window: MainWindow) -> None:
    dialog = window.show_rules()
    rules = load_rules(None, window.session.root)
    rows = dialog.rows_shown()
    codes = {(r[0], r[1]) for r in rows}
    assert {("Rule", rid) for rid in rules.rules} <= codes
    assert {("Deadline", k) for k in rules.deadlines} <= codes
    assert {("Procurement case", c["case"]) for c in rules.procurement} <= codes
    assert {("Finding", code) for code in rules.findings} <= codes
    assert any(r[0] == "Request element (exemption)" for r in rows)
    assert any(r[0] == "Request element (delegation)" for r in rows)
    assert all(r[3] for r in rows)  # every entry names its source
    qtbot.keyClicks(dialog.filter, "sam 4605")
    shown = dialog.rows_shown()
    assert shown and len(shown) < len(rows)
    assert all("sam 4605" in " ".join(r).lower() for r in shown)
    assert dialog.count.text() == f"{len(shown)} of {len(rows)} shown"
    dialog.table.setCurrentIndex(dialog.proxy.index(0, 0))
    assert "SAM 4605" in dialog.detail.text()
    assert unnamed_focusable(dialog) == []
    dialog.reject()


# --- the settings --------------------------------------------------------------------------------

def test_ladders_written_to_the_register_change_the_deadlines(
        qtbot: Any, window: MainWindow) -> None:
    root = window.session.root
    (root / "rules.toml").write_text("# the agency's own rules\n[rules.ato-notice-days]\n"
                                     "value = 45\n", "utf-8")
    dialog = window.open_settings()
    assert dialog.ladders["contracts"].text() == "180, 90, 30"
    dialog.ladders["exemptions"].setText("400, 30")
    assert dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
    dialog.ladders["atos"].setText("ninety")
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
    assert "ATOs" in dialog.problem.text()
    dialog.ladders["atos"].setText("90,60,30,7")
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    # the ladders are written on the writer's thread; the dashboard is refreshed at once (the
    # dates as shown) and again once they are written, so wait for the file, not a refresh
    qtbot.waitUntil(lambda: "reminder-ladder-days" in (root / "rules.toml").read_text("utf-8"),
                    timeout=10000)
    text = (root / "rules.toml").read_text("utf-8")
    assert text.startswith("# the agency's own rules\n[rules.ato-notice-days]\nvalue = 45\n")
    data = tomllib.loads(text)
    assert data["rules"]["reminder-ladder-days"]["citation"] == "design"
    assert data["rules"]["reminder-ladder-days"]["by-kind"]["exemptions"] == [400, 30]
    rules = load_rules(None, root)
    assert rules.ladder("exemptions") == [400, 30]
    assert rules.ladder("contracts") == [180, 90, 30]  # the other kinds are kept
    assert rules.value("ato-notice-days") == 45
    with Register.open(root) as reg:
        found = [d for d in deadlines(reg, demo.AS_OF) if d.record_kind == "exemptions"]
    assert found and all(d.ladder == (400, 30) for d in found)
    far = [d for d in found if 30 < d.days_left <= 400]
    assert far and all(d.status in ("due-soon", "acknowledged", "snoozed") for d in far)
    qtbot.waitUntil(lambda: any(d.key == far[0].key for d in window.dashboard.due))
    # again: the section is replaced, not repeated
    write_kind_ladders(root, {k: [10] for k in DEADLINE_RECORD_KINDS})
    text = (root / "rules.toml").read_text("utf-8")
    assert text.count("[rules.reminder-ladder-days.by-kind]") == 1
    assert load_rules(None, root).ladder("contracts") == [10]


def test_a_ladder_the_writer_cannot_change_is_refused(tmp_path: Path) -> None:
    (tmp_path / "rules.toml").write_text(
        '[rules]\n"reminder-ladder-days" = { citation = "x", value = [1], "by-kind" = '
        '{ atos = [5] } }\n', "utf-8")
    before = (tmp_path / "rules.toml").read_text("utf-8")
    with pytest.raises(RulesError):
        write_kind_ladders(tmp_path, {"atos": [30]})
    assert (tmp_path / "rules.toml").read_text("utf-8") == before
    assert not list(tmp_path.glob(".rules.toml.*"))
    with pytest.raises(RulesError):
        write_kind_ladders(tmp_path, {"atos": []})


def test_date_display_and_export_folder_are_kept_in_the_settings(
        qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    dialog = window.open_settings()
    assert "03/05/2026" in dialog.date_sample.text()
    dialog.date_display.setCurrentIndex(dialog.date_display.findData("iso"))
    assert "2026-03-05" in dialog.date_sample.text()
    assert formatting.show_date("2026-03-05") == "03/05/2026"  # not before OK
    folder = tmp_path / "exports"
    dialog.export_folder.setText(str(folder))
    assert "not a folder" in dialog.problem.text()
    folder.mkdir()
    dialog.export_folder.clear()
    dialog.export_folder.setText(str(folder))
    assert dialog.problem.text() == ""
    assert unnamed_focusable(dialog) == []
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert formatting.show_date("2026-03-05") == "2026-03-05"
    qtbot.waitUntil(lambda: window.dashboard.summary.text().startswith("As of 2026-10-30"),
                    timeout=10000)
    again = Settings(window.settings.path)
    assert again.date_display() == "iso" and again.export_folder() == folder
    assert again.export_path("x.ics") == str(folder / "x.ics")
    formatting.set_date_display("us")
    assert formatting.show_date("2026-03-05") == "03/05/2026"
    assert formatting.date_format() == "MM/dd/yyyy"
    # a new window applies the kept setting
    formatting.set_date_display("system")
    win2 = MainWindow(window.session, again)
    qtbot.addWidget(win2)
    assert formatting.date_display() == "iso"


def test_settings_read_only_cannot_change_the_ladders(qtbot: Any, tmp_path: Path) -> None:
    root = tmp_path / "ro"
    demo.create_demo(root, orders=5).close()
    session = Session(root, read_only=True, today=lambda: demo.AS_OF)
    try:
        dialog = SettingsDialog(Settings(tmp_path / "s.ini"), session)
        qtbot.addWidget(dialog)
        assert not any(e.isEnabled() for e in dialog.ladders.values())
        assert not dialog.shipped_button.isEnabled()
        dialog.save()
        assert dialog.result() == QDialog.DialogCode.Accepted
        assert not (root / "rules.toml").exists()
    finally:
        session.close()


def test_restore_the_shipped_ladders(qtbot: Any, window: MainWindow) -> None:
    write_kind_ladders(window.session.root, {k: [5] for k in DEADLINE_RECORD_KINDS})
    dialog = window.open_settings()
    assert dialog.ladders["atos"].text() == "5"
    dialog.shipped_button.click()
    shipped = load_rules()
    assert dialog.ladder_values() == {k: shipped.ladder(k) for k in DEADLINE_RECORD_KINDS}
    dialog.reject()


# --- keyboard and names --------------------------------------------------------------------------

def test_focus_walk_over_the_new_screens(qtbot: Any, window: MainWindow) -> None:
    wizard = window.check_purchase()
    for agency in ("non-exempt-state", "non-state"):
        set_answers(wizard, agency, "calnet")
        assert unnamed_focusable(wizard) == []
    set_answers(wizard, "non-exempt-state", "not-on-calnet")
    wizard.next()
    assert unnamed_focusable(wizard) == []
    wizard.reject()
    window.show_page("dashboard")
    _select_due(window, "due-soon")
    assert unnamed_focusable(window) == []
    dialog = procurement_wizard.NewRecordDialog("exemption", "")
    qtbot.addWidget(dialog)
    assert unnamed_focusable(dialog) == []
    assert wizard.button(QWizard.WizardButton.NextButton).accessibleName()
    assert QApplication.instance() is not None
