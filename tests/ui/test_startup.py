"""Start-up (issue 16 item 15): the window first, SQLite's quick_check behind it; damage
found then is said at once, writing stops, and the way out is offered."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6 import QtWidgets
from PySide6.QtWidgets import QApplication

from calnet_desk import demo
from calnet_desk.store import register as register_mod
from calnet_desk.store.backups import make_backup
from ui import controller as controller_mod
from ui.settings import Settings


@contextmanager
def started(root: Path, tmp_path: Path, ask: Any = None) -> Iterator[Any]:
    """A controller for ``root`` with settings of its own (``ask``: how the questions are
    answered; Quit by default), its window closed after."""
    ctl = controller_mod.Controller(root, settings=Settings(tmp_path / "s.ini"),
                                    ask=ask or (lambda *a: controller_mod.QUIT))
    try:
        yield ctl
    finally:
        if ctl.window:
            ctl.window.close()


def damaged_register(root: Path) -> None:
    """A register whose schema reads fine but whose last pages (orders, their index and
    history) are scrambled: it opens, and only the integrity check finds the damage."""
    reg = demo.create_demo(root, orders=60)
    make_backup(reg, "manual")
    reg.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    reg.close()
    path = root / "register.sqlite3"
    data = bytearray(path.read_bytes())
    pages = len(data) // 4096
    for page in range(pages - 3, pages):
        for i in range(page * 4096 + 8, page * 4096 + 4096, 5):
            data[i] = (data[i] + 91) % 256
    path.write_bytes(bytes(data))


def test_the_window_shows_before_the_integrity_check_which_runs_off_the_gui_thread(
        qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "reg"
    demo.create_demo(root, orders=10).close()
    seen: list[tuple[bool, bool]] = []  # (on the GUI thread, a window was showing)
    real = register_mod.quick_check

    def watched(conn: Any) -> str | None:
        window = ctl.window  # (called while ctl.open runs: ctl is the controller)
        seen.append((threading.current_thread() is threading.main_thread(),
                     window is not None and window.isVisible()))
        return real(conn)

    monkeypatch.setattr(register_mod, "quick_check", watched)
    asked: list[str] = []
    with started(root, tmp_path, lambda *a: asked.append(a[2]) or controller_mod.QUIT) as ctl:
        assert ctl.open(root)
        qtbot.waitUntil(lambda: len(seen) == 1)
        assert seen == [(False, True)]  # once, in the background, behind the window
        qtbot.waitUntil(lambda: ctl.session.writer is not None)
        assert not ctl.session.read_only and asked == []
        assert ctl.window.mode.text() == ""


def test_damage_found_behind_the_window_switches_to_read_only_and_says_so(
        qtbot: Any, tmp_path: Path) -> None:
    root = tmp_path / "reg"
    damaged_register(root)
    asked: list[tuple[str, str, list[str]]] = []

    def ask(parent: Any, title: str, text: str, options: Any) -> str:
        asked.append((title, text, list(options)))
        return controller_mod.KEEP_READING

    with started(root, tmp_path, ask) as ctl:
        assert ctl.open(root)  # the window opens: the damage is not found yet
        window = ctl.window
        assert window is not None and window.isVisible()
        qtbot.waitUntil(lambda: bool(asked))
        title, text, options = asked[0]
        assert title == "The register is damaged"
        assert "integrity check found damage" in text and "read-only" in text
        assert "Nothing was deleted" in text and "newest good backup" in text
        assert options == [controller_mod.KEEP_READING, controller_mod.RESTORE,
                           controller_mod.OTHER, controller_mod.QUIT]
        assert ctl.session is not None and ctl.session.read_only
        assert ctl.session.writer is None  # nothing more is written, the lock is released
        assert window.mode.text() == "Read-only (damaged)"
        page = window.pages["people"]
        window.show_page("people")
        assert not page.new_button.isEnabled()
        assert window.isVisible()  # reading goes on


def test_the_way_out_restores_the_newest_good_backup_and_reopens(
        qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "reg"
    damaged_register(root)
    asked: list[str] = []

    def ask(parent: Any, title: str, text: str, options: Any) -> str:
        asked.append(title)
        return controller_mod.RESTORE

    infos: list[str] = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "information",
                        lambda *a: infos.append(a[1]))
    with started(root, tmp_path, ask) as ctl:
        assert ctl.open(root)
        first = ctl.window
        qtbot.waitUntil(lambda: ctl.window is not first and ctl.window is not None)
        assert infos == ["Restored"] and asked == ["The register is damaged"]
        assert not first.isVisible()
        window = ctl.window
        qtbot.waitUntil(lambda: ctl.session.writer is not None)
        window.show_page("orders")
        assert window.pages["orders"].model.total() == 60
        ctl.session.background.pool.waitForDone()  # the restored register's own check
        QApplication.processEvents()  # delivers its queued result: it must say nothing
        assert asked == ["The register is damaged"] and not ctl.session.read_only


def test_the_menus_commands_and_the_counts_come_once_the_first_page_is_painted(
        qtbot: Any, tmp_path: Path) -> None:
    """The app's start (first_paint_first): the menus' titles at once, their commands and
    the navigation's counts once the first page is painted; then the same commands and
    shortcuts as a window built all at once, and the shortcuts work."""
    from PySide6.QtCore import Qt

    from ui import screen
    from ui.main_window import MainWindow
    from ui.session import Session

    root = tmp_path / "reg"
    demo.create_demo(root, orders=20).close()
    plain = MainWindow(Session(root, read_only=True), Settings(tmp_path / "a.ini"))
    qtbot.addWidget(plain)
    session = Session(root, read_only=True, check=False)
    session.refresh_overview(hold_findings=True)
    win = MainWindow(session, Settings(tmp_path / "b.ini"), first_paint_first=True)
    qtbot.addWidget(win)

    def commands(window: MainWindow) -> list[tuple[str, str]]:
        return [(a.text(), a.shortcut().toString()) for m in window.menuBar().actions()
                for a in m.menu().actions()]

    titles = [a.text() for a in win.menuBar().actions()]
    assert titles == [a.text() for a in plain.menuBar().actions()] == [
        "&File", "&Edit", "&Go", "&Tools", "&Help"]
    assert commands(win) == [] and win.nav.item(1).text() == "Orders (STD. 20)"
    with qtbot.waitSignal(win.dashboard.shown, timeout=10000):
        screen.show_main_window(win, win.dashboard.shown)
    qtbot.waitUntil(lambda: win.nav.item(1).text() == "Orders (STD. 20) · 20")
    assert len(commands(win)) > 30 and commands(win) == commands(plain)
    assert session.overview is not None and session.overview.findings is None  # held
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)
    qtbot.keyClick(win, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert win.stack.currentWidget() is win.pages["orders"]


def test_a_menu_opened_before_the_first_page_is_painted_has_its_commands(
        qtbot: Any, tmp_path: Path) -> None:
    from ui.main_window import MainWindow
    from ui.session import Session

    root = tmp_path / "reg"
    demo.create_demo(root, orders=5).close()
    win = MainWindow(Session(root, read_only=True, check=False), Settings(tmp_path / "s.ini"),
                     first_paint_first=True)
    qtbot.addWidget(win)
    edit = win.menuBar().actions()[1].menu()
    assert edit.actions() == []
    edit.aboutToShow.emit()  # as Alt+E does before the menu opens
    assert "&New record…" in [a.text() for a in edit.actions()]
    edit.aboutToShow.emit()  # once only
    assert [a.text() for a in edit.actions()].count("&New record…") == 1


def test_the_deadlines_are_computed_before_the_window_is_built_and_its_first_paint_has_them(
        qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first page's deadlines are computed on the session's own connection before the
    window is built (it waits for them anyway): no second connection and thread, and no GIL
    shared with the window's build (issue 16 item 15). The window is built with them, so its
    first paint has the rows, never an empty table first."""
    from ui import session as session_mod

    root = tmp_path / "reg"
    demo.create_demo(root, orders=10).close()
    order: list[tuple[str, bool]] = []  # (what, on the GUI thread)
    real_deadlines, real_window = session_mod.compute_deadlines, controller_mod.MainWindow

    def deadlines(reg: Any, today: Any) -> Any:
        found = real_deadlines(reg, today)
        order.append(("deadlines computed", threading.current_thread() is threading.main_thread()))
        return found

    def window(*args: Any, **kwargs: Any) -> Any:
        order.append(("window built", True))
        made = real_window(*args, **kwargs)
        made.dashboard.deadlines.painted.connect(
            lambda: paints.append(made.dashboard.ready))
        return made

    paints: list[bool] = []  # at each paint of the deadlines table: were the rows in?
    monkeypatch.setattr(session_mod, "compute_deadlines", deadlines)
    monkeypatch.setattr(controller_mod, "MainWindow", window)
    with started(root, tmp_path) as ctl:
        with qtbot.waitSignal(ctl.first_page_shown, timeout=10000):
            assert ctl.open(root)
        assert order == [("deadlines computed", True), ("window built", True)]
        assert paints and all(paints)  # never painted empty


