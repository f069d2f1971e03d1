"""The installed app on a real X server (Xvfb) with Qt's xcb platform, as a person on Linux
starts it: the offscreen platform the other GUI tests use needs none of the xcb libraries, so
a missing one (libxcb-cursor0 aborted the app with exit 134) passed unnoticed (issue 12)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import PySide6

from calnet_desk import demo

ROOT = Path(__file__).resolve().parents[2]
QT = Path(PySide6.__file__).resolve().parent / "Qt"
XCB_LIBRARIES = [QT / "plugins" / "platforms" / "libqxcb.so", QT / "lib" / "libQt6XcbQpa.so.6"]


def readme_apt_line() -> list[str]:
    """The packages of the README's one `apt-get install` line for Debian/Ubuntu."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if "apt-get install" in line
             and line.lstrip().startswith("sudo apt-get")]
    assert len(lines) == 1, lines
    return lines[0].split("apt-get install", 1)[1].replace("-y", "").split()


def test_the_readme_and_ci_install_the_same_debian_packages() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    match = re.search(r"apt-get install -y -qq(.*?)>/dev/null", ci, re.DOTALL)
    assert match, "no apt-get install line in .ci/run"
    ci_packages = set(match.group(1).replace("\\", " ").split())
    assert set(readme_apt_line()) <= ci_packages, set(readme_apt_line()) - ci_packages


def test_every_library_qts_xcb_platform_needs_is_present() -> None:
    """ldd of the xcb plugin and its Qt library: nothing 'not found' once the README's
    packages are installed."""
    for library in XCB_LIBRARIES:
        assert library.is_file(), library
        out = subprocess.run(["ldd", str(library)], capture_output=True, text=True,
                             check=True).stdout
        missing = sorted({line.split()[0] for line in out.splitlines() if "not found" in line})
        assert not missing, f"{library.name} lacks {missing}: add their packages to the README"


def test_the_installed_app_starts_on_a_real_x_server(tmp_path: Path) -> None:
    xvfb_run = shutil.which("xvfb-run")
    assert xvfb_run, "xvfb-run is missing: install the README's Debian packages (xvfb)"
    app = Path(sys.executable).with_name("calnet-desk")
    assert app.is_file(), f"{app}: install the project (pip install -e .) first"
    root = tmp_path / "reg"
    demo.create_demo(root, orders=20).close()
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY",
                                                            "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="xcb", HOME=str(tmp_path), XDG_RUNTIME_DIR=str(tmp_path))
    run = subprocess.run([xvfb_run, "-a", "-s", "-screen 0 1366x768x24", str(app),
                          "--data-dir", str(root), "--smoke-test"],
                         capture_output=True, text=True, timeout=300, env=env, check=False)
    assert run.returncode == 0, (run.returncode, run.stderr[-3000:])
    assert "could not load the Qt platform plugin" not in run.stderr.lower()


def _pytest_on_a_laptop_screen(check: str, tmp_path: Path, window_manager: bool = False) -> str:
    """tests/<check> run by pytest under Xvfb at 1366×768, xcb and QT_SCALE_FACTOR=1.5; its
    output once it passed. With ``window_manager``, under openbox as well: its title bars and
    borders are the frames a window must fit with (Xvfb alone draws none), and pytest starts
    only once openbox manages the screen (its ``--startup`` command)."""
    xvfb_run = shutil.which("xvfb-run")
    assert xvfb_run, "xvfb-run is missing: install the README's Debian packages (xvfb)"
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY",
                                                            "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="xcb", QT_SCALE_FACTOR="1.5", HOME=str(tmp_path),
               XDG_RUNTIME_DIR=str(tmp_path))
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
              str(ROOT / "tests" / check)]
    command = pytest
    if window_manager:
        openbox = shutil.which("openbox")
        assert openbox, "openbox is missing: install the README's Debian packages (openbox)"
        out, code = tmp_path / "pytest.out", tmp_path / "pytest.rc"
        script = tmp_path / "under-openbox.sh"
        script.write_text(f"#!/bin/sh\n{shlex.join(pytest)} >{shlex.quote(str(out))} 2>&1\n"
                          f"echo $? >{shlex.quote(str(code))}\n"
                          f"{shlex.quote(openbox)} --exit\n", encoding="utf-8")
        script.chmod(0o755)
        command = [openbox, "--startup", str(script)]
    run = subprocess.run([xvfb_run, "-a", "-s", "-screen 0 1366x768x24", *command],
                         capture_output=True, text=True, timeout=600, env=env, check=False,
                         cwd=ROOT)
    if window_manager:
        assert run.returncode == 0, run.stderr[-2000:]
        assert code.is_file(), f"pytest never ran under openbox: {run.stderr[-2000:]}"
        output = out.read_text(encoding="utf-8")
        assert code.read_text(encoding="ascii").strip() == "0", output[-6000:]
        return output
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    return run.stdout


def test_every_window_fits_1366x768_at_150_percent_on_a_real_x_server(tmp_path: Path) -> None:
    """tests/screen_fit_check.py under Xvfb, xcb and QT_SCALE_FACTOR=1.5 (issue 16 item 6)."""
    assert "1 passed" in _pytest_on_a_laptop_screen("screen_fit_check.py", tmp_path)


def test_every_window_fits_at_150_percent_under_a_window_manager(tmp_path: Path) -> None:
    """The same check under openbox: a window fitted before the window manager framed it
    must be fitted again with its title bar (the frame pushed a window as tall as the
    screen 16 px off its bottom; with that refit taken out, this fails and the check
    without a window manager still passes)."""
    assert "1 passed" in _pytest_on_a_laptop_screen("screen_fit_check.py", tmp_path,
                                                     window_manager=True)


def test_a_persons_wheel_and_keys_through_a_real_x_server(tmp_path: Path) -> None:
    """tests/real_input_check.py: the wheel over drop-downs in a scrolling list or form
    (issue 16 item 8) and typing a search with a row selected (item 1), sent through the X
    server as a person's are."""
    assert "3 passed" in _pytest_on_a_laptop_screen("real_input_check.py", tmp_path)
