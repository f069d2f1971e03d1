"""The one settings object of the desktop app (an INI file in the user config folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

MAX_RECENT = 8
DATE_DISPLAY_KEY = "display/dates"
EXPORT_FOLDER_KEY = "export/folder"
LAST_FOLDER_KEY = "dialogs/last_folder"


def default_settings_file() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("CALNET Desk", appauthor=False)) / "settings.ini"


class Settings:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_settings_file()
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    def recent_registers(self) -> list[Path]:
        value = self._qs.value("registers/recent", [])
        items = [value] if isinstance(value, str) else list(value) if isinstance(
            value, list | tuple) else []
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

    # --- what the Settings dialog sets (Edit > Settings…) ----------------------------------
    # The reminder ladder per record kind is not here: it changes the deadlines the core
    # computes, so it lives with the register (its rules.toml; see ui/settings_dialog.py).

    def date_display(self) -> str:
        """system | iso | us (see ui.formatting.DATE_DISPLAYS)."""
        value = self._qs.value(DATE_DISPLAY_KEY, "system")
        return str(value) if value in ("system", "iso", "us") else "system"

    def set_date_display(self, mode: str) -> None:
        if mode not in ("system", "iso", "us"):
            raise ValueError(f"date display must be system, iso or us, not {mode!r}")
        self.set_value(DATE_DISPLAY_KEY, mode)

    def export_folder(self) -> Path | None:
        """Where save dialogs start (exports, calendars, bundles); None: not set."""
        value = self._qs.value(EXPORT_FOLDER_KEY, "")
        return Path(str(value)) if value else None

    def set_export_folder(self, folder: Path | None) -> None:
        self.set_value(EXPORT_FOLDER_KEY, str(folder) if folder else "")

    def start_folder(self) -> Path:
        """Where file dialogs start: the default export folder when it is set and exists,
        else the folder last used in a file dialog, else the user's Documents folder (or
        home); never the folder the app happens to run in."""
        for folder in (self.export_folder(), self.last_folder()):
            if folder and folder.is_dir():
                return folder
        import platformdirs

        documents = Path(platformdirs.user_documents_dir())
        return documents if documents.is_dir() else Path.home()

    def last_folder(self) -> Path | None:
        value = self._qs.value(LAST_FOLDER_KEY, "")
        return Path(str(value)) if value else None

    def remember_folder(self, chosen: str | Path) -> None:
        """After a file dialog: the next one starts in the folder of what was chosen."""
        if str(chosen):
            path = Path(chosen)
            self.set_value(LAST_FOLDER_KEY, str(path if path.is_dir() else path.parent))

    def export_path(self, name: str) -> str:
        """A file name in the folder save dialogs start in (see start_folder)."""
        return str(self.start_folder() / name)


def start_folder(widget: Any) -> str:
    """Where a file dialog opened from ``widget`` starts: its window's Settings (see
    Settings.start_folder), or home."""
    settings = getattr(widget.window(), "settings", None)
    if isinstance(settings, Settings):
        return str(settings.start_folder())
    return str(Path.home())


def remember_folder(widget: Any, chosen: str) -> None:
    """After a file dialog opened from ``widget``: the next one starts where this ended."""
    settings = getattr(widget.window(), "settings", None)
    if isinstance(settings, Settings):
        settings.remember_folder(chosen)
