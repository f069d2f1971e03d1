"""The store is the only door to the data: no module outside calnet_desk/store/ holds SQL
or touches the database connection (a second backend must fit behind the store alone).
The import-linter contracts in pyproject.toml keep sqlite3 and sqlite_utils inside it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "calnet_desk" / "store"

# The statements SQLite understands, as they are written in this code base (upper case).
SQL = re.compile(r"\b(SELECT\s+(DISTINCT\s+)?[\w*(]|INSERT\s+(OR\s+\w+\s+)?INTO|"
                 r"UPDATE\s+\w+\s+SET|DELETE\s+FROM|PRAGMA\s+\w|CREATE\s+(TABLE|INDEX|TRIGGER|"
                 r"VIEW|VIRTUAL)|DROP\s+(TABLE|INDEX|TRIGGER)|BEGIN(\s+IMMEDIATE)?\s*$|"
                 r"^\s*(COMMIT|ROLLBACK)\b|VACUUM\b|ATTACH\s+DATABASE)")
CURSOR_METHODS = {"execute", "executemany", "executescript"}
CONNECTION_ATTRIBUTES = {"conn", "in_transaction"}


def sql_in(source: str) -> list[tuple[int, str]]:
    """Where a module runs a statement, holds SQL text or reaches for a connection."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in CURSOR_METHODS:
            found.append((node.lineno, f".{node.func.attr}("))
        elif isinstance(node, ast.Attribute) and node.attr in CONNECTION_ATTRIBUTES:
            found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and SQL.search(node.value):
            found.append((node.lineno, node.value[:60]))
        elif isinstance(node, ast.JoinedStr):  # an f-string: its text, each {…} as a name
            text = "".join(v.value if isinstance(v, ast.Constant) else "x"
                           for v in node.values)
            if SQL.search(text):
                found.append((node.lineno, text[:60]))
    return found


def modules_outside_the_store() -> list[Path]:
    mods = [*(ROOT / "calnet_desk").rglob("*.py"), *(ROOT / "ui").rglob("*.py")]
    return sorted(p for p in mods if STORE not in p.parents)


def test_no_module_outside_the_store_holds_sql() -> None:
    mods = modules_outside_the_store()
    assert len(mods) > 30  # the walk found the code base
    offenders = {str(p.relative_to(ROOT)): hits for p in mods
                 if (hits := sql_in(p.read_text(encoding="utf-8")))}
    assert offenders == {}


def test_the_walk_finds_each_way_of_writing_sql() -> None:
    caught = [
        'conn.execute("x")',
        'db.executemany(q, rows)',
        'reg.conn',
        'q = "SELECT count(*) FROM documents"',
        'q = f"SELECT {key} FROM {kind.table} WHERE a = ?"',
        'q = "SELECT DISTINCT kind, key FROM document_links"',
        "q = 'INSERT INTO orders (a) VALUES (?)'",
        'q = "UPDATE orders SET contractor = ?"',
        'q = "DELETE FROM history"',
        'q = "PRAGMA quick_check"',
        'q = "BEGIN IMMEDIATE"',
        'q = "COMMIT"',
        'q = f" IN (SELECT value FROM json_each(?))"',
    ]
    for source in caught:
        assert sql_in(source), source
    for prose in ('m = "Select the orders to export"', 'm = "update the register"',
                  'm = "Delete from the register? It keeps its history."',
                  'm = "Begin with the agency"', 'x = reg.records(kind)'):
        assert not sql_in(prose), prose


def test_each_deadline_kind_is_declared_on_a_date_field_of_its_record_kind() -> None:
    from calnet_desk.policy.deadlines import (
        DEADLINE_DECLARATIONS,
        DEADLINE_KINDS,
        DEADLINE_RECORD_KINDS,
    )
    from calnet_desk.records import KINDS

    assert len(set(DEADLINE_KINDS)) == len(DEADLINE_KINDS) == len(DEADLINE_DECLARATIONS)
    for d in DEADLINE_DECLARATIONS:
        assert KINDS[d.record_kind].by_name[d.date_field].type == "date", d
    assert set(DEADLINE_RECORD_KINDS) == {d.record_kind for d in DEADLINE_DECLARATIONS}


def test_choices_read_as_words_and_long_text_is_declared_on_the_field() -> None:
    from calnet_desk.records import KINDS, choice_label

    assert choice_label("non-exempt-state") == "Non-exempt state"
    assert choice_label("in-progress") == "In progress"
    assert choice_label("ato-renewal") == "ATO renewal"
    exemptions = KINDS["exemptions"]
    assert exemptions.by_name["calnet_gap"].multiline
    assert not exemptions.by_name["project"].multiline
    reason = exemptions.by_name["reason"]
    assert reason.labelled_choices == [("feature-gap", "Feature gap"), ("ipr", "IPR")]


def test_the_desktop_holds_no_transaction_code() -> None:
    """The window calls the core's operations on its writer; it never opens a transaction
    or writes rows itself."""
    writes = {"transaction", "put_many", "put_row", "delete_row", "add_document"}
    found = {}
    for path in sorted((ROOT / "ui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = (node.func.attr if isinstance(node.func, ast.Attribute) else
                        node.func.id if isinstance(node.func, ast.Name) else "")
                if name in writes:
                    found.setdefault(str(path.relative_to(ROOT)), []).append(node.lineno)
    assert found == {}
