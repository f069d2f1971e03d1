"""The CLI as scripts use it: commands, flags, exit codes, JSON shapes, data folder."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from calnet_desk import paths
from calnet_desk.paths import resolve_data_dir
from calnet_desk.records import KINDS
from calnet_desk.store import Register


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
    run_cli("demo", "--orders", "30")
    plural = run_cli("list", "outside-contracts", "--json")
    singular = run_cli("list", "outside-contract", "--json")
    assert plural.code == singular.code == 0
    assert json.loads(plural.out) == json.loads(singular.out)
    assert json.loads(plural.out)[0]["contract_id"].startswith("OC-")


def test_demo_list_show_and_json_shapes(run_cli: Any, isolated_home: Path) -> None:
    assert run_cli("demo", "--orders", "30").code == 0
    assert run_cli("demo", "--orders", "30").code == 1  # again: refused, it holds records
    orders = json.loads(run_cli("list", "orders", "--json").out)
    keys = [o["request_number"] for o in orders]
    assert len(keys) == 30 and keys == sorted(keys)
    # an order with cents in its monthly cost: money is a JSON number of dollars
    i, o = next((i, o) for i, o in enumerate(orders)
                if o["monthly_cost"] and o["monthly_cost"] != int(o["monthly_cost"]))
    with Register.open(isolated_home) as reg:
        stored = reg.get(KINDS["orders"], o["request_number"])
    assert stored is not None and o["monthly_cost"] == stored["monthly_cost"] / 100
    assert isinstance(o["delegation_required"], bool)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", o["request_date"])
    assert any(x["exemption_id"] is None for x in orders)
    contracts = json.loads(run_cli("list", "contracts", "--json").out)
    assert all(isinstance(c["categories"], list) and c["categories"] for c in contracts)
    shown = json.loads(run_cli("show", "orders", o["request_number"], "--json").out)
    assert shown == orders[i]
    text = run_cli("show", "orders", o["request_number"]).out
    y, m, d = o["request_date"].split("-")
    assert "Monthly cost" in text and f"${o['monthly_cost']:,.2f}" in text
    assert f"{m}/{d}/{y}" in text
    missing = run_cli("show", "orders", "HO-404")
    assert missing.code == 1 and "no order HO-404" in missing.err


def test_history_and_delete_with_reason(run_cli: Any) -> None:
    run_cli("demo", "--orders", "30")
    orders = json.loads(run_cli("list", "orders", "--json").out)
    delegation = next(o["delegation_id"] for o in orders if o["delegation_id"])
    first_user = min(o["request_number"] for o in orders if o["delegation_id"] == delegation)
    refused = run_cli("delete", "delegations", delegation)
    assert refused.code == 1 and f"referred to by order {first_user}" in refused.err
    o = next(o for o in orders if o["monthly_cost"])
    key, cents = o["request_number"], round(o["monthly_cost"] * 100)
    assert run_cli("delete", "order", key, "--reason", "entered twice").code == 0
    entries = json.loads(run_cli("history", "orders", key, "--json").out)
    assert [e["action"] for e in entries] == ["insert", "delete"]
    assert entries[1]["reason"] == "entered twice"
    assert entries[1]["changes"]["monthly_cost"] == [cents, None]
    text = run_cli("history", "orders", key).out
    assert "delete (entered twice)" in text
    assert f"monthly_cost: ${o['monthly_cost']:,.2f} -> (empty)" in text
    assert run_cli("show", "orders", key).code == 1
    assert run_cli("delete", "orders", key).code == 1
    assert run_cli("verify").code == 0


def test_the_console_script_runs(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / ("calnet-desk-cli.exe" if sys.platform == "win32"
                                         else "calnet-desk-cli")
    r = subprocess.run([str(exe), "--data-dir", str(tmp_path / "r"), "demo", "--orders",
                        "20"],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([str(exe), "--data-dir", str(tmp_path / "r"), "verify"],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0 and r.stdout.startswith("OK")
