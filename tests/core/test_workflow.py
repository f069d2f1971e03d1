"""The Windows CI workflow: actionlint-clean, no default token permissions, actions pinned."""

from __future__ import annotations

import re
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
WINDOWS = WORKFLOWS / "windows.yml"


def actionlint() -> str:
    """The actionlint the test extras install (this Python's scripts), else one on PATH."""
    scripts = Path(sysconfig.get_path("scripts"))
    for name in ("actionlint", "actionlint.exe"):
        if (scripts / name).is_file():
            return str(scripts / name)
    found = shutil.which("actionlint")
    if found is None:
        pytest.fail('actionlint is missing: pip install -e ".[test]" installs it')
    return found


def test_actionlint_passes() -> None:
    result = subprocess.run([actionlint(), "-no-color", str(WINDOWS)], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_token_has_no_default_permissions() -> None:
    text = WINDOWS.read_text(encoding="utf-8")
    assert re.search(r"^permissions: \{\}$", text, re.MULTILINE), "top level: permissions: {}"
    jobs = re.split(r"^  (?=[\w-]+:$)", text.split("\njobs:\n", 1)[1], flags=re.MULTILINE)
    for job in filter(None, jobs):
        assert re.search(r"^    permissions:", job, re.MULTILINE), job.splitlines()[0]
        assert "write" not in re.findall(r"^      [\w-]+: (\w+)$", job, re.MULTILINE)


def test_every_action_is_pinned_to_a_commit() -> None:
    uses = re.findall(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", WINDOWS.read_text(encoding="utf-8"),
                      re.MULTILINE)
    assert uses
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), action
        assert re.search(r"#\s*v\d", comment), f"{action}: say the release tag in a comment"


def test_signing_only_with_the_secret() -> None:
    text = WINDOWS.read_text(encoding="utf-8")
    steps = text.split("\n      - ")
    signing = [s for s in steps if "sign.ps1" in s]
    assert signing
    for step in signing:
        assert "if: env.SIGNING_ENABLED == 'true'" in step
        assert "secrets.WINDOWS_SIGNING_CERT" in step
    # The secret itself reaches the signing steps only.
    assert text.count("${{ secrets.WINDOWS_SIGNING_CERT }}") == len(signing)


def test_the_windows_build_runs_on_python_3_12_or_newer() -> None:
    """The frozen app ships this Python: 3.12+ makes None immortal (issue 12)."""
    versions = re.findall(r'python-version:\s*"?([0-9.]+)"?', WINDOWS.read_text("utf-8"))
    assert versions, "no python-version in the workflow"
    assert all(tuple(map(int, v.split(".")[:2])) >= (3, 12) for v in versions), versions