def test_deadlines_slower_than_the_window_waits_are_left_to_the_background(
        qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite still at the first page's deadlines when the window's wait is over: it is
    interrupted, the window is built and shown, and the deadlines come from the background
    reader (the first page is shown with them)."""
    import sqlite3

    from ui import session as session_mod

    root = tmp_path / "reg"
    demo.create_demo(root, orders=10).close()
    real_deadlines = session_mod.compute_deadlines
    interrupted: list[str] = []
    shown_without: list[bool] = []

    def slow_here(reg: Any, today: Any) -> Any:
        if threading.current_thread() is threading.main_thread():
            try:  # seconds of SQLite, unless interrupted
                reg.conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                                 "WHERE i < 100000000) SELECT count(*) FROM n").fetchone()
            except sqlite3.OperationalError as e:
                interrupted.append(str(e))
                raise
        return real_deadlines(reg, today)

    monkeypatch.setattr(session_mod, "compute_deadlines", slow_here)
    monkeypatch.setattr(controller_mod, "FIRST_DEADLINES_WAIT_MS", 50)
    with started(root, tmp_path) as ctl:
        with qtbot.waitSignal(ctl.first_page_shown, timeout=10000):
            assert ctl.open(root)
            shown_without.append(ctl.window is not None and ctl.window.isVisible())
        assert interrupted == ["interrupted"] and shown_without == [True]
        assert ctl.window is not None and ctl.window.dashboard.ready


def test_the_window_does_not_wait_long_for_the_deadlines(
        qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import session as session_mod

    root = tmp_path / "reg"
    demo.create_demo(root, orders=10).close()
    go_on = threading.Event()
    real_deadlines = session_mod.compute_deadlines

    def slow(reg: Any, today: Any) -> Any:
        assert go_on.wait(30)
        return real_deadlines(reg, today)

    monkeypatch.setattr(session_mod, "compute_deadlines", slow)
    monkeypatch.setattr(controller_mod, "FIRST_DEADLINES_WAIT_MS", 0)
    with started(root, tmp_path) as ctl:
        try:
            assert ctl.open(root)
            assert ctl.window is not None and ctl.window.isVisible()  # shown, deadlines or not
            assert not ctl.window.dashboard.ready
            with qtbot.waitSignal(ctl.first_page_shown, timeout=10000):
                go_on.set()
        finally:
            go_on.set()


def test_the_start_imports_the_core_before_pyside6(tmp_path: Path) -> None:
    """PySide6 reads the source of every module imported after it (its __feature__ hook):
    the start imports the core modules of its first page before it (ui.app.core_first)."""
    import subprocess
    import sys

    root = tmp_path / "reg"
    demo.create_demo(root, orders=5).close()
    script = (
        "import sys\n"
        "from ui import app\n"
        "seen = []\n"
        "class Watch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        seen.append(name)\n"
        "sys.meta_path.insert(0, Watch())\n"
        f"code = app.main(['--data-dir', {str(root)!r}, '--smoke-test'])\n"
        "print(code, seen.index('PySide6') > seen.index('calnet_desk.policy.deadlines'),"
        " 'PySide6' not in seen[:seen.index('calnet_desk.store.register')])\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                       text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "0 True True"


# PySide builds each Qt class's Python type, with its enums, the first time it is asked for;
# its `Qt` namespace alone is ~95 enum types (~21 ms measured alone), which neither start needs
# before its first page, nor QIcon's (~2 ms: a QPushButton made with its text tries the overload
# taking an icon first), nor the menus' QAction or a tool button's (findChildren wraps every
# child it looks at). The script lists the enum types built up to the line
# benchmarks/gui.py times a start to (ui.app.first_page_shown).
NOT_BEFORE_THE_FIRST_PAGE = ("Qt.", "QIcon.", "QAction.", "QToolButton.")
ENUMS_BEFORE_THE_FIRST_PAGE = """
import enum, sys
made = []
create = enum.EnumType._create_
def watched(cls, *args, **kwargs):
    made.append(result := create(cls, *args, **kwargs))
    return result
enum.EnumType._create_ = watched
from ui import app
shown = app.first_page_shown
def counted():
    shown()
    print("built:", sorted({e.__qualname__.split(".")[0] + "." for e in made}))
app.first_page_shown = counted
sys.exit(app.main(sys.argv[1:]))
"""


@pytest.mark.parametrize("start", ["--quit-after-first-page", "--smoke-test"])
def test_neither_start_builds_qt_types_its_first_page_does_not_need(
        start: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    root = tmp_path / "reg"
    demo.create_demo(root, orders=30).close()
    home = {name: str(tmp_path / name.lower()) for name in
            ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")}
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **home}
    r = subprocess.run([sys.executable, "-c", ENUMS_BEFORE_THE_FIRST_PAGE, "--data-dir",
                        str(root), start], env=env, capture_output=True, text=True,
                       timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    built = r.stdout.splitlines()[-1]
    assert built.startswith("built: ['Q")  # the Qt classes the first page does use
    assert [c for c in NOT_BEFORE_THE_FIRST_PAGE if repr(c) in built] == []


def test_pysides_import_hook_asks_the_same_question_without_reading_source_by_inspect(
        tmp_path: Path) -> None:
    """PySide6 asks of every module imported after it whether its source says "PySide6"
    (shibokensupport.feature); the start asks that of the file's bytes
    (ui.app.plain_feature_check), with the same answers, and no module's source file is read
    by inspect.getsource on the way to the first page (the built-in and compiled modules it
    has no source for are still asked PySide's way: inspect fails on them at once)."""
    import subprocess
    import sys

    root = tmp_path / "reg"
    demo.create_demo(root, orders=5).close()
    script = (
        "import inspect, sys\n"
        "read = []\n"
        "getsource = inspect.getsource\n"
        "inspect.getsource = lambda o: (str(getattr(o, '__file__', '')).endswith('.py')\n"
        "                               and read.append(o.__name__)) or getsource(o)\n"
        "from ui import app\n"
        "shown, plain = app.first_page_shown, app.plain_feature_check\n"
        "app.first_page_shown = lambda: (shown(), print('read by inspect:', read))\n"
        "app.plain_feature_check = lambda: (plain(), read.clear())  # not PySide's own import\n"
        f"code = app.main(['--data-dir', {str(root)!r}, '--smoke-test'])\n"
        "inspect.getsource = getsource\n"
        "import _sqlite3, json, calnet_desk.store, ui.main_window\n"
        "from shibokensupport import feature\n"
        "ours = getattr(feature._mod_uses_pyside, 'reads_bytes', False)\n"
        "asked = feature._mod_uses_pyside.__closure__[0].cell_contents if ours else None\n"
        "modules = (sys, _sqlite3, json, calnet_desk.store, ui.main_window, app)\n"
        "answers = [feature._mod_uses_pyside(m) for m in modules]\n"
        "print(code, answers, bool(asked) and answers == [asked(m) for m in modules])\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                       text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-2:] == [
        "read by inspect: []", "0 [False, False, False, False, True, True] True"]


def test_the_real_start_loads_no_hashing_before_its_first_page(tmp_path: Path) -> None:
    """The history's hashing (OpenSSL's _hashlib, ~2.5 ms) is loaded when first used, after
    the first page (the first write, the findings' documents); the chain is sealed as before
    (the store's tests), and the register the start opened for writing still verifies."""
    import subprocess
    import sys

    from calnet_desk.store import Register
    from calnet_desk.store.verify import verify

    root = tmp_path / "reg"
    demo.create_demo(root, orders=30).close()
    home = {name: str(tmp_path / name.lower()) for name in
            ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")}
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **home}
    script = ("import sys\n"
              "from ui import app\n"
              "shown = app.first_page_shown\n"
              "app.first_page_shown = lambda: (shown(), print('hashlib' in sys.modules))\n"
              "sys.exit(app.main(sys.argv[1:]))\n")
    r = subprocess.run([sys.executable, "-c", script, "--data-dir", str(root),
                        "--quit-after-first-page"], env=env, capture_output=True, text=True,
                       timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "False"
    with Register.open(root) as reg:
        assert verify(reg)[0] == []


# Modules the real start does not import before its first page (issue 16 item 15), each
# with what it cost and what took its place: locale, which argparse's parser imported
# through gettext (~2.5 ms with building the parser; ui.app.plain_arguments reads the
# arguments spelled out in full; PySide6 imports argparse itself), calendar (which imports
# locale too; deadlines.days_in_month), socket with selectors, select and array (~2 ms;
# store.lock.host_name reads uname), queue with heapq (~1.5 ms; a bulk write's), the
# register pages' queries (calnet_desk.store.browse, ~1 ms; their models import them), the
# search module (with its dataclass; opening a register asks schema whether SQLite has
# FTS5), decimal (its C module and numbers, ~1 ms; imported where money is converted), the
# -wal's module (a writer's open runs its one checkpoint itself), the backups' (a writer's
# open sweeps a killed backup's leftovers with calnet_desk.store.workspace).
NOT_IMPORTED_BEFORE_THE_FIRST_PAGE = ("locale", "calendar", "socket", "selectors", "queue",
                                      "heapq", "calnet_desk.store.browse",
                                      "calnet_desk.store.search", "decimal",
                                      "calnet_desk.store.wal", "calnet_desk.store.backups")
MODULES_AT_THE_FIRST_PAGE = """
import sys
from ui import app
shown = app.first_page_shown
def listed():
    shown()
    print("modules:", sorted(sys.modules))
app.first_page_shown = listed
sys.exit(app.main(sys.argv[1:]))
"""


def start_and_list(script: str, root: Path, home: Path, *args: str) -> str:
    """The desktop started on ``root`` by ``script`` (which wraps ui.app.main); the last
    line it printed."""
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           **{name: str(home / name.lower()) for name in
              ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")}}
    r = subprocess.run([sys.executable, "-c", script, "--data-dir", str(root), *args],
                       env=env, capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()[-1]


@pytest.mark.parametrize("start", ["--quit-after-first-page", "--smoke-test"])
def test_modules_the_first_page_does_not_need_are_not_imported_before_it(
        start: str, tmp_path: Path) -> None:
    import ast

    root = tmp_path / "reg"
    demo.create_demo(root, orders=30).close()
    line = start_and_list(MODULES_AT_THE_FIRST_PAGE, root, tmp_path, start)
    assert line.startswith("modules: ")
    modules = ast.literal_eval(line.removeprefix("modules: "))
    assert "calnet_desk.policy.deadlines" in modules and "ui.main_window" in modules
    assert [m for m in NOT_IMPORTED_BEFORE_THE_FIRST_PAGE if m in modules] == []


# dataclass() compiles each class's methods when its module is imported (~0.6 ms a class):
# the ones the first page needs (the register's paths and kinds, its location and lock, the
# tracked tables, the rules and the deadlines, the window's ticket and overview), none other
# (an import's undo, the register pages' query, the search's hit, a backup and the -wal's
# checkpoint result were made there too).
DATACLASSES_BEFORE_THE_FIRST_PAGE = {
    "calnet_desk.paths.RegisterPaths", "calnet_desk.records.Field", "calnet_desk.records.Kind",
    "calnet_desk.store.location.Location",
    "calnet_desk.store.tracked.TrackedTable", "calnet_desk.policy.rules.Rule",
    "calnet_desk.policy.rules.RuleSet", "calnet_desk.policy.deadlines.DeadlineKind",
    "calnet_desk.policy.deadlines.Deadline", "calnet_desk.policy.deadlines.RawDeadline",
    "ui.worker.Ticket", "ui.session.Overview"}
DATACLASSES_AT_THE_FIRST_PAGE = """
import dataclasses, sys
made = []
process = dataclasses._process_class
def watched(cls, *args, **kwargs):
    made.append(f"{cls.__module__}.{cls.__qualname__}")
    return process(cls, *args, **kwargs)
dataclasses._process_class = watched
from ui import app
shown = app.first_page_shown
def listed():
    shown()
    print("dataclasses:", sorted(made), "temporary folder looked for:",
          getattr(sys.modules.get("tempfile"), "tempdir", None) is not None)
app.first_page_shown = listed
sys.exit(app.main(sys.argv[1:]))
"""


def test_the_real_start_makes_only_the_dataclasses_and_folders_its_first_page_needs(
        tmp_path: Path) -> None:
    """No dataclass is made before the first page that it does not need, and the window's
    folder for the copies it opens in a viewer is made when first used (finding the
    system's temporary folder writes a file there, ~2 ms of the start)."""
    import ast

    root = tmp_path / "reg"
    demo.create_demo(root, orders=30).close()
    line = start_and_list(DATACLASSES_AT_THE_FIRST_PAGE, root, tmp_path,
                          "--quit-after-first-page")
    made, looked = line.removeprefix("dataclasses: ").split(" temporary folder looked for: ")
    assert set(ast.literal_eval(made)) == DATACLASSES_BEFORE_THE_FIRST_PAGE
    assert looked == "False"


ARGUMENT_WORDS = ["--data-dir", "--data-dir=", "--data-dir=x", "--data-dir=-x", "x", "",
                  "a b", "-x", "-1", "-a b", "--", "--smoke-test", "--smoke-test=1",
                  "--quit-after-first-page", "--read-only", "--data", "--smoke", "--read",
                  "--quit", "--data-dir=--read-only", "--help", "-h", "--other"]


@given(argv=st.lists(st.sampled_from(ARGUMENT_WORDS), max_size=6))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_arguments_read_without_argparse_are_read_as_argparse_reads_them(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """ui.app.parse_args reads the arguments spelled out in full itself (no argparse on
    the way to the first page) and hands anything else to argparse: the same arguments,
    the same refusals and the same help, whatever the words."""
    from ui import app

    def outcome(parse: Any) -> object:
        try:
            return parse(argv)
        except SystemExit as e:
            return ("exit", e.code)

    assert outcome(app.parse_args) == outcome(app.parse_with_argparse)
    capsys.readouterr()


def test_the_common_starts_are_read_without_argparse() -> None:
    from ui import app

    for argv in (["--data-dir", "D"], ["--data-dir=D", "--read-only"], [],
                 ["--smoke-test", "--data-dir", "D"], ["--quit-after-first-page"]):
        assert app.plain_arguments(argv) == app.parse_with_argparse(argv)
    assert app.plain_arguments(["--data", "D"]) is None  # an abbreviation: argparse's
    assert app.plain_arguments(["--data-dir", "-D"]) is None  # a value like an option


MADE_BEFORE_THE_FIRST_PAGE = """
import sqlite3, sys
statements = []
connect = sqlite3.connect
def traced(*args, **kwargs):
    conn = connect(*args, **kwargs)
    conn.set_trace_callback(statements.append)
    return conn
sqlite3.connect = traced
from ui import app
shown = app.first_page_shown
def listed():
    shown()
    print("virtual tables made:", [s for s in statements if "VIRTUAL TABLE" in s.upper()])
app.first_page_shown = listed
sys.exit(app.main(sys.argv[1:]))
"""


def test_the_start_asks_sqlite_for_fts5_without_making_a_table(tmp_path: Path) -> None:
    """Opening a register checks that SQLite has FTS5: its compile options say so (making
    an FTS5 table in memory to find out was ~0.4 ms of every start); a SQLite that does not
    list it is still asked by making one (calnet_desk.store.schema.fts5_available)."""
    import sqlite3

    from calnet_desk.store import schema

    root = tmp_path / "reg"
    demo.create_demo(root, orders=5).close()
    line = start_and_list(MADE_BEFORE_THE_FIRST_PAGE, root, tmp_path, "--quit-after-first-page")
    assert line == "virtual tables made: []"
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
        made = True
    except sqlite3.OperationalError:
        made = False
    finally:
        conn.close()
    schema.fts5_available.cache_clear()
    assert schema.fts5_available() is made
