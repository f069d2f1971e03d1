"""Where a register lives. Nothing here touches the disk until asked."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "CALNET Desk"
HOME_ENV = "CALNET_DESK_HOME"


def default_data_dir() -> Path:
    import platformdirs

    # appauthor=False: Windows would otherwise nest "CALNET Desk\\CALNET Desk".
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_data_dir(flag: str | os.PathLike[str] | None,
                     environ: Mapping[str, str] | None = None) -> Path:
    """The register folder: --data-dir first, then CALNET_DESK_HOME, then the default."""
    env = os.environ if environ is None else environ
    if flag:
        return Path(flag).expanduser()
    if env.get(HOME_ENV):
        return Path(env[HOME_ENV]).expanduser()
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
    def lock(self) -> Path:
        return self.root / "register.lock"

    @property
    def lock_info(self) -> Path:
        return self.root / "register.lock.json"

    def exists(self) -> bool:
        return self.database.is_file()
