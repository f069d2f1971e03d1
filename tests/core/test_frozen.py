"""The frozen build: installer/build.py makes the one-folder bundle, then its two programs
run on a temporary data dir, so a missing hidden import, data file or Qt plug-in fails here
rather than on a user's desk. Slow (one PyInstaller build for the module, about a minute on
two cores); CI runs it."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUFFIX = ".exe" if sys.platform == "win32" else ""

pytestmark = pytest.mark.slow


def python_3_12_or_newer() -> str:
    """The Python the release is built with: this one when it is 3.12+, else a Python 3.12 or
    3.13 from pyenv or on PATH that really runs (pyenv's shims answer 127 for a version that
    is not selected)."""
    if sys.version_info >= (3, 12):
        return sys.executable
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [str(v / "bin" / "python") for v in sorted(pyenv.glob("3.1[23]*"))]
    candidates += [c for c in (shutil.which(f"python3.{minor}") for minor in (12, 13)) if c]
    for candidate in candidates:
        probe = subprocess.run([candidate, "-c", "import sys; print(sys.version_info >= (3, 12))"],
                               capture_output=True, text=True, timeout=60, check=False)
        if probe.returncode == 0 and probe.stdout.strip() == "True":
            return candidate
    pytest.fail("the frozen build needs Python 3.12 or newer; none found in pyenv or on PATH")


def build_python(base: Path) -> str:
    """A venv on Python 3.12+ with the project and PyInstaller, when this one is older."""
    python = python_3_12_or_newer()
    if python == sys.executable:
        return python
    venv = base / "venv312"
    subprocess.run([python, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                          "-e", f"{ROOT}[build]"], capture_output=True, text=True, timeout=1800)
    assert pip.returncode == 0, pip.stderr[-5000:]
    return str(venv / "bin" / "python")


def test_the_release_build_refuses_python_3_11(tmp_path: Path) -> None:
    older = subprocess.run([sys.executable, "-c",
                            "import sys; sys.path.insert(0, 'installer'); import build; "
                            "sys.version_info = (3, 11, 7); raise SystemExit(build.main([]))"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert older.returncode == 1
    assert "Python 3.12 or newer" in older.stderr and "Nothing was built" in older.stderr


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built app folder, "<dist>/CALNET Desk/", with both programs, built on 3.12+."""
    base = tmp_path_factory.mktemp("frozen")
    run = subprocess.run([build_python(base), str(ROOT / "installer" / "build.py"),
                          "--dist", str(base / "dist"), "--work", str(base / "build"),
                          "--quiet"], capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-5000:]
    folder = base / "dist" / "CALNET Desk"
    for name in ("calnet-desk", "calnet-desk-cli"):
        assert (folder / (name + SUFFIX)).is_file(), name
    return folder


