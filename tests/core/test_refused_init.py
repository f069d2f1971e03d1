"""A refused ``init`` leaves the folder as it found it: it left the lock, the heads file and
a temp folder behind, so the folder looked like a register that would not open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from calnet_desk.store import RecordError, Register, RegisterExists


def test_a_refused_init_leaves_no_folder_behind(tmp_path: Path, run_cli: Any) -> None:
    root = tmp_path / "new"
    r = run_cli("--data-dir", str(root), "init", "--agency", "Bad\x1bName",
                "--agency-class", "non-exempt-state")
    assert r.code == 1 and "control character" in r.err, r
    assert not root.exists()
    r = run_cli("--data-dir", str(root), "init", "--agency", "Good Name",
                "--agency-class", "non-exempt-state")
    assert r.code == 0, r


def test_a_refused_init_in_a_folder_keeps_what_was_there(tmp_path: Path,
                                                         run_cli: Any) -> None:
    root = tmp_path / "mine"
    root.mkdir()
    (root / "notes.txt").write_text("mine", encoding="utf-8")
    r = run_cli("--data-dir", str(root), "init", "--agency", "Bad\x1bName",
                "--agency-class", "non-exempt-state")
    assert r.code == 1, r
    assert sorted(p.name for p in root.iterdir()) == ["notes.txt"]


def test_a_register_made_meanwhile_is_never_taken_back(tmp_path: Path) -> None:
    """Another create made the register between this one's first look and its lock (its
    heads file, lock and temp folder were not there at that first look, but are not this
    one's): this one is refused under the lock and leaves that register whole."""
    from calnet_desk.store.lock import default_locker

    root = tmp_path / "reg"

    class OtherCreateFirst:
        """Takes the lock only once another create has made the register."""

        def __init__(self) -> None:
            self.real = default_locker()

        def try_lock(self, fd: int) -> bool:
            Register.create(root, agency="First", agency_class="non-exempt-state").close()
            return self.real.try_lock(fd)

        def unlock(self, fd: int) -> None:
            self.real.unlock(fd)

    with pytest.raises(RegisterExists):
        Register.create(root, agency="Second", agency_class="non-exempt-state",
                        locker=OtherCreateFirst())
    assert {"register.sqlite3", "register.heads", "register.lock"} <= {
        p.name for p in root.iterdir()}
    with Register.open(root) as reg:
        assert reg.agency()["name"] == "First"


def test_what_a_refused_create_made_is_taken_back_before_its_lock_is_let_go(
        tmp_path: Path) -> None:
    """Taken back after the lock was let go, another create could have begun in the gap,
    and its half-made register would have been deleted with ours."""
    from calnet_desk.store.lock import default_locker

    root = tmp_path / "reg"
    left_at_unlock: list[list[str]] = []

    class Watching:
        def __init__(self) -> None:
            self.real = default_locker()

        def try_lock(self, fd: int) -> bool:
            return self.real.try_lock(fd)

        def unlock(self, fd: int) -> None:
            left_at_unlock.append(sorted(p.name for p in root.iterdir()))
            self.real.unlock(fd)

    with pytest.raises(RecordError):
        Register.create(root, agency="Bad\x1bName", agency_class="non-exempt-state",
                        locker=Watching())
    assert left_at_unlock == [[]]  # the lock file too: unlinked while still held
    assert not root.exists()


def test_a_lock_file_the_system_will_not_delete_while_open_goes_once_let_go(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows deletes no file that is open, and the lock file is open until the lock is
    let go: it is deleted then (the tries while it is held refused, as Windows refuses them)."""
    root = tmp_path / "reg"
    real_unlink = Path.unlink
    refused: list[Path] = []

    def like_windows(self: Path, missing_ok: bool = False) -> None:
        if self.name == "register.lock" and len(refused) < 2:  # the retry refused too
            refused.append(self)
            raise PermissionError(13, "The process cannot access the file", str(self))
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", like_windows)
    with pytest.raises(RecordError):
        Register.create(root, agency="Bad\x1bName", agency_class="non-exempt-state")
    assert refused and not root.exists()
