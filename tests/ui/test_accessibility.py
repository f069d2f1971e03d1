"""Seen by assistive technology (issue 16 item 16; Section 508, Gov. Code 7405): every control
has a role and a name, from inside the process (every page) and from outside it, over AT-SPI,
as a screen reader on Linux sees the window; tables expose their headers; the dashboard says
its state in words, not only in colour."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QWidget

from calnet_desk import demo

ROOT = Path(__file__).resolve().parents[2]


def unnamed_controls(window: Any) -> list[str]:
    """Every focusable control showing on the current page without a role or a name. A combo
    box needs a label (Qt on Linux names it by its current text: "All, combo box")."""
    problems = []
    for w in window.findChildren(QWidget):
        if not w.isVisible() or not w.focusPolicy() & Qt.FocusPolicy.TabFocus:
            continue
        parent = w.parentWidget()
        if isinstance(parent, QAbstractSpinBox | QComboBox):
            continue  # a date edit's or combo box's own line edit: the parent speaks for it
        iface = QAccessible.queryAccessibleInterface(w)
        where = f"{type(w).__name__} {w.objectName() or ''}".strip()
        if iface is None or iface.role() in (QAccessible.Role.NoRole, QAccessible.Role.Client):
            problems.append(f"{where}: no role")
            continue
        if isinstance(w, QComboBox) and not w.isEditable():
            if not iface.relations(QAccessible.RelationFlag.Label):
                problems.append(f"{where} ({w.currentText()!r}): no label")
        elif not iface.text(QAccessible.Text.Name).strip():
            problems.append(f"{where}: no name")
    return problems


def test_every_focusable_control_on_every_page_has_a_role_and_a_name(
        open_window: Any, qtbot: Any) -> None:
    win = open_window(orders=20, overview=True)
    seen = 0
    for row in range(win.nav.count()):
        win.nav.setCurrentRow(row)
        qtbot.waitUntil(lambda row=row: win.stack.currentIndex() == row)
        problems = unnamed_controls(win)
        assert problems == [], f"{win.nav.item(row).text()}: {problems}"
        seen += 1
    assert seen == win.nav.count() >= 9
    win.show_page("orders")
    status = win.pages["orders"].status
    assert status.isVisible() and status.currentText() == "All"
    label = QAccessible.queryAccessibleInterface(status).relations(
        QAccessible.RelationFlag.Label)
    assert [iface.text(QAccessible.Text.Name) for iface, _ in label] == ["Status:"]


def test_the_window_seen_from_outside_over_at_spi(tmp_path: Path) -> None:
    """The real app on a real X server, its accessibility tree read over the AT-SPI D-Bus by
    another process that selects each page as a screen reader user does."""
    root = tmp_path / "reg"
    demo.create_demo(root, orders=20).close()
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)}
    r = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24",
                        "dbus-run-session", "--", sys.executable,
                        str(ROOT / "tests" / "atspi_child.py"), str(root)],
                       env=env, capture_output=True, text=True, timeout=600, check=False,
                       cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    nodes = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    pages = {n["page"].split(" · ")[0] for n in nodes}
    assert {"Dashboard", "Orders (STD. 20)", "Exemptions", "People", "Documents",
            "Billing"} <= pages
    controls = {"push button", "text", "combo box", "check box", "spin box", "table",
                "tree", "radio button", "toggle button", "tree table", "slider"}
    problems = []
    for n in nodes:
        if n["role"] not in controls or not n["focusable"]:
            continue
        where = f"{n['page']}: {n['role']} {n['name']!r}"
        if n["role"] == "combo box":  # its name is its value on Linux: a label must say it
            if not n["labelled_by"]:
                problems.append(f"{where} has no label (announced as its value only)")
        elif not n["name"].strip():
            problems.append(f"{where} has no name")
        if "headers" in n and not all(h.strip() for h in n["headers"]):
            problems.append(f"{where} has unnamed column headers {n['headers']}")
    assert problems == []
    status = [n for n in nodes if n["page"].startswith("Orders") and n["role"] == "combo box"]
    assert [(n["name"], n["labelled_by"]) for n in status] == [("All", ["Status:"])]
    # the dashboard's state in words: a Status or Severity column whose cells are text
    said = [n["first_row"][n["headers"].index(h)] for n in nodes
            if n["page"].startswith("Dashboard") and n.get("first_row")
            for h in ("Status", "Severity") if h in n["headers"]]
    assert said and all(s.strip() for s in said), said
