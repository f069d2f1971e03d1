"""What export and verify change in the process, put back on every path: the switch interval
(the GIL handed over promptly to the hashing and documents' threads) and the paused
collector; a user never lengthens an interval another running user shortened, and a refused
interval leaves nothing behind."""

from __future__ import annotations

import datetime as dt
import gc
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import order_with_documents

from calnet_desk import progress
from calnet_desk.exchange.bundle import (
    BundleError,
    export_bundle,
    handover,
    parse_scope,
    verify,
    verify_bundle,
)
from calnet_desk.progress import Cancelled
from calnet_desk.store import Register
from calnet_desk.store.documents import document_path, store_bytes

AS_OF = dt.date(2026, 12, 1)
PROCESS_INTERVAL = 0.004  # not Python's default, so a value put back by chance shows


@pytest.fixture
def process_settings() -> Iterator[None]:
    before, collecting = sys.getswitchinterval(), gc.isenabled()
    sys.setswitchinterval(PROCESS_INTERVAL)
    gc.enable()
    try:
        yield
    finally:
        sys.setswitchinterval(before)
        (gc.enable if collecting else gc.disable)()


def settings_back() -> bool:
    return (sys.getswitchinterval() == pytest.approx(PROCESS_INTERVAL) and gc.isenabled()
            and not handover._users and not progress._collector_users)


@pytest.fixture
def documented(reg: Register) -> Register:
    return order_with_documents(reg, (bytes([i + 1]) * (50_000 + i) for i in range(3)))


def test_a_shorter_interval_of_a_running_user_is_kept_until_the_last_one_ends(
        process_settings: None) -> None:
    with handover.prompt_handover(0.0001):
        with handover.prompt_handover(0.0005):  # a verify while an export runs
            assert sys.getswitchinterval() == pytest.approx(0.0001, rel=0.02)
        assert sys.getswitchinterval() == pytest.approx(0.0001, rel=0.02)
    assert settings_back()


def test_a_refused_interval_leaves_nothing_behind(process_settings: None) -> None:
    with pytest.raises(ValueError), handover.prompt_handover(0.0):
        pass
    with handover.prompt_handover(0.0001):
        pass
    assert settings_back()


def test_the_collector_stays_off_when_it_was_off(process_settings: None) -> None:
    gc.disable()
    with progress.collector_paused(), progress.collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
    gc.enable()
    with pytest.raises(KeyError), progress.collector_paused():
        raise KeyError("an error inside")
    assert settings_back()


def test_the_collector_stays_off_until_the_last_of_overlapping_users_ends(
        process_settings: None) -> None:
    """An import on one thread and a verify on another: the first to end turned the
    collector back on under the other."""
    first, second = progress.collector_paused(), progress.collector_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert settings_back()


def test_export_puts_the_interval_back_when_it_ends_well_fails_or_is_cancelled(
        documented: Register, tmp_path: Path, process_settings: None) -> None:
    seen: list[float] = []

    def progress(done: int, total: int) -> None:
        seen.append(sys.getswitchinterval())

    export_bundle(documented, tmp_path / "a.zip", parse_scope("all"), AS_OF, today=AS_OF,
                  progress=progress)
    assert seen and max(seen) < PROCESS_INTERVAL and settings_back()
    with pytest.raises(Cancelled):
        export_bundle(documented, tmp_path / "b.zip", parse_scope("all"), AS_OF,
                      today=AS_OF, cancelled=lambda: True)
    assert settings_back()
    sha = store_bytes(documented.paths, b"\x01" * 50_000)[0]  # the first document's
    document_path(documented.paths, sha).write_bytes(b"damaged")
    with pytest.raises(BundleError):
        export_bundle(documented, tmp_path / "c.zip", parse_scope("all"), AS_OF, today=AS_OF)
    assert settings_back()


def test_verify_puts_the_interval_and_the_collector_back_after_an_error(
        documented: Register, tmp_path: Path, process_settings: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    export_bundle(documented, tmp_path / "a.zip", parse_scope("all"), AS_OF, today=AS_OF)
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        zf.extractall(tmp_path / "bag")
    bag = tmp_path / "bag" / f"calnet-bundle-{AS_OF.isoformat()}"  # hashed by verify itself
    assert verify_bundle(tmp_path / "a.zip") == [] and verify_bundle(bag) == []
    assert settings_back()

    def unreadable(path: Path) -> str:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(verify, "_sha256", unreadable)
    with pytest.raises(PermissionError):
        verify_bundle(bag)
    assert settings_back()

    def failing_checks(*args: object) -> list[str]:
        assert not gc.isenabled() and sys.getswitchinterval() < PROCESS_INTERVAL
        raise MemoryError

    monkeypatch.undo()
    monkeypatch.setattr(verify, "_verify_contents", failing_checks)
    with pytest.raises(MemoryError):
        verify_bundle(bag)
    assert settings_back()
