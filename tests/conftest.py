from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Iterator
from pathlib import Path

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
