"""Typing is never lost: every open editor keeps a draft on disk, removed on save or discard,
offered back after an abnormal end (tests/drafts_child.py is killed with SIGKILL here)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from calnet_desk import demo
from calnet_desk.drafts import Draft, DraftError, Drafts, describe, user_folder_name
from calnet_desk.records import KINDS
from calnet_desk.store import Register
from ui import controller as controller_mod
from ui.editors import record_editor as editor_mod
from ui.editors.record_editor import RecordEditor
from ui.main_window import MainWindow
from ui.settings import Settings

HERE = Path(__file__).resolve().parent
REAL_QUESTION = editor_mod.ask_unsaved  # (conftest answers Discard for the other tests)
PLAIN_ORDER = "TSR-2022-00001"


# --- the core: the drafts folder ------------------------------------------------------------

def test_a_draft_round_trips_and_goes_when_removed(tmp_path: Path) -> None:
    drafts = Drafts(tmp_path, user="pat")
    draft = Draft("orders", "edit", "TSR-1", {"description": "half typed", "quantity": "1x"},
                  ladder="90, 6", expected_entry=7)
    path = drafts.save(draft)
    assert path.parent == tmp_path / "drafts" / "pat"
    assert json.loads(path.read_text(encoding="utf-8"))["fields"]["quantity"] == "1x"
    [back], problems = drafts.pending()
    assert problems == []
    assert (back.kind, back.mode, back.source_key, back.fields, back.ladder,
            back.expected_entry) == ("orders", "edit", "TSR-1", draft.fields, "90, 6", 7)
    drafts.remove(draft.draft_id)
    assert drafts.pending() == ([], [])
    assert not list(path.parent.iterdir())  # no temporary file left beside it


def test_an_unreadable_draft_is_reported_and_left_in_place(tmp_path: Path) -> None:
    drafts = Drafts(tmp_path, user="pat")
    drafts.folder.mkdir(parents=True)
    bad = drafts.folder / ("0" * 32 + ".draft.json")
    bad.write_text("{ torn", encoding="utf-8")
    found, problems = drafts.pending()
    assert found == [] and len(problems) == 1
    assert str(bad) in problems[0] and "left where it is" in problems[0]
    assert bad.exists()


def test_each_os_user_has_a_folder_of_their_own(tmp_path: Path) -> None:
    assert user_folder_name("DOMAIN\\pat.smith") == "DOMAIN_pat.smith"
    assert user_folder_name("../..") == "unknown"
    assert Drafts(tmp_path, "a").folder != Drafts(tmp_path, "b").folder


def test_a_draft_that_cannot_be_written_says_where(tmp_path: Path) -> None:
    (tmp_path / "drafts").write_text("a file where the folder should be", encoding="utf-8")
    with pytest.raises(DraftError, match="could not keep a draft in"):
        Drafts(tmp_path, "pat").save(Draft("orders", "new", None, {}))


def test_drafts_are_described_as_a_person_would_say_it() -> None:
    assert describe(Draft("orders", "edit", "TSR-1", {}), "order") == "order TSR-1"
    assert describe(Draft("orders", "duplicate", "TSR-1", {}), "order") == \
        "a copy of order TSR-1"
    assert describe(Draft("orders", "new", None, {}), "order", "TSR-9") == "a new order TSR-9"
    assert describe(Draft("orders", "new", None, {}), "order", "") == "a new order"


# --- the editor -----------------------------------------------------------------------------

@pytest.fixture
def window(open_window: Any) -> MainWindow:
    win: MainWindow = open_window(20)
    return win


def draft_files(win: MainWindow) -> list[Path]:
    return sorted(Drafts(win.session.root).folder.glob("*.draft.json"))


def test_typing_is_kept_as_a_draft_and_removed_on_save(qtbot: Any, window: MainWindow) -> None:
    editor: RecordEditor = window.edit_record("orders", PLAIN_ORDER)
    assert draft_files(window) == []  # opening writes nothing
    with qtbot.waitSignal(editor.draft_written, timeout=5000) as written:
        editor.inputs["description"].set_raw("Changed, not yet saved")
    path = Path(written.args[0])
    assert draft_files(window) == [path]
    kept = json.loads(path.read_text(encoding="utf-8"))
    assert kept["fields"]["description"] == "Changed, not yet saved"
    assert (kept["mode"], kept["source_key"]) == ("edit", PLAIN_ORDER)
    with qtbot.waitSignal(window.session.changed, timeout=10000):
        editor.save_button.click()
    assert draft_files(window) == []


def test_closing_a_changed_form_asks_and_keep_editing_keeps_it(
        qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([editor_mod.KEEP, editor_mod.DISCARD])
    asked: list[str] = []

    def ask(editor: RecordEditor) -> str:
        asked.append(editor.windowTitle())
        return next(answers)

    monkeypatch.setattr(editor_mod, "ask_unsaved", ask)
    editor: RecordEditor = window.edit_record("orders", PLAIN_ORDER)
    qtbot.waitExposed(editor)
    with qtbot.waitSignal(editor.draft_written, timeout=5000):
        editor.inputs["description"].set_raw("Worth keeping")
    editor.cancel_button.click()  # Keep editing
    assert editor.isVisible() and asked == [f"Edit order {PLAIN_ORDER}"]
    assert len(draft_files(window)) == 1
    editor.reject()  # Escape, then Discard
    assert not editor.isVisible() and draft_files(window) == []


def test_an_unchanged_form_closes_without_asking(qtbot: Any, window: MainWindow,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(editor_mod, "ask_unsaved", lambda editor: pytest.fail("asked"))
    editor: RecordEditor = window.edit_record("orders", PLAIN_ORDER)
    editor.inputs["description"].set_raw("changed")
    editor.inputs["description"].set(
        window.session.reader.get(KINDS["orders"], PLAIN_ORDER)["description"])  # type: ignore[index]
    editor.cancel_button.click()
    assert not editor.isVisible()


def test_save_from_the_question_saves_and_closes(qtbot: Any, window: MainWindow,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(editor_mod, "ask_unsaved", lambda editor: editor_mod.SAVE)
    editor: RecordEditor = window.edit_record("orders", PLAIN_ORDER)
    qtbot.waitExposed(editor)
    editor.inputs["description"].set_raw("Saved on the way out")
    with qtbot.waitSignal(window.session.changed, timeout=10000):
        editor.reject()
    qtbot.waitUntil(lambda: not editor.isVisible(), timeout=5000)
    with Register.open(window.session.root) as reg:
        assert reg.get(KINDS["orders"], PLAIN_ORDER)["description"] == "Saved on the way out"  # type: ignore[index]
    assert draft_files(window) == []


def test_closing_the_window_asks_about_an_open_changed_editor(
        qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(editor_mod, "ask_unsaved", lambda editor: editor_mod.KEEP)
    editor: RecordEditor = window.edit_record("orders", PLAIN_ORDER)
    qtbot.waitExposed(editor)
    editor.inputs["description"].set_raw("Do not lose me")
    assert not window.close()  # Keep editing: the window stays open
    assert window.isVisible() and editor.isVisible()
    monkeypatch.setattr(editor_mod, "ask_unsaved", lambda editor: editor_mod.DISCARD)


@pytest.fixture
def real_question(window: MainWindow) -> Iterator[None]:
    """The editor's real question box (conftest answers Discard for the other tests); the
    window's closing at the end of the test is answered Discard again."""
    editor_mod.ask_unsaved = REAL_QUESTION
    yield
    editor_mod.ask_unsaved = lambda editor: editor_mod.DISCARD


