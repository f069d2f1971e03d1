"""Every file the code ships beside its modules is declared as package data, so a plain
(not editable) install and its wheel carry it too: the Typst template was missing from the
wheel while editable installs, which read the source tree, worked."""

from __future__ import annotations

import subprocess
import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_data_file_of_the_packages_is_declared() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = config["tool"]["setuptools"]["package-data"]
    tracked = subprocess.run(["git", "ls-files", "calnet_desk", "ui"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.split()
    assert tracked, "no tracked files found (is this a git checkout?)"
    undeclared = []
    for name in tracked:
        if name.endswith(".py"):
            continue
        package, _, inside = name.partition("/")
        if not any(fnmatch(inside, pattern) and "/" not in _after_dir(inside, pattern)
                   for pattern in declared.get(package, [])):
            undeclared.append(name)
    assert undeclared == [], (
        f"not in [tool.setuptools.package-data] of pyproject.toml: {undeclared}")


def _after_dir(inside: str, pattern: str) -> str:
    """What the pattern's last '*' stands for (fnmatch's '*' also crosses '/', setuptools'
    does not)."""
    folder = pattern.rpartition("/")[0]
    rest = inside[len(folder) + 1:] if folder else inside
    return rest
