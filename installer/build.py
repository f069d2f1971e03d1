"""Build the frozen app on the machine this runs on (Windows, Linux or macOS):

    python installer/build.py [--dist DIR] [--work DIR]

Result: "DIR/CALNET Desk/" with `calnet-desk` (the desktop app) and `calnet-desk-cli` side by
side (`.exe` on Windows). DIR defaults to `dist/`. Installs nothing: run it with the Python
that has the app and PyInstaller installed (`pip install -e ".[build]"`), Python 3.12 or
newer (the bundle ships it)."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = HERE / "calnet-desk.spec"
NAME = "CALNET Desk"


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def build(dist: Path, work: Path | None = None, quiet: bool = False) -> Path:
    """Run PyInstaller on the spec; return the app folder."""
    dist = dist.resolve()
    work = (work or dist.parent / "build").resolve()
    cmd = [sys.executable, "-m", "PyInstaller", str(SPEC), "--noconfirm", "--clean",
           "--distpath", str(dist), "--workpath", str(work),
           "--log-level", "WARN" if quiet else "INFO"]
    subprocess.run(cmd, check=True, cwd=ROOT)
    return dist / NAME


# The bundle ships the Python that builds it. On 3.11 a Qt build that leaks references to None
# aborts the app mid-entry (tests/ui/test_qt_canary.py); 3.12+ makes None immortal (PEP 683).
MIN_PYTHON = (3, 12)


def main(argv: list[str] | None = None) -> int:
    if sys.version_info < MIN_PYTHON:
        sys.stderr.write(f"build.py: the frozen app ships the Python that builds it; build with "
                         f"Python {'.'.join(map(str, MIN_PYTHON))} or newer (this is "
                         f"{sys.version.split()[0]}). Nothing was built.\n")
        return 1
    p = argparse.ArgumentParser(prog="build.py", description=__doc__.splitlines()[0])
    p.add_argument("--dist", type=Path, default=ROOT / "dist",
                   help="output folder (default: dist/)")
    p.add_argument("--work", type=Path, default=None,
                   help="PyInstaller's work folder (default: build/ beside --dist)")
    p.add_argument("--quiet", action="store_true", help="warnings and errors only")
    args = p.parse_args(argv)
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        sys.stderr.write('build.py: PyInstaller is missing: pip install -e ".[build]"\n')
        return 1
    start = time.monotonic()
    try:
        app = build(args.dist, args.work, args.quiet)
    except subprocess.CalledProcessError as e:
        sys.stderr.write(f"build.py: PyInstaller failed (exit {e.returncode})\n")
        return 1
    print(f"built {app} ({folder_size(app) / 1e6:.1f} MB) "
          f"in {time.monotonic() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
