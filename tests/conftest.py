from __future__ import annotations

import datetime as dt
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from calnet_desk import cli  # noqa: E402
from calnet_desk.store import Register  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data folder; nothing touches the real user data dir."""
    home = tmp_path / "home"
    monkeypatch.setenv("CALNET_DESK_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def screen_fit_taken_off() -> Iterator[None]:
    """The app's main window installs ui.screen's event filter once its first page is shown
    and keeps it for good; a test's window must not leave it on for the tests after it
    (those that want it install it themselves, as tests/screen_fit_check.py does)."""
    yield
    screen = sys.modules.get("ui.screen")
    if screen is not None:
        screen.uninstall()


@pytest.fixture(autouse=True)
def changed_editors_discarded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed editor closed by a test would ask Save / Discard / Keep editing in a modal
    box that nobody answers headless: unless a test answers itself, the answer is Discard."""
    monkeypatch.setattr("ui.editors.record_editor.ask_unsaved", lambda editor: "discard")


def assert_follows_the_bagit_profile(zip_path: Path) -> None:
    """The bundle passes the stock BagIt profile validator (bagit_profile) against the
    profile the project publishes (calnet_desk/data/bagit-profile.json), given as local
    JSON: no network."""
    import tempfile
    import zipfile

    import bagit
    import bagit_profile

    from calnet_desk.exchange.bundle.layout import PROFILE_IDENTIFIER
    from calnet_desk.exchange.bundle.layout import bagit_profile as ours

    profile = bagit_profile.Profile(PROFILE_IDENTIFIER, profile=ours())
    assert profile.validate_serialization(str(zip_path))
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(zip_path) as zf:
        zf.extractall(tmp)
        (root,) = Path(tmp).iterdir()
        assert profile.validate(bagit.Bag(str(root))), f"{zip_path.name}: {profile.report}"


@pytest.fixture(autouse=True)
def bundles_follow_the_bagit_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every bundle a test makes through calnet_desk.exchange.bundle.export_bundle (the
    CLI, the window, the tests' own helpers) is checked against the BagIt profile."""
    from calnet_desk.exchange import bundle

    made = bundle.export_bundle

    def export_bundle(*args: Any, **kwargs: Any) -> Any:
        result = made(*args, **kwargs)
        assert_follows_the_bagit_profile(result.path)
        return result

    monkeypatch.setattr(bundle, "export_bundle", export_bundle)


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"Run(code={self.code}, out={self.out!r}, err={self.err!r})"


@pytest.fixture
def run_cli() -> object:
    def run(*argv: str) -> Run:
        out, err = io.StringIO(), io.StringIO()
        code = cli.main(list(argv), out=out, err=err)
        return Run(code, out.getvalue(), err.getvalue())

    return run


class FixedClock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2026, 11, 21, 18, 30, tzinfo=dt.UTC))


@pytest.fixture
def reg(tmp_path: Path, clock: FixedClock) -> Iterator[Register]:
    r = Register.create(tmp_path / "reg", agency="Department of Testing",
                        agency_class="non-exempt-state", clock=clock)
    yield r
    r.close()


@pytest.fixture
def open_window(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    """A factory: a MainWindow on a new demo register (its writer ready, the window shown),
    optionally with the dashboard's deadlines and findings computed; closed after the test."""
    from calnet_desk import demo
    from ui.main_window import MainWindow
    from ui.session import Session
    from ui.settings import Settings

    made: list[Any] = []

    def open_(orders: int = 60, *, folder: str = "copy", record_opened: bool = False,
              overview: bool = False, agency_class: str = demo.DEMO_CLASS) -> Any:
        root = tmp_path / folder
        demo.create_demo(root, orders=orders, agency_class=agency_class).close()
        session = Session(root, today=lambda: demo.AS_OF)
        opened: list[Path] = []
        win = MainWindow(session, Settings(tmp_path / "settings.ini"),
                         open_file=opened.append if record_opened else (lambda p: None))
        if record_opened:
            win.opened_files = opened
        qtbot.addWidget(win)
        with qtbot.waitSignal(session.writer_ready, timeout=10000):
            pass
        win.show()
        if overview:
            session.refresh_overview()
            qtbot.waitUntil(lambda: win.dashboard.findings_ready, timeout=30000)
        made.append(win)
        return win

    yield open_
    for win in made:
        win.close()
