"""The Billing page (issue 18): statements by month, findings grouped by code, the drill-down
to the statement line and the order, and marking a finding through the writer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from calnet_desk.policy.billing_codes import LABELS
from calnet_desk.policy.reconcile import Finding
from ui.pages.billing import FINDING_ROLE, BillingPage


def _open_billing(open_window: Any, qtbot: Any) -> tuple[Any, BillingPage]:
    win = open_window(orders=60)
    page: BillingPage = win.billing
    with qtbot.waitSignal(page.populated, timeout=30000):
        win.show_page("billing")
    return win, page


def _first_finding(page: BillingPage, code: str | None = None) -> Any:
    for i in range(page.tree.topLevelItemCount()):
        group = page.tree.topLevelItem(i)
        for j in range(group.childCount()):
            item = group.child(j)
            f = item.data(0, FINDING_ROLE)
            if code is None or f.code == code:
                return item
    return None


def test_the_billing_page_shows_months_and_findings(open_window: Any, qtbot: Any,
                                                    tmp_path: Path) -> None:
    win, page = _open_billing(open_window, qtbot)
    assert page.month_model.rowCount() > 0
    assert "a year at stake" in page.summary.text()
    assert "CALNET Desk's own design" in page.summary.text()
    groups = [page.tree.topLevelItem(i).text(0) for i in range(page.tree.topLevelItemCount())]
    assert groups and all(any(g.startswith(label) for label in LABELS.values()) for g in groups)
    # the nav item counts the statements
    row = next(r for r in range(win.nav.count())
               if win.nav.item(r).data(Qt.ItemDataRole.UserRole) == "billing")
    assert win.nav.item(row).text() == f"Billing · {page.month_model.rowCount()}"
    shot = tmp_path / "billing.png"
    assert page.grab().save(str(shot)) and shot.stat().st_size > 0


def test_drill_down_to_the_statement_line_and_the_order(open_window: Any, qtbot: Any) -> None:
    win, page = _open_billing(open_window, qtbot)
    item = None
    for row in range(page.month_model.rowCount() - 1, -1, -1):
        page.months.selectRow(row)
        item = _first_finding(page, "billed-after-disconnect") or _first_finding(
            page, "rate-mismatch")
        if item is not None:
            break
    assert item is not None
    page.tree.setCurrentItem(item)
    f: Finding = item.data(0, FINDING_ROLE)
    assert f"Statement line: row {f.row} of " in page.detail.text()
    assert page.open_order.isEnabled()
    qtbot.mouseClick(page.open_order, Qt.MouseButton.LeftButton)
    assert win.current_page() is win.pages["orders"]
    assert win.pages["orders"].selected_key() == f.order


def test_marking_a_finding_goes_through_the_writer(open_window: Any, qtbot: Any) -> None:
    win, page = _open_billing(open_window, qtbot)
    item = _first_finding(page)
    assert item is not None
    f: Finding = item.data(0, FINDING_ROLE)
    page.tree.setCurrentItem(item)
    page.mark_as.setCurrentIndex(page.mark_as.findData("credited"))
    page.amount.setText("12.50")
    page.note.setText("credit memo 7")
    with qtbot.waitSignal(page.populated, timeout=30000):
        qtbot.mouseClick(page.mark_button, Qt.MouseButton.LeftButton)
    assert "marked credited" in page.message.text()
    marked = [x for x in page.overview.findings if x.ident == f.ident]
    assert marked and all(x.mark is not None and x.mark.mark == "credited"
                          and x.mark.amount == 1250 and x.mark.note == "credit memo 7"
                          for x in marked)
    assert "Credited" in [page.tree.currentItem().text(5)]
    history = [e for e in win.session.reader.history() if e["kind"] == "billing-marks"]
    assert len(history) == 1


def test_a_bad_amount_is_refused_in_place(open_window: Any, qtbot: Any) -> None:
    _win, page = _open_billing(open_window, qtbot)
    page.tree.setCurrentItem(_first_finding(page))
    page.amount.setText("twelve")
    qtbot.mouseClick(page.mark_button, Qt.MouseButton.LeftButton)
    assert page.message.text().startswith("Amount: 'twelve' is not an amount")