def _answer(qtbot: Any, button: str) -> list[str]:
    """Answer the next question box by clicking its button, as a person does; what it
    asked (its text, then its buttons' texts)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    asked: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):  # not up yet
            QTimer.singleShot(10, answer)
            return
        asked.append(box.text())
        asked.extend(sorted(b.text() for b in box.buttons()))
        chosen = next((b for b in box.buttons() if b.text() == button), None)
        if chosen is None:  # no such answer: say so rather than wait for ever
            asked.append(f"no button {button!r}")
            box.reject()
            return
        qtbot.mouseClick(chosen, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, answer)
    return asked


QUESTION = [f"Edit order {PLAIN_ORDER}: save your changes before closing?",
            "&Discard changes", "&Keep editing", "&Save"]


def test_escape_cancel_and_closing_ask_in_the_real_box_and_save_then_closes_the_window(
        qtbot: Any, window: MainWindow, real_question: None) -> None:
    """Issue 16 item 2, driven by the keyboard through the real question: Escape, Cancel and
    closing the window each ask Save / Discard changes / Keep editing; Save from the window's
    close saves the form and then closes the window."""
    window.activateWindow()
    editor: RecordEditor = window.edit_record("orders", PLAIN_ORDER)
    qtbot.waitExposed(editor)
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    qtbot.keyClicks(editor.inputs["description"].focus, " and more")
    asked = _answer(qtbot, "&Keep editing")
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert asked == QUESTION and editor.isVisible()
    asked = _answer(qtbot, "&Keep editing")
    qtbot.mouseClick(editor.cancel_button, Qt.MouseButton.LeftButton)
    assert asked == QUESTION and editor.isVisible()
    asked = _answer(qtbot, "&Save")  # closing the window: Save
    with qtbot.waitSignal(window.session.changed, timeout=10000):
        window.close()
    assert asked == QUESTION
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10000)  # saved, then closed
    assert not editor.isVisible()
    with Register.open(window.session.root) as reg:
        assert "and more" in reg.get(KINDS["orders"], PLAIN_ORDER)["description"]  # type: ignore[index,operator]


def test_discard_in_the_real_box_closes_the_form_and_keeps_nothing(
        qtbot: Any, window: MainWindow, real_question: None) -> None:
    editor: RecordEditor = window.edit_record("orders", PLAIN_ORDER)
    qtbot.waitExposed(editor)
    before = window.session.reader.get(KINDS["orders"], PLAIN_ORDER)
    with qtbot.waitSignal(editor.draft_written, timeout=5000):
        editor.inputs["description"].set_raw("Throw this away")
    asked = _answer(qtbot, "&Discard changes")
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert asked == QUESTION
    assert not editor.isVisible() and draft_files(window) == []
    assert window.session.reader.get(KINDS["orders"], PLAIN_ORDER) == before


# --- after an abnormal end --------------------------------------------------------------

def test_a_killed_app_offers_the_typing_back_at_the_next_start(qtbot: Any,
                                                               tmp_path: Path) -> None:
    root = tmp_path / "reg"
    demo.create_demo(root, orders=10).close()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": os.pathsep.join([str(HERE.parents[1]), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen([sys.executable, str(HERE.parent / "drafts_child.py"), str(root)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()  # blocks until the draft is on disk (or the child ends)
        assert line.startswith("DRAFT "), (line, child.stderr.read() if child.stderr else "")
    finally:
        child.send_signal(signal.SIGKILL)  # no clean-up of any kind
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    draft_path = Path(line.split(" ", 1)[1].strip())
    assert draft_path.is_file()

    asked: list[tuple[str, str]] = []

    def ask(parent: Any, title: str, text: str, options: Any) -> str:
        asked.append((title, text))
        return controller_mod.RESTORE_DRAFT

    ctl = controller_mod.Controller(root, settings=Settings(tmp_path / "s.ini"), ask=ask)
    try:
        assert ctl.open(root)
        assert ctl.window is not None
        qtbot.waitUntil(lambda: asked != [], timeout=10000)
        title, text = asked[0]
        assert title == "Unsaved changes"
        assert text.startswith("You were editing a new order TSR-2026-99999 when CALNET Desk "
                               "closed")
        editor = ctl.window.editor
        assert isinstance(editor, RecordEditor) and editor.mode == "new"
        raw = editor.raw_state()
        assert raw["request_number"] == "TSR-2026-99999"
        assert raw["description"] == "Typed before the crash"
        assert raw["monthly_cost"] == "123.45"
        # nothing typed is lost: the restored form finishes and saves like any other
        for name, value in (("contractor", "AT&T"), ("request_date", "2026-11-02"),
                            ("order_type", "new")):
            if not raw.get(name):
                editor.inputs[name].set_raw(value)
        assert editor.validate(), editor.problems()
        with qtbot.waitSignal(ctl.window.session.changed, timeout=10000):
            editor.save_button.click()
        assert not draft_path.exists()
        with Register.open(root) as reg:
            saved = reg.get(KINDS["orders"], "TSR-2026-99999")
        assert saved is not None and saved["description"] == "Typed before the crash"
    finally:
        if ctl.window:
            ctl.window.close()


def test_discarding_an_offered_draft_removes_it_and_later_keeps_it(qtbot: Any,
                                                                   tmp_path: Path) -> None:
    root = tmp_path / "reg"
    demo.create_demo(root, orders=5).close()
    drafts = Drafts(root)
    first = Draft("orders", "edit", PLAIN_ORDER, {"description": "one"})
    second = Draft("orders", "new", None, {"request_number": "NEW-1"})
    drafts.save(first)
    drafts.save(second)
    answers = iter([controller_mod.DISCARD_DRAFT, controller_mod.LATER])
    asked: list[str] = []

    def ask(parent: Any, title: str, text: str, options: Any) -> str:
        asked.append(text)
        return next(answers)

    ctl = controller_mod.Controller(root, settings=Settings(tmp_path / "s.ini"), ask=ask)
    try:
        assert ctl.open(root)
        qtbot.waitUntil(lambda: len(asked) == 2, timeout=10000)
        remaining, _ = drafts.pending()
        assert len(remaining) == 1  # the one put off for later is still there
        assert {d.draft_id for d in remaining} < {first.draft_id, second.draft_id}
    finally:
        if ctl.window:
            ctl.window.close()


def test_the_next_writer_sweeps_temporary_work_but_never_drafts(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    demo.create_demo(root, orders=3).close()
    path = Drafts(root, "pat").save(Draft("orders", "new", None, {"description": "mine"}))
    with Register.open(root, write=True):
        pass
    assert path.is_file()
    assert Drafts(root, "pat").pending()[0][0].fields == {"description": "mine"}
