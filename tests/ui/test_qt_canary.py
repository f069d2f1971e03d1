"""The Qt canary: PySide6-Essentials 6.12.0 on Python 3.11 drops one reference to None on
every call of a void method, and a few thousand calls later the app aborts with
"Fatal Python error: none_dealloc" while a person types (issue 12). pyproject.toml keeps that
build off Python < 3.12; this test fails CI, not a coordinator, if any installed build leaks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CHILD = Path(__file__).resolve().parents[1] / "qt_canary_child.py"


def test_qt_setters_do_not_leak_references_to_none() -> None:
    run = subprocess.run([sys.executable, str(CHILD)], capture_output=True, text=True,
                         timeout=300, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                         check=False)
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert lines, f"the canary printed nothing (exit {run.returncode}): {run.stderr[-2000:]}"
    head, results = lines[0], lines[1:]
    build = f"PySide6 {head['pyside6']} on Python {head['python']}"
    assert run.returncode == 0, (
        f"{build} crashed after {len(results)} setter(s) ({run.stderr.strip()[-500:]}): "
        "this build corrupts Python's reference counts; keep it out in pyproject.toml")
    leaking = {r["setter"]: r["fell"] for r in results if r["fell"] > 0}
    assert not leaking, (f"{build} leaks references to None per call: {leaking}; keep it out "
                         "in pyproject.toml")
    assert len(results) == 13
    if sys.version_info >= (3, 12):
        # PEP 683: None is immortal, its count pinned far above anything a leak could reach
        assert head["start"] >= 2**29, head


def test_the_leaking_build_is_kept_off_python_3_11() -> None:
    """The constraint itself, read from the project's metadata as pip reads it."""
    from importlib.metadata import requires

    from packaging.requirements import Requirement
    from packaging.version import Version

    specs = [Requirement(r) for r in requires("calnet-desk") or []
             if r.lower().startswith("pyside6-essentials")]
    on_311 = [r for r in specs if r.marker is None
              or r.marker.evaluate({"python_version": "3.11", "extra": ""})]
    assert on_311, specs
    assert all(not r.specifier.contains(Version("6.12.0")) for r in on_311), on_311
    assert any(r.specifier.contains(Version("6.11.3")) for r in on_311), on_311
