"""The Billing page: the contractors' statements by month, the dollars at stake, the
reconciliation's findings grouped by code, a drill-down to the order and the statement
line, and marking a finding (disputed, credited, explained, resolved).

Everything comes from the core (``calnet_desk.policy.reconcile``): the reconciliation runs
on a background reader, a mark goes through the writer thread and the history.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from calnet_desk.policy.billing_codes import CODES, LABELS, MARKS
from calnet_desk.policy.reconcile import BillingOverview, Finding, money_text, totals
from calnet_desk.store.billing import line_at
from calnet_desk.values import BadValue, parse_money

from ..formatting import readable
from ..models import KEY_ROLE, RowsModel
from ..session import Session
from ..style import ring_room

FINDING_ROLE = Qt.ItemDataRole.UserRole + 7


def _rules(session: Session) -> Any:
    from calnet_desk.policy.rules import load_rules

    return load_rules(None, session.root)


def compute_billing(reg: Any, root: Any) -> BillingOverview:
    from calnet_desk.policy.reconcile import billing_overview
    from calnet_desk.policy.rules import load_rules

    return billing_overview(reg, load_rules(None, root))


class BillingPage(QWidget):
    follow = Signal(str, str)  # kind, key: open the order
    populated = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("page-billing")
        self.overview = BillingOverview([], [])
        self.loaded = False
        self.ready = False
        self.summary = QLabel("Reconciling the statements…", self)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Billing summary")

        self.month_model = RowsModel(["Contractor", "Month", "Lines", "Billed a month",
                                      "Open findings", "At stake a month"], self)
        from .tables import table_view

        self.months = table_view("Statements by contractor and month", self)
        self.months.setModel(self.month_model)
        self.months.selectionModel().currentRowChanged.connect(self._month_chosen)
        months_label = QLabel("&Statements", self)
        months_label.setBuddy(self.months)

        self.tree = QTreeWidget(self)
        self.tree.setAccessibleName("Findings grouped by code")
        self.tree.setHeaderLabels(["Finding / line", "BAN", "Order", "A month", "A year",
                                   "Mark", "What to do"])
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setStretchLastSection(True)
        self.tree.currentItemChanged.connect(self._finding_chosen)
        tree_label = QLabel("F&indings", self)
        tree_label.setBuddy(self.tree)

        self.detail = QLabel("Choose a finding to see its statement line and order.", self)
        self.detail.setWordWrap(True)
        self.detail.setAccessibleName("The finding's statement line")
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_order = QPushButton("Open the &order", self)
        self.open_order.setEnabled(False)
        self.open_order.clicked.connect(self._open_order)

        self.mark_as = QComboBox(self)
        self.mark_as.setAccessibleName("Mark as")
        for m in MARKS:
            self.mark_as.addItem(readable(m), m)
        self.amount = QLineEdit(self)
        self.amount.setAccessibleName("Dollars recovered")
        self.amount.setPlaceholderText("with credited: the dollars recovered")
        self.note = QLineEdit(self)
        self.note.setAccessibleName("Note")
        self.mark_button = QPushButton("&Mark the finding", self)
        self.mark_button.setEnabled(False)
        self.mark_button.clicked.connect(self._mark)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Billing message")
        form = QFormLayout()
        form.addRow("Mar&k as", self.mark_as)
        form.addRow("&Amount", self.amount)
        form.addRow("&Note", self.note)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        ring_room(left_layout)  # the lists' focus rings whole
        left_layout.addWidget(months_label)
        left_layout.addWidget(self.months, 1)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        ring_room(right_layout)
        right_layout.addWidget(tree_label)
        right_layout.addWidget(self.tree, 3)
        right_layout.addWidget(self.detail)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_order)
        buttons.addStretch(1)
        buttons.addWidget(self.mark_button)
        right_layout.addLayout(form)
        right_layout.addLayout(buttons)
        right_layout.addWidget(self.message)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setChildrenCollapsible(False)
        chars = self.fontMetrics().averageCharWidth()
        split.setSizes([chars * 70, chars * 110])
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)
        session.changed.connect(self._changed)

    # --- loading -------------------------------------------------------------------------

    def showEvent(self, event: Any) -> None:
        if not self.loaded:
            self.reload()
        super().showEvent(event)

    def _changed(self, kind: str, key: str) -> None:
        if self.isVisible():
            self.reload()
        else:
            self.loaded = False

    def reload(self) -> None:
        self.loaded = True
        root = self.session.root
        self.session.read_async(lambda reg: compute_billing(reg, root), self.show_overview,
                                self._failed)

    def _failed(self, message: str, details: str) -> None:
        self.summary.setText(f"The reconciliation could not be made: {message}")
        self.ready = True
        self.populated.emit()

    def show_overview(self, overview: BillingOverview) -> None:
        keep = self._current_month()
        self.overview = overview
        rows, payload = [], []
        for st in overview.statements:
            mine = overview.of(st.contractor, st.month)
            t = totals(mine)
            rows.append([st.contractor, st.month, f"{st.lines:,}", money_text(st.total_mrc),
                         str(sum(f.open for f in mine)), money_text(t.monthly_at_stake)])
            payload.append((st.contractor, st.month))
        self.month_model.set_rows(rows, payload)
        self.months.resizeColumnsToContents()
        whole = totals(overview.findings)
        if not overview.statements:
            self.summary.setText("No statements yet. Import a contractor's monthly statement "
                                 "with: calnet-desk-cli import-billing FILE --contractor NAME "
                                 "--month YYYY-MM")
        else:
            self.summary.setText(
                f"{money_text(whole.monthly_at_stake)} a month, "
                f"{money_text(whole.annual_at_stake)} a year at stake over "
                f"{len(overview.statements)} statement(s); disputed "
                f"{money_text(whole.disputed)} a month; recovered "
                f"{money_text(whole.recovered)}. The checks are CALNET Desk's own design.")
        row = payload.index(keep) if keep in payload else len(payload) - 1
        if row >= 0:
            self.months.selectRow(row)
            self._show_month(*payload[row])
        else:
            self.tree.clear()
        self.ready = True
        self.populated.emit()

    def _current_month(self) -> tuple[str, str] | None:
        rows = self.months.selectionModel().selectedRows()
        target = rows[0].data(KEY_ROLE) if rows else None
        return (str(target[0]), str(target[1])) if target else None

    def _month_chosen(self, current: QModelIndex, previous: QModelIndex) -> None:
        target = current.data(KEY_ROLE)
        if target:
            self._show_month(*target)

    def _show_month(self, contractor: str, month: str) -> None:
        keep = self._current_finding()
        self.tree.clear()
        found = self.overview.of(contractor, month)
        select: QTreeWidgetItem | None = None
        for code in CODES:
            mine = [f for f in found if f.code == code]
            if not mine:
                continue
            t = totals(mine)
            group = QTreeWidgetItem(self.tree, [
                f"{LABELS[code]} ({len(mine)})", "", "", money_text(t.monthly_at_stake),
                money_text(t.annual_at_stake), "", code])
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            for f in mine:
                item = QTreeWidgetItem(group, [
                    f.line, f.ban or "", f.order or "", money_text(f.monthly_amount),
                    money_text(12 * f.monthly_amount),
                    readable(f.mark.mark) if f.mark else "", f.message])
                item.setData(0, FINDING_ROLE, f)
                item.setToolTip(6, f.message)
                if keep is not None and f.ident == keep.ident and f.row == keep.row:
                    select = item
            group.setExpanded(True)
        for c in range(6):
            self.tree.resizeColumnToContents(c)
        self.tree.header().setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        if select is not None:
            self.tree.setCurrentItem(select)
        else:
            self._finding_chosen(None, None)

    # --- a finding -----------------------------------------------------------------------

    def _current_finding(self) -> Finding | None:
        item = self.tree.currentItem()
        found = item.data(0, FINDING_ROLE) if item is not None else None
        return found if isinstance(found, Finding) else None

    def _finding_chosen(self, current: QTreeWidgetItem | None, _previous: Any) -> None:
        f = self._current_finding() if current is not None else None
        self.open_order.setEnabled(bool(f and f.order))
        self.mark_button.setEnabled(f is not None and not self.session.read_only)
        if f is None:
            self.detail.setText("Choose a finding to see its statement line and order.")
            return
        parts = [f"{LABELS[f.code]}: {f.message}"]
        line = line_at(self.session.reader, f.contractor, f.month, f.row) if f.row else None
        if line is not None:
            name = next((s.name for s in self.overview.statements
                         if s.contractor == f.contractor and s.month == f.month), "")
            cells = [f"{label} {line[k]}" for label, k in (
                ("BAN", "ban"), ("WTN", "wtn"), ("circuit", "circuit_id"), ("SR", "sr_number"),
                ("product", "product_id")) if line[k]]
            if line["mrc"] is not None:
                cells.append(f"MRC {money_text(line['mrc'])}")
            if line["usage"] is not None:
                cells.append(f"usage {line['usage']:g}")
            parts.append(f"Statement line: row {f.row} of {name}: {', '.join(cells)}.")
        if f.order:
            parts.append(f"Order: {f.order}.")
        if f.mark:
            amount = f" ({money_text(f.mark.amount)})" if f.mark.amount is not None else ""
            note = f": {f.mark.note}" if f.mark.note else ""
            parts.append(f"Marked {f.mark.mark}{amount} by {f.mark.marked_by} at "
                         f"{f.mark.marked_at}{note}.")
        self.detail.setText("\n".join(parts))

    def _open_order(self) -> None:
        f = self._current_finding()
        if f is not None and f.order:
            self.follow.emit("orders", f.order)

    def _mark(self) -> None:
        f = self._current_finding()
        if f is None or self.session.writer is None:
            return
        how = str(self.mark_as.currentData())
        amount: int | None = None
        if self.amount.text().strip():
            try:
                parsed = parse_money(self.amount.text())
            except BadValue as e:
                self.message.setText(f"Amount: {e}")
                self.amount.setFocus()
                return
            if not isinstance(parsed, int) or parsed < 0:
                self.message.setText("Amount: give the dollars recovered (0 or more)")
                return
            amount = parsed
        note = self.note.text().strip() or None
        rules = _rules(self.session)

        def job(reg: Any, progress: Any, cancelled: Any) -> str:
            from calnet_desk.policy.reconcile import mark_finding

            return mark_finding(reg, rules, f.month, f.contractor, f.code, f.line, how, amount,
                                note)

        def done(action: str) -> None:
            self.message.setText(
                f"{LABELS[f.code]} {f.line} marked {how}" if action != "unchanged" else
                f"{LABELS[f.code]} {f.line} was already marked {how}")
            self.amount.clear()
            self.note.clear()
            self.session.changed.emit("billing-marks", f.line)

        def failed(message: str, details: str) -> None:
            self.message.setText(f"Not marked: {message}")

        self.mark_button.setEnabled(False)
        self.session.writer.submit(job, done, failed)
