"""Handing a file to the system: open it with its viewer. Every OS branch is injectable so
the Windows one is tested on Linux."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


class NoViewer(Exception):
    """No program could be started for the file: the message says so in a sentence (never
    "[Errno 2] No such file or directory: 'xdg-open'")."""


def open_with_viewer(path: Path, *, platform: str = sys.platform,
                     startfile: Callable[[str], Any] | None = None,
                     popen: Callable[[Sequence[str]], Any] | None = None) -> None:
    """Open with the program the desktop associates with the file type; NoViewer when
    there is none (no launcher installed, no program associated with the type)."""
    kind = f"{path.suffix.lower()} files" if path.suffix else "this kind of file"
    try:
        if platform == "win32":
            (startfile or getattr(os, "startfile"))(str(path))  # noqa: B009 - Windows only
            return
        launcher = "open" if platform == "darwin" else "xdg-open"
        (popen or _detached)([launcher, str(path)])
    except OSError as e:
        raise NoViewer(f"This computer has no program set up to open {kind}, so "
                       f"{path.name} could not be opened ({_why(e)}).") from e


def show_in_folder(path: Path, *, platform: str = sys.platform,
                   popen: Callable[[Sequence[str]], Any] | None = None) -> None:
    """Show the file in the system's file manager (selected where the system can);
    NoViewer when no file manager can be started."""
    run = popen or _detached
    if platform == "win32":
        attempts = [["explorer", f"/select,{path}"]]
    elif platform == "darwin":
        attempts = [["open", "-R", str(path)]]
    else:  # freedesktop: the folder, by whichever opener is installed
        attempts = [["xdg-open", str(path.parent)], ["gio", "open", str(path.parent)]]
    last: OSError | None = None
    for argv in attempts:
        try:
            run(argv)
            return
        except OSError as e:
            last = e
    raise NoViewer(f"No file manager could be started to show {path.parent} "
                   f"({_why(last)}).") from last


def _why(error: OSError | None) -> str:
    if isinstance(error, FileNotFoundError) and error.filename:
        return f"{Path(str(error.filename)).name} is not installed"
    if error is None:
        return "no way to start one"
    return error.strerror or str(error)


def _detached(argv: Sequence[str]) -> Any:
    return subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
