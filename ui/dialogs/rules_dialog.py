"""Help > Rules and citations: every rule, deadline kind, procurement case and request
element of the rule sets in force, with its citation; and the rule set a session uses."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from calnet_desk.policy.rules import RuleSet, load_rules
from calnet_desk.records import KINDS

from ..formatting import readable
from ..messages import name_buttons
from ..session import Session


def rules_of(session: Session) -> RuleSet:
    """The common rule set with the register's overrides (as the CLI's check-purchase and
    ipr use it)."""
    return load_rules(None, session.root)


# --- the procurement check ---------------------------------------------------------------------


def rule_rows(rules: RuleSet) -> list[list[str]]:
    """[section, entry, what, citation, text] for every rule, deadline kind, procurement
    case, request element and finding code."""
    rows: list[list[str]] = []
    for r in rules.rules.values():
        value = (", ".join(map(str, r.value)) if isinstance(r.value, list)
                 else ("yes" if r.value else "no") if isinstance(r.value, bool)
                 else str(r.value))
        if r.by_kind:
            value += " (" + "; ".join(f"{k}: {', '.join(map(str, v))}"
                                      for k, v in r.by_kind.items()) + ")"
        rows.append(["Rule", r.id, f"{value} {r.unit}".strip(), ", ".join(r.citations),
                     r.text])
    for kind, d in rules.deadlines.items():
        rows.append(["Deadline", kind, readable(kind), str(d.get("citation", "")),
                     str(d.get("text", ""))])
    for case in rules.procurement:
        when = "; ".join(f"{readable(k)}: {' or '.join(v)}"
                         for k, v in case.get("when", {}).items())
        rows.append(["Procurement case", str(case["case"]),
                     f"{when} → {', '.join(case['requirements'])}",
                     ", ".join(case["citations"]), str(case.get("explanation", ""))])
    for kind in ("exemptions", "delegations"):
        for e in rules.requests.get(kind, {}).get("elements", []):
            rows.append([f"Request element ({KINDS[kind].singular})", str(e["code"]),
                         str(e.get("label", "")), str(e.get("citation", "")),
                         str(e.get("condition") or "Always. Fields: "
                             + ", ".join(e.get("fields", [])))])
    for code, f in rules.findings.items():
        rows.append(["Finding", code, readable(str(f.get("severity", ""))),
                     str(f.get("citation", "")), str(f.get("message", ""))])
    return rows


class RulesDialog(QDialog):
    """Help > Rules and citations: every rule, deadline kind, procurement case, request
    element and finding, each with its source; a filter over all columns."""

    def __init__(self, rules: RuleSet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Rules and citations")
        self.setObjectName("rules-dialog")
        sources = QLabel(f"{rules.name} — from {', '.join(rules.sources)}", self)
        sources.setWordWrap(True)
        self.filter = QLineEdit(self)
        self.filter.setAccessibleName("Filter the rules")
        self.filter.setPlaceholderText("Filter: a word, a code or a citation (e.g. 501.0)")
        self.filter.setClearButtonEnabled(True)
        self.model = QStandardItemModel(0, 5, self)
        self.model.setHorizontalHeaderLabels(["Kind", "Code", "What", "Source", "Text"])
        for row in rule_rows(rules):
            items = [QStandardItem(v) for v in row]
            for item in items:
                item.setEditable(False)
            items[4].setToolTip(row[4])
            self.model.appendRow(items)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.table = QTableView(self)
        self.table.setAccessibleName("Rules and citations")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the rule set's order
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.count = QLabel(self)
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setAccessibleName("The selected entry")
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label = QLabel("&Filter:", self)
        label.setBuddy(self.filter)
        bar = QHBoxLayout()
        bar.addWidget(label)
        bar.addWidget(self.filter, 1)
        bar.addWidget(self.count)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        name_buttons(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(sources)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        layout.addWidget(buttons)
        self.filter.textChanged.connect(self._filter)
        self.table.selectionModel().currentRowChanged.connect(self._show_detail)
        cap = self.fontMetrics().averageCharWidth()
        for column, chars in enumerate((28, 32, 40, 22)):
            self.table.setColumnWidth(column, cap * chars)
        self._filter("")
        self.resize(cap * 170, self.fontMetrics().height() * 40)

    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        self.count.setText(f"{self.proxy.rowCount()} of {self.model.rowCount()} shown")

    def _show_detail(self, current: QModelIndex, previous: QModelIndex) -> None:
        row = [self.proxy.index(current.row(), c).data() for c in range(5)]
        self.detail.setText(f"{row[1]} [{row[3]}]: {row[4]}" if current.isValid() else "")

    def rows_shown(self) -> list[list[str]]:
        return [[str(self.proxy.index(r, c).data()) for c in range(5)]
                for r in range(self.proxy.rowCount())]
