"""Smoke-test a frozen or installed CALNET Desk: the CLI and the GUI on a register.

    python installer/smoke_test.py "dist/CALNET Desk" --data-dir D --demo
    python installer/smoke_test.py "C:/Program Files/CALNET Desk" --demo
    python installer/smoke_test.py "%LOCALAPPDATA%/Programs/CALNET Desk"

With --demo the frozen CLI makes a demo register first (`demo` on a new register);
then `calnet-desk-cli verify` and `calnet-desk --smoke-test` must both exit 0. Without
--data-dir the programs use their default data folder, as a user's would. Each program
gets a time limit, so a stuck window or an error dialog fails the run instead of hanging it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

TIMEOUT = 300  # seconds per program


def executable(app: Path, name: str) -> Path:
    path = app / (f"{name}.exe" if os.name == "nt" else name)
    if not path.is_file():
        raise SystemExit(f"smoke_test: {path} not found")
    return path


def run(command: list[str]) -> None:
    print("+", " ".join(command), flush=True)
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT,
                                check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as error:
        raise SystemExit(f"smoke_test: {command[0]} did not finish in {TIMEOUT} s") from error
    sys.stdout.write(result.stdout[-4000:])
    sys.stdout.write(result.stderr[-4000:])
    if result.returncode != 0:
        raise SystemExit(f"smoke_test: {Path(command[0]).name} exited {result.returncode}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", type=Path, help="the folder holding calnet-desk(.exe)")
    parser.add_argument("--data-dir", default=None, help="the register (default: the user's)")
    parser.add_argument("--demo", action="store_true", help="make a demo register first")
    args = parser.parse_args(argv)
    cli = str(executable(args.app, "calnet-desk-cli"))
    gui = str(executable(args.app, "calnet-desk"))
    where = ["--data-dir", args.data_dir] if args.data_dir else []
    if args.demo:
        run([cli, *where, "demo", "--orders", "25"])
    run([cli, *where, "verify"])
    run([gui, *where, "--smoke-test"])
    print("smoke test passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
