"""Helpers shared by the desktop tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PySide6.QtGui import Qt


def focus_chain(root: Any) -> list[Any]:
    """The widgets Tab visits from ``root``, in order, once each."""
    seen: list[Any] = []
    w = root.nextInFocusChain()
    while w is not root and w not in seen:
        seen.append(w)
        w = w.nextInFocusChain()
    return seen


def mnemonic_of(text: str) -> str | None:
    """The letter after a single "&" ("&&" is a literal ampersand), lower-cased."""
    i = 0
    while i < len(text) - 1:
        if text[i] == "&":
            if text[i + 1] == "&":
                i += 2
                continue
            return text[i + 1].lower()
        i += 1
    return None


def mnemonic_problems(window: Any) -> list[str]:
    """What is wrong with the Alt+letter keys of what ``window`` shows now: two controls
    sharing a letter (Alt would cycle between them instead of acting), and a label whose "&"
    has no buddy (it is drawn literally). The menu bar's titles count: Alt+F is the File menu
    or a field, never both."""
    from PySide6.QtWidgets import (
        QAbstractButton,
        QGroupBox,
        QLabel,
        QMenuBar,
        QTabBar,
        QWidget,
    )

    owners: dict[str, list[str]] = {}
    problems: list[str] = []

    def add(letter: str | None, what: str) -> None:
        if letter:
            owners.setdefault(letter, []).append(what)

    for w in [window, *window.findChildren(QWidget)]:
        if w.window() is not window or not (w is window or w.isVisibleTo(window)):
            continue
        if isinstance(w, QAbstractButton):
            add(mnemonic_of(w.text()), f"button {w.text()!r}")
        elif isinstance(w, QGroupBox) and w.isCheckable():
            add(mnemonic_of(w.title()), f"group {w.title()!r}")
        elif isinstance(w, QLabel) and w.textFormat() != Qt.TextFormat.RichText \
                and not Qt.mightBeRichText(w.text()):
            letter = mnemonic_of(w.text())
            if letter and w.buddy() is None:
                problems.append(f"label {w.text()!r} shows its '&': it has no buddy")
            elif letter and w.buddy().isVisibleTo(window):
                add(letter, f"label {w.text()!r}")
        elif isinstance(w, QTabBar):
            for i in range(w.count()):
                add(mnemonic_of(w.tabText(i)), f"tab {w.tabText(i)!r}")
        elif isinstance(w, QMenuBar):
            for action in w.actions():
                add(mnemonic_of(action.text()), f"menu {action.text()!r}")
    for letter, whats in sorted(owners.items()):
        if len(whats) > 1:
            problems.append(f"Alt+{letter.upper()} is shared by " + ", ".join(whats))
    return problems


def wizard_pages(qtbot: Any, wizard: Any) -> Iterator[Any]:
    """Each page of a wizard in turn, reached with Next as far as the answers allow."""
    wizard.show()
    qtbot.waitExposed(wizard)
    seen = set()
    while wizard.currentId() not in seen:
        seen.add(wizard.currentId())
        yield wizard
        from PySide6.QtWidgets import QWizard

        nxt = wizard.button(QWizard.WizardButton.NextButton)
        if not (nxt.isVisible() and nxt.isEnabled()):
            return
        wizard.next()


def all_dialogs(qtbot: Any, win: Any, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """Every dialog and wizard page of the desktop, shown, with a name for the message."""
    from ui.dialogs.bundles import ExportBundleDialog
    from ui.dialogs.snooze import SnoozeDialog
    from ui.main_window import PAGE_KINDS
    from ui.messages import ReasonDialog
    from ui.pages.documents_panel import RecordPicker
    from ui.wizards.first_run import FirstRunWizard
    from ui.wizards.procurement_wizard import NewRecordDialog

    def shown(dialog: Any) -> Any:
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        return dialog

    wizard = FirstRunWizard(tmp_path / "new-register")
    qtbot.addWidget(wizard)
    wizard.agency.name.setText("Department of Walking")
    wizard.catr.name.setText("Ada")
    for page in wizard_pages(qtbot, wizard):
        yield f"first-run wizard, page {page.currentId()}", page
    yield "bundle export", shown(ExportBundleDialog(win.session, win))
    yield "settings", win.open_settings()
    yield "reason", shown(ReasonDialog("Delete", "Why?", win))
    yield "record picker", shown(RecordPicker(win.session, ["orders"], "Which?", win))
    yield "new record", shown(NewRecordDialog("exemption", "Project", win))
    yield "snooze", shown(SnoozeDialog("it", dt.date(2026, 10, 30), win))
    yield "rules", win.show_rules()
    yield "IPR calculator", win.ipr_calculator()
    for page in wizard_pages(qtbot, win.check_purchase()):
        yield f"procurement check, page {page.currentId()}", page
    sheet = tmp_path / "orders.csv"
    sheet.write_text("Request number,Request date,Order type\nW-1,2026-01-02,new\n",
                     encoding="utf-8")
    for page in wizard_pages(qtbot, win.open_import_wizard(sheet, "orders")):
        yield f"import wizard, page {page.currentId()}", page
    for name in PAGE_KINDS:
        yield f"new {name}", win.edit_record(name, "", "new")
