"""Handing a file to the system: open it with its viewer. Every OS branch is injectable so
the Windows one is tested on Linux."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def open_with_viewer(path: Path, *, platform: str = sys.platform,
                     startfile: Callable[[str], Any] | None = None,
                     popen: Callable[[Sequence[str]], Any] | None = None) -> None:
    """Open with the program the desktop associates with the file type."""
    if platform == "win32":
        (startfile or getattr(os, "startfile"))(str(path))  # noqa: B009 - Windows only
        return
    launcher = "open" if platform == "darwin" else "xdg-open"
    (popen or _detached)([launcher, str(path)])


def _detached(argv: Sequence[str]) -> Any:
    return subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
