"""The CLI as scripts use it: commands, flags, exit codes, JSON shapes, data folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from calnet_desk import paths
from calnet_desk.paths import resolve_data_dir


def test_data_dir_precedence_flag_then_env_then_default(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"CALNET_DESK_HOME": str(tmp_path / "env")}
    assert resolve_data_dir(str(tmp_path / "flag"), env) == tmp_path / "flag"
    assert resolve_data_dir(None, env) == tmp_path / "env"
    monkeypatch.setattr(paths, "default_data_dir", lambda: tmp_path / "default")
    assert resolve_data_dir(None, {}) == tmp_path / "default"


def test_default_data_dir_has_no_author_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    seen: dict[str, Any] = {}

    def fake(appname: str, appauthor: Any = None, **kw: Any) -> str:
        seen.update(appname=appname, appauthor=appauthor)
        return r"C:\Users\pat\AppData\Local\CALNET Desk"

    monkeypatch.setattr(platformdirs, "user_data_dir", fake)
    assert paths.default_data_dir().name.endswith("CALNET Desk")
    assert seen == {"appname": "CALNET Desk", "appauthor": False}


def test_data_dir_before_or_after_the_command_and_env(
        tmp_path: Path, isolated_home: Path, run_cli: Any) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert run_cli("--data-dir", str(a), "init", "--agency", "A",
                   "--agency-class", "exempt-state").code == 0
    assert run_cli("init", "--agency", "B", "--agency-class", "non-state",
                   "--data-dir", str(b)).code == 0
    assert run_cli("init", "--agency", "Env", "--agency-class", "non-state").code == 0
    assert (isolated_home / "register.sqlite3").is_file()  # CALNET_DESK_HOME
    # The flag before the command wins over the one after it.
    r = run_cli("--data-dir", str(a), "show", "orders", "X", "--data-dir", str(b))
    assert r.code == 1 and "no order X" in r.err
    assert run_cli("--data-dir", str(a), "verify", "--json").code == 0


def test_init_refuses_an_existing_register(run_cli: Any) -> None:
    assert run_cli("init", "--agency", "A", "--agency-class", "exempt-state").code == 0
    again = run_cli("init", "--agency", "B", "--agency-class", "exempt-state")
    assert again.code == 1
    assert "already exists" in again.err


@pytest.mark.parametrize("argv", [
    ["list", "orders", "--json"], ["show", "orders", "HO-1"], ["history", "orders", "HO-1"],
    ["delete", "orders", "HO-1"], ["verify"], ["export", "--kind", "orders", "--format", "csv",
                                              "-o", "x.csv"],
    ["import", "x.csv", "--kind", "orders"],
])
def test_every_command_but_init_needs_a_register(argv: list[str], run_cli: Any,
                                                 isolated_home: Path) -> None:
    r = run_cli(*argv)
    assert r.code == 1
    assert "no register in" in r.err and "init --agency" in r.err
    assert not isolated_home.exists()  # nothing created on the way


@pytest.mark.parametrize("argv", [
    [], ["list"], ["list", "widgets"], ["show", "orders"], ["frobnicate"],
    ["init", "--agency", "A", "--agency-class", "federal"],
    ["export", "--kind", "orders", "--format", "pdf", "-o", "x"],
])
def test_bad_usage_exits_2(argv: list[str], run_cli: Any) -> None:
    assert run_cli(*argv).code == 2


def test_kind_names_singular_and_plural(run_cli: Any) -> None:
    run_cli("demo")
    plural = run_cli("list", "outside-contracts", "--json")
    singular = run_cli("list", "outside-contract", "--json")
    assert plural.code == singular.code == 0
    assert json.loads(plural.out) == json.loads(singular.out)
    assert json.loads(plural.out)[0]["contract_id"] == "OC-17"


def test_demo_list_show_and_json_shapes(run_cli: Any) -> None:
    assert run_cli("demo").code == 0
    assert run_cli("demo").code == 0  # again: already there, fine
    orders = json.loads(run_cli("list", "orders", "--json").out)
    assert [o["request_number"] for o in orders] == ["HO-1001", "HO-1002", "HO-1003"]
    first = orders[0]
    assert first["monthly_cost"] == 412.5 and first["one_time_cost"] == 250
    assert first["delegation_required"] is True
    assert first["request_date"] == "2026-01-05"
    assert first["exemption_id"] is None
    contracts = json.loads(run_cli("list", "contracts", "--json").out)
    assert contracts[0]["categories"] == ["Network Based Managed Services", "SD-WAN"]
    shown = json.loads(run_cli("show", "orders", "HO-1003", "--json").out)
    assert shown == orders[2]
    text = run_cli("show", "orders", "HO-1003").out
    assert "Monthly cost" in text and "$2,000.00" in text and "03/20/2026" in text
    missing = run_cli("show", "orders", "HO-404")
    assert missing.code == 1 and "no order HO-404" in missing.err


def test_history_and_delete_with_reason(run_cli: Any) -> None:
    run_cli("demo")
    refused = run_cli("delete", "delegations", "CD-2026-02")
    assert refused.code == 1 and "referred to by order HO-1001" in refused.err
    assert run_cli("delete", "order", "HO-1002", "--reason", "entered twice").code == 0
    entries = json.loads(run_cli("history", "orders", "HO-1002", "--json").out)
    assert [e["action"] for e in entries] == ["insert", "delete"]
    assert entries[1]["reason"] == "entered twice"
    assert entries[1]["changes"]["monthly_cost"] == [70000, None]
    text = run_cli("history", "orders", "HO-1002").out
    assert "delete (entered twice)" in text and "monthly_cost: $700.00 -> (empty)" in text
    assert run_cli("show", "orders", "HO-1002").code == 1
    assert run_cli("delete", "orders", "HO-1002").code == 1
    assert run_cli("verify").code == 0


def test_the_console_script_runs(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / ("calnet-desk-cli.exe" if sys.platform == "win32"
                                         else "calnet-desk-cli")
    r = subprocess.run([str(exe), "--data-dir", str(tmp_path / "r"), "demo"],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([str(exe), "--data-dir", str(tmp_path / "r"), "verify"],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0 and r.stdout.startswith("OK")