def test_the_bundle_ships_python_3_12_or_newer(app: Path) -> None:
    """PEP 683 (immortal None) is what keeps a leaking Qt build from aborting the app."""
    shipped = sorted(p.name for p in app.rglob("libpython3*") if p.is_file()) or sorted(
        p.name for p in app.rglob("python3*.dll"))
    assert shipped, "no Python library in the bundle"
    assert all(not name.startswith(("libpython3.11", "python311")) for name in shipped), shipped


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a frozen run: no CALNET_DESK_HOME, user folders under tmp_path."""
    e = {k: v for k, v in os.environ.items() if k != "CALNET_DESK_HOME"}
    user = tmp_path / "user"
    for var in ("HOME", "USERPROFILE", "APPDATA", "LOCALAPPDATA", "XDG_DATA_HOME",
                "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        e[var] = str(user / var.lower())
    e["QT_QPA_PLATFORM"] = "offscreen"
    e.pop("PYTHONPATH", None)  # the bundle must not lean on the source tree
    yield e


def run(app: Path, program: str, *args: str | Path, env: dict[str, str],
        cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(app / (program + SUFFIX)), *map(str, args)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def ok(r: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert r.returncode == 0, (r.args, r.stdout, r.stderr)
    return r


def write_orders(path: Path) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows([
            ["request_number", "request_date", "order_type", "contractor", "description"],
            ["O-1", "2026-01-05", "new", "Café Networks", "Fiber – 100 Mbps"],
            ["O-2", "2026-02-10", "new", "ACME Telecom", "SIP trunks"],
        ])
    return path


def test_the_frozen_cli_and_desktop_app_work_on_a_fresh_register(
        app: Path, env: dict[str, str], tmp_path: Path) -> None:
    reg = tmp_path / "reg"

    def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return ok(run(app, "calnet-desk-cli", "--data-dir", reg, *args, env=env,
                      cwd=tmp_path))

    cli("init", "--agency", "Department of Testing", "--agency-class", "non-exempt-state")
    assert "2 added" in cli("import", write_orders(tmp_path / "orders.csv"),
                            "--kind", "orders").stdout
    assert "Café Networks" in cli("show", "orders", "O-1", "--json").stdout
    cli("export", "--kind", "orders", "--format", "xlsx", "-o", tmp_path / "orders.xlsx")
    assert (tmp_path / "orders.xlsx").stat().st_size > 0
    cli("export-ics", tmp_path / "deadlines.ics", "--today", "2026-06-01")
    # the bundle: CSV/XLSX/JSON records and summary.pdf (fpdf2 with the bundled fonts)
    # as of today: a register made now has no history before today to rebuild
    cli("export-bundle", tmp_path / "bundle.zip")
    assert "sound" in cli("verify-bundle", tmp_path / "bundle.zip").stdout
    cli("verify")
    # a large import seals its history in a second process, which in the frozen build is
    # the program itself run by multiprocessing.freeze_support() (else it would run the
    # command line again, and say so on stderr): the import writes, and verify agrees
    large = tmp_path / "large.csv"
    with open(large, "w", encoding="utf-8", newline="") as fh:
        fh.write("request_number,request_date,order_type,contractor,description\n")
        fh.writelines(f"L-{n:05d},2026-03-{1 + n % 28:02d},new,ACME Telecom,Circuit "
                      f"{n:05d}: fiber to the building with static addresses\n"
                      for n in range(14_000))
    assert large.stat().st_size > 1 << 20  # importer.SEAL_APART_BYTES
    imported = cli("import", large, "--kind", "orders")
    assert "14000 added" in imported.stdout.replace(",", ""), imported.stdout
    assert all(line.startswith("import: ") for line in imported.stderr.splitlines()), (
        imported.stderr)  # its progress, nothing else
    cli("verify")
    smoke = run(app, "calnet-desk", "--data-dir", reg, "--smoke-test", env=env, cwd=tmp_path)
    assert smoke.returncode == 0, smoke.stderr
    # the start a person makes, through the controller: what it imports only when used (the
    # drafts, the daily backup, the write connection after the first page) is in the bundle
    real = run(app, "calnet-desk", "--data-dir", reg, "--quit-after-first-page", env=env,
               cwd=tmp_path)
    assert real.returncode == 0 and real.stdout.startswith("first page shown"), real.stderr
    assert any(p.name.endswith("-daily") for p in (reg / "backups").iterdir())
    # nothing leaked into the user's default data folder
    assert not any((tmp_path / "user").rglob("register.sqlite3"))


def test_a_marker_beside_the_frozen_programs_keeps_the_register_beside_them(
        app: Path, env: dict[str, str], tmp_path: Path) -> None:
    marker = app / "portable.txt"
    marker.write_text("CALNET Desk keeps its register in the folder 'register' here.\n",
                      "utf-8")
    try:
        ok(run(app, "calnet-desk-cli", "init", "--agency", "Portable Agency",
               "--agency-class", "non-state", env=env, cwd=tmp_path))
        assert (app / "register" / "register.sqlite3").is_file()
        assert not any((tmp_path / "user").rglob("register.sqlite3"))
        smoke = run(app, "calnet-desk", "--smoke-test", env=env, cwd=tmp_path)
        assert smoke.returncode == 0, smoke.stderr
        # the environment still wins over the marker
        env["CALNET_DESK_HOME"] = str(tmp_path / "env-reg")
        ok(run(app, "calnet-desk-cli", "init", "--agency", "Env Agency",
               "--agency-class", "non-state", env=env, cwd=tmp_path))
        assert (tmp_path / "env-reg" / "register.sqlite3").is_file()
    finally:
        marker.unlink()
