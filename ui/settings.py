"""The one settings object of the desktop app (an INI file in the user config folder)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

MAX_RECENT = 8


def default_settings_file() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("CALNET Desk", appauthor=False)) / "settings.ini"


class Settings:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_settings_file()
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    def recent_registers(self) -> list[Path]:
        value = self._qs.value("registers/recent", [])
        items = [value] if isinstance(value, str) else list(value or [])
        return [Path(p) for p in items if p]

    def add_recent(self, root: Path) -> None:
        items = [str(root)] + [str(p) for p in self.recent_registers() if p != root]
        self._qs.setValue("registers/recent", items[:MAX_RECENT])
        self._qs.sync()

    def value(self, key: str, default: object = None) -> object:
        return self._qs.value(key, default)

    def set_value(self, key: str, value: object) -> None:
        self._qs.setValue(key, value)
        self._qs.sync()
