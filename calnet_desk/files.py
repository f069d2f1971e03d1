"""Writing a file so that a reader sees the old one or the new one, never half of one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_output(target: Path, partial: Path | None = None) -> Iterator[Path]:
    """A temporary file beside ``target`` (or at ``partial``) to write; when the block
    succeeds it is flushed to disk and put in place with os.replace, keeping the mode of
    the file it replaces (0644 for a new one); when it fails it is removed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if partial is None:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial",
                                    dir=target.parent)
        os.close(fd)
        partial = Path(name)
    try:
        yield partial
        with open(partial, "rb+") as fh:  # a power cut after the rename keeps whole bytes
            os.fsync(fh.fileno())
        mode = target.stat().st_mode & 0o777 if target.is_file() else 0o644
        os.chmod(partial, mode)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def write_atomically(target: Path, chunks: Iterable[bytes]) -> None:
    """Write these bytes to ``target`` through :func:`atomic_output`."""
    with atomic_output(target) as tmp, open(tmp, "wb") as fh:
        for chunk in chunks:
            fh.write(chunk)


def write_text_atomically(target: Path, text: str) -> None:
    """UTF-8 text with \\n line ends, through :func:`atomic_output`."""
    with atomic_output(target) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
