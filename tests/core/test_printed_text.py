"""Issue 14 item 13: names with ESC or CR were printed raw by `list` and `show` (a name can
clear the screen or hide a line). What the command line prints for people goes through one
helper (store.errors.printable); JSON output stays JSON, escaped by JSON itself."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from calnet_desk import cli
from calnet_desk.records import KINDS
from calnet_desk.store import Register

HOSTILE = "AT\x1b[2J\x1b[31mT\rOK\u202eevil\u2028x"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    home = tmp_path / "reg"
    with Register.create(home, agency="Department of Testing",
                         agency_class="non-exempt-state") as reg, reg.transaction() as tx:
        tx.put(KINDS["orders"], {"request_number": "ESC-1", "request_date": "2026-01-02",
                                 "order_type": "new", "contractor": HOSTILE,
                                 "description": "line one\nline two\x1b]0;title\x07"})
    return home


def raw(text: str) -> list[str]:
    return [ch for ch in text if ch in "\x1b\r\x07\u202e\u2028"]


@pytest.mark.parametrize("argv", [("list", "orders"), ("show", "orders", "ESC-1"),
                                  ("history", "orders", "ESC-1"), ("search", "evil")])
def test_what_people_read_is_escaped(root: Path, argv: tuple[str, ...]) -> None:
    code, out, err = run("--data-dir", str(root), *argv)
    assert code == 0, err
    assert raw(out) == [] and raw(err) == [], out
    assert "\\x1b[2J" in out or "\\x1b" in out  # shown, as text, not obeyed


def test_a_table_keeps_its_columns_when_a_cell_is_escaped(root: Path) -> None:
    out = run("--data-dir", str(root), "list", "orders")[1]
    header, row = out.splitlines()[:2]
    assert row.index("ESC-1") == header.index("Request number")  # the first column, aligned


def test_json_stays_json(root: Path) -> None:
    code, out, _ = run("--data-dir", str(root), "show", "orders", "ESC-1", "--json")
    assert code == 0
    assert "\x1b" not in out and "\\u001b" in out  # JSON's own escape
    assert json.loads(out)["contractor"] == HOSTILE  # the value itself, exactly


def test_messages_are_escaped_too(root: Path) -> None:
    code, _, err = run("--data-dir", str(root), "show", "orders", "NO\x1b[2J-SUCH")
    assert code == 1 and raw(err) == [] and "\\x1b" in err
