"""Where a register lives. Nothing here touches the disk until asked."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "CALNET Desk"
HOME_ENV = "CALNET_DESK_HOME"
# Portable mode: this file beside the frozen executable keeps the register beside it (the
# MSIs never install it: installer/make_wxs.py leaves it out).
PORTABLE_MARKERS = ("portable.txt",)
PORTABLE_FOLDER = "register"


def default_data_dir() -> Path:
    import platformdirs

    # appauthor=False: Windows would otherwise nest "CALNET Desk\\CALNET Desk".
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def portable_data_dir(executable: str | os.PathLike[str] | None = None,
                      frozen: bool | None = None) -> Path | None:
    """`<exe dir>/register` when a marker file sits beside the frozen executable, else None.

    Only a frozen build (PyInstaller sets sys.frozen) is portable: a Python in a venv is not.
    Both arguments default to the running program's; tests pass their own."""
    if frozen is None:
        frozen = bool(getattr(sys, "frozen", False))
    if not frozen:
        return None
    folder = Path(sys.executable if executable is None else executable).resolve().parent
    if any((folder / marker).is_file() for marker in PORTABLE_MARKERS):
        return folder / PORTABLE_FOLDER
    return None


def resolve_data_dir(flag: str | os.PathLike[str] | None,
                     environ: Mapping[str, str] | None = None, *,
                     executable: str | os.PathLike[str] | None = None,
                     frozen: bool | None = None) -> Path:
    """The register folder: --data-dir first, then CALNET_DESK_HOME, then the portable folder
    beside the executable (a marker file there), then the user data folder."""
    env = os.environ if environ is None else environ
    if flag:
        return Path(flag).expanduser()
    if env.get(HOME_ENV):
        return Path(env[HOME_ENV]).expanduser()
    portable = portable_data_dir(executable, frozen)
    if portable is not None:
        return portable
    return default_data_dir()


@dataclass(frozen=True)
class RegisterPaths:
    """The files of one register folder."""

    root: Path

    @property
    def database(self) -> Path:
        return self.root / "register.sqlite3"

    @property
    def documents(self) -> Path:
        return self.root / "documents"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def temp(self) -> Path:
        """Temporary work of the register, swept by the next writer (store/workspace.py)."""
        return self.root / "temp"

    @property
    def lock(self) -> Path:
        return self.root / "register.lock"

    @property
    def lock_info(self) -> Path:
        return self.root / "register.lock.json"

    @property
    def drafts(self) -> Path:
        """Unsaved editor contents, one folder per OS user (calnet_desk.drafts). Not temporary
        work: nothing sweeps it; a draft goes only when it is saved or discarded."""
        return self.root / "drafts"

    def exists(self) -> bool:
        return self.database.is_file()
