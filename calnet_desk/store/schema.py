"""The register's schema: named migrations (sqlite-utils' Migrations) and its triggers.

Migrations are literal SQL, frozen once released: a later change is a new migration,
never an edit of an old one. tests/fixtures holds the SQL text of every released schema,
and the tests migrate each of them to the current one.

Triggers are created in one place, :func:`install_triggers`, which runs at the end of
every migration (a ``table.transform()`` drops a table's triggers).
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import Any

from ..records import KEY_SEPARATOR, KINDS, Kind

APPLICATION_ID = 0x434C4E44  # "CLND": marks a file as a CALNET Desk register
MIGRATION_SET = "calnet-desk"
WRITER_FUNCTION = "calnet_desk_writing"


# Checked at every open (Register.open): the search index is an FTS5 table. Here, not in
# the search module, which opening a register does not otherwise need.
@functools.cache
def fts5_available() -> bool:
    """Whether SQLite has FTS5: built in (its compile options say so, ~0.05 ms), else
    whether an FTS5 table can be made after all (~0.4 ms, which every start paid)."""
    conn = sqlite3.connect(":memory:")
    try:
        if ("ENABLE_FTS5",) in conn.execute("PRAGMA compile_options").fetchall():
            return True
        conn.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


NO_FTS5_MESSAGE = (
    f"the SQLite library in use ({sqlite3.sqlite_version}) was built without FTS5 full-text "
    "search, which CALNET Desk needs. Install Python from python.org (its SQLite has FTS5) "
    "and run CALNET Desk with it; your register was not changed.")

# (name, function) in order. sqlite-utils' Migrations is built from this list when first
# needed (module __getattr__ below): opening a register that is up to date never imports it.
MIGRATIONS: list[tuple[str, Callable[[Any], None]]] = []


def migration(name: str) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    def register(fn: Callable[[Any], None]) -> Callable[[Any], None]:
        MIGRATIONS.append((name, fn))
        return fn

    return register


def __getattr__(name: str) -> Any:
    if name == "migrations":
        from sqlite_utils import Migrations

        built = Migrations(MIGRATION_SET)
        for migration_name, fn in MIGRATIONS:
            built(name=migration_name)(fn)
        globals()["migrations"] = built
        return built
    raise AttributeError(name)


def known_migration_names() -> list[str]:
    """This version's migrations, in order (a test may have replaced the set)."""
    built = globals().get("migrations")
    if built is not None:
        return [m.name for m in built._migrations]
    return [n for n, _ in MIGRATIONS]

SCHEMA_0001 = """
CREATE TABLE agency (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    agency_class TEXT NOT NULL,
    billing_code TEXT
) STRICT;
CREATE TABLE orders (
    request_number TEXT PRIMARY KEY NOT NULL,
    request_date TEXT NOT NULL,
    order_type TEXT NOT NULL,
    contractor TEXT NOT NULL,
    contract_number TEXT,
    category TEXT,
    description TEXT,
    quantity INTEGER,
    street TEXT,
    city TEXT,
    zip TEXT,
    one_time_cost INTEGER,
    monthly_cost INTEGER,
    catalog_status TEXT,
    catalog_status_as_of TEXT,
    delegation_required INTEGER,
    status TEXT,
    delegation_id TEXT REFERENCES delegations(delegation_id),
    exemption_id TEXT REFERENCES exemptions(exemption_id),
    circuit_id TEXT,
    billing_account TEXT,
    placed_by TEXT,
    completed_on TEXT
) STRICT;
CREATE TABLE exemptions (
    exemption_id TEXT PRIMARY KEY NOT NULL,
    project TEXT NOT NULL,
    services TEXT,
    service_locations TEXT,
    reason TEXT,
    calnet_gap TEXT,
    consequences TEXT,
    provider TEXT,
    provider_documents TEXT,
    contract_length_months INTEGER,
    contract_terms TEXT,
    early_termination TEXT,
    extensions TEXT,
    total_cost INTEGER,
    cost_by_item TEXT,
    sla_rights_remedies TEXT,
    ipr_documentation TEXT,
    fsr_reference TEXT,
    signer TEXT,
    signer_title TEXT,
    submitted_on TEXT,
    decision TEXT,
    decided_on TEXT,
    term_end TEXT,
    general_delegation_id TEXT REFERENCES delegations(delegation_id)
) STRICT;
CREATE TABLE delegations (
    delegation_id TEXT PRIMARY KEY NOT NULL,
    type TEXT NOT NULL,
    project TEXT NOT NULL,
    scope TEXT,
    purpose TEXT,
    activities TEXT,
    locations TEXT,
    products_equipment TEXT,
    staff_qualifications TEXT,
    justification TEXT,
    consequences_if_denied TEXT,
    signer TEXT,
    signer_title TEXT,
    submitted_on TEXT,
    decision TEXT,
    decided_on TEXT,
    timeframe_end TEXT
) STRICT;
CREATE TABLE atos (
    ato_id TEXT PRIMARY KEY NOT NULL,
    contractor TEXT NOT NULL,
    contract_number TEXT,
    services TEXT NOT NULL,
    approved_on TEXT,
    term_months INTEGER,
    notice_given_on TEXT
) STRICT;
CREATE TABLE outside_contracts (
    contract_id TEXT PRIMARY KEY NOT NULL,
    provider TEXT NOT NULL,
    services TEXT NOT NULL,
    end_date TEXT,
    renewal_date TEXT,
    exemption_id TEXT REFERENCES exemptions(exemption_id),
    calnet_offers INTEGER
) STRICT;
CREATE TABLE people (
    person_id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    cdt965_date TEXT,
    active INTEGER,
    email TEXT,
    phone TEXT
) STRICT;
CREATE TABLE contracts (
    contract_number TEXT PRIMARY KEY NOT NULL,
    generation TEXT NOT NULL,
    contractor TEXT NOT NULL,
    categories TEXT,
    award_date TEXT,
    end_date TEXT
) STRICT;
CREATE TABLE history (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
    changes TEXT NOT NULL,
    reason TEXT,
    prev TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
) STRICT;
CREATE INDEX history_record ON history (kind, key);
CREATE INDEX orders_request_date ON orders (request_date);
CREATE INDEX orders_delegation ON orders (delegation_id);
CREATE INDEX orders_exemption ON orders (exemption_id);
CREATE INDEX exemptions_general_delegation ON exemptions (general_delegation_id);
CREATE INDEX outside_contracts_exemption ON outside_contracts (exemption_id);
"""


SCHEMA_0002 = """
CREATE TABLE documents (
    sha256 TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    media_type TEXT NOT NULL,
    added_at TEXT NOT NULL
) STRICT;
CREATE TABLE document_links (
    sha256 TEXT NOT NULL REFERENCES documents(sha256),
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (sha256, kind, key)
) STRICT;
CREATE INDEX document_links_record ON document_links (kind, key);
CREATE VIRTUAL TABLE search_index USING fts5(
    kind UNINDEXED, key UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2'
);
"""

# Each searchable table's rows sit in search_index at rowid = table rowid * 16 + code.
# (VACUUM could renumber rowids; the register never runs it, and rebuild_search_index()
# puts the index right after anything that might.)
SEARCH_CODES = {"orders": 1, "exemptions": 2, "delegations": 3, "atos": 4,
                "outside_contracts": 5, "people": 6, "contracts": 7, "documents": 8,
                "catalog_items": 9}
SEARCHABLE_TYPES = ("text", "choice", "list", "date")


def record_tables() -> list[str]:
    """Tables whose rows change only through the store (and so through the history)."""
    return ["agency", *(k.table for k in KINDS.values()), "documents", "document_links",
            "deadline_marks", "reminder_ladders", "ipr_calculations", "statements",
            "statement_lines", "billing_marks"]


def _search_source(table: str, present: set[str] | None = None
                   ) -> tuple[str, str, list[str]]:
    """(kind name, key column, searchable columns) of a searchable table; with ``present``
    (the table's columns so far, during a migration) only those it has yet."""
    if table == "documents":
        return "documents", "sha256", ["name", "media_type"]
    kind = next(k for k in KINDS.values() if k.table == table)
    return kind.name, key_sql(kind, "{t}"), [f.name for f in kind.fields
                                      if f.type in SEARCHABLE_TYPES
                                      and (present is None or f.name in present)]


def key_sql(kind: Kind, table: str = "") -> str:
    """The SQL expression of a kind's key text: its key column, or its key columns joined
    by the separator (``a || ':' || b``), each prefixed with ``table.`` when given (or with
    a ``{t}.`` placeholder, filled by :func:`_qualified`)."""
    prefix = f"{table}." if table else ""
    if not kind.composite:
        return f"{prefix}{kind.key.name}"
    return f" || '{KEY_SEPARATOR}' || ".join(f"{prefix}{n}" for n in kind.key_names)


def _qualified(expression: str, table: str) -> str:
    return expression.replace("{t}", table) if "{t}" in expression else (
        f"{table}.{expression}")


def _body(prefix: str, columns: list[str]) -> str:
    return " || ' ' || ".join(f"coalesce({prefix}.{c}, '')" for c in columns)


def trigger_definitions(existing: set[str], columns: dict[str, set[str]] | None = None
                        ) -> dict[str, str]:
    """Every trigger by name, for the tables that exist so far (and, given ``columns``,
    their columns so far: an earlier migration runs before later ones add columns)."""
    defs: dict[str, str] = {}
    if "history" in existing:
        for op in ("update", "delete"):
            defs[f"history_append_only_{op}"] = (
                f"CREATE TRIGGER history_append_only_{op} BEFORE {op.upper()} ON history "
                "BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END")
    # The guards make a change outside CALNET Desk fail (the function they call exists
    # only on CALNET Desk's write connection): such a change would bypass the history.
    for table in record_tables():
        if table not in existing:
            continue
        for op in ("insert", "update", "delete"):
            defs[f"{table}_guard_{op}"] = (
                f"CREATE TRIGGER {table}_guard_{op} BEFORE {op.upper()} ON {table} "
                f"WHEN {WRITER_FUNCTION}() IS NOT 1 BEGIN SELECT RAISE(ABORT, "
                "'records change only through CALNET Desk, which keeps their history'); END")
    if "search_index" in existing:
        for table, code in SEARCH_CODES.items():
            if table not in existing:
                continue
            kind, key, cols = _search_source(table, columns.get(table) if columns else None)
            insert = (f"INSERT INTO search_index (rowid, kind, key, body) VALUES "
                      f"(new.rowid * 16 + {code}, '{kind}', {_qualified(key, 'new')}, "
                      f"{_body('new', cols)});")
            delete = f"DELETE FROM search_index WHERE rowid = old.rowid * 16 + {code};"
            defs[f"{table}_search_insert"] = (
                f"CREATE TRIGGER {table}_search_insert AFTER INSERT ON {table} "
                f"BEGIN {insert} END")
            defs[f"{table}_search_update"] = (
                f"CREATE TRIGGER {table}_search_update AFTER UPDATE ON {table} "
                f"BEGIN {delete} {insert} END")
            defs[f"{table}_search_delete"] = (
                f"CREATE TRIGGER {table}_search_delete AFTER DELETE ON {table} "
                f"BEGIN {delete} END")
    return defs


def expected_triggers() -> set[str]:
    """The trigger list of a register at the current schema."""
    everything = {"history", "search_index", *record_tables()}
    return set(trigger_definitions(everything))


def _existing_tables(db: Any) -> set[str]:
    return {r[0] for r in db.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}


def _columns(db: Any, table: str) -> set[str]:
    return {str(r[1]) for r in db.conn.execute(f'PRAGMA table_info("{table}")')}


def install_triggers(db: Any) -> None:
    """(Re-)create every trigger, in their current definition. Runs after each migration
    (a ``table.transform()`` drops a table's triggers) and at the end of migrating."""
    drop_triggers(db)
    existing = _existing_tables(db)
    columns = {t: _columns(db, t) for t in SEARCH_CODES if t in existing}
    for sql in trigger_definitions(existing, columns).values():
        db.conn.execute(sql)


def drop_triggers(db: Any) -> None:
    for (name,) in db.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.conn.execute(f"DROP TRIGGER IF EXISTS {name}")


def rebuild_search_index(db: Any) -> None:
    """Refill the search index from the tables (after a restore or anything that may have
    renumbered rowids)."""
    db.conn.execute("DELETE FROM search_index")
    existing = _existing_tables(db)
    for table, code in SEARCH_CODES.items():
        if table not in existing:  # during a migration: a later one makes it
            continue
        kind, key, cols = _search_source(table, _columns(db, table))
        db.conn.execute(
            f"INSERT INTO search_index (rowid, kind, key, body) SELECT rowid * 16 + {code}, "
            f"'{kind}', {_qualified(key, table)}, {_body(table, cols)} FROM {table}")


@migration("0001_initial")
def m0001_initial(db: Any) -> None:
    for statement in SCHEMA_0001.split(";"):
        if statement.strip():
            db.conn.execute(statement)
    install_triggers(db)


@migration("0002_documents_and_search")
def m0002_documents_and_search(db: Any) -> None:
    for statement in SCHEMA_0002.split(";"):
        if statement.strip():
            db.conn.execute(statement)
    rebuild_search_index(db)
    install_triggers(db)


SCHEMA_0003 = """
CREATE TABLE deadline_marks (
    record_kind TEXT NOT NULL,
    key TEXT NOT NULL,
    deadline_kind TEXT NOT NULL,
    mark TEXT NOT NULL CHECK (mark IN ('acknowledged', 'snoozed')),
    deadline_date TEXT NOT NULL,
    until TEXT,
    PRIMARY KEY (record_kind, key, deadline_kind)
) STRICT;
CREATE TABLE reminder_ladders (
    record_kind TEXT NOT NULL,
    key TEXT NOT NULL,
    ladder TEXT NOT NULL,
    PRIMARY KEY (record_kind, key)
) STRICT;
"""


@migration("0003_deadline_marks_and_ladders")
def m0003_deadline_marks_and_ladders(db: Any) -> None:
    for statement in SCHEMA_0003.split(";"):
        if statement.strip():
            db.conn.execute(statement)
    install_triggers(db)


# An exemption's saved Individual Price Reduction calculation (STMM 501.0): the inputs only
# (money in integer cents, the checklist as comma-separated codes); the saving and whether
# it meets the guide are computed from them, with the rule set in force, when asked.
SCHEMA_0004 = """
CREATE TABLE ipr_calculations (
    exemption_id TEXT PRIMARY KEY NOT NULL REFERENCES exemptions(exemption_id),
    calnet_cost INTEGER NOT NULL CHECK (calnet_cost > 0),
    alternative_cost INTEGER NOT NULL CHECK (alternative_cost > 0),
    months INTEGER CHECK (months > 0),
    checklist TEXT,
    network_attested INTEGER NOT NULL CHECK (network_attested IN (0, 1))
) STRICT;
"""


@migration("0004_ipr_calculations")
def m0004_ipr_calculations(db: Any) -> None:
    for statement in SCHEMA_0004.split(";"):
        if statement.strip():
            db.conn.execute(statement)
    install_triggers(db)


# Contractors' monthly statements (billing cross-check). A statement is named by contractor
# and month and rests on its source file, stored as a document (sha256); its lines are
# derived from that file (verify re-derives them), so they have no history entries of their
# own: the statement's entry names the file, its line count and totals. Marks on the
# reconciliation's findings are kept by (month, contractor, code, line) so they survive
# re-runs and re-imports.
SCHEMA_0005 = """
CREATE TABLE statements (
    contractor TEXT NOT NULL,
    month TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES documents(sha256),
    name TEXT NOT NULL,
    lines INTEGER NOT NULL,
    total_mrc INTEGER NOT NULL,
    total_nrc INTEGER NOT NULL,
    PRIMARY KEY (contractor, month)
) STRICT;
CREATE TABLE statement_lines (
    contractor TEXT NOT NULL,
    month TEXT NOT NULL,
    row INTEGER NOT NULL,
    ban TEXT,
    wtn TEXT,
    circuit_id TEXT,
    sr_number TEXT,
    product_id TEXT,
    description TEXT,
    quantity INTEGER,
    mrc INTEGER,
    nrc INTEGER,
    usage REAL,
    street TEXT,
    city TEXT,
    zip TEXT,
    PRIMARY KEY (contractor, month, row)
) STRICT, WITHOUT ROWID;
CREATE TABLE billing_marks (
    month TEXT NOT NULL,
    contractor TEXT NOT NULL,
    code TEXT NOT NULL,
    line TEXT NOT NULL,
    mark TEXT NOT NULL CHECK (mark IN ('disputed', 'credited', 'explained', 'resolved')),
    amount INTEGER,
    note TEXT,
    marked_by TEXT NOT NULL,
    marked_at TEXT NOT NULL,
    PRIMARY KEY (month, contractor, code, line)
) STRICT;
"""


@migration("0005_billing_statements")
def m0005_billing_statements(db: Any) -> None:
    for statement in SCHEMA_0005.split(";"):
        if statement.strip():
            db.conn.execute(statement)
    install_triggers(db)


# Request elements the policy review found missing (issue 15): why the services are needed,
# the IPR comparability and network statement (STMM 501.0), a delegation's timeframe start
# (STMM 3-502.0). Columns are appended, as the kinds declare them last.
SCHEMA_0006 = """
ALTER TABLE exemptions ADD COLUMN need TEXT;
ALTER TABLE exemptions ADD COLUMN ipr_comparability TEXT;
ALTER TABLE exemptions ADD COLUMN ipr_network_ok INTEGER;
ALTER TABLE delegations ADD COLUMN timeframe_start TEXT;
"""


@migration("0006_request_elements")
def m0006_request_elements(db: Any) -> None:
    drop_triggers(db)  # the search triggers name the new columns: made again below
    for statement in SCHEMA_0006.split(";"):
        if statement.strip():
            db.conn.execute(statement)
    install_triggers(db)
    rebuild_search_index(db)


@migration("0007_history_chain_v2")
def m0007_history_chain_v2(db: Any) -> None:
    """Chain version 2 (store/history.py, docs/history-chain.md): each entry gets a salt
    and the chain is recomputed from the first entry. The entries' content is unchanged, so
    their version 1 hashes can still be recomputed from it."""
    from .history import GENESIS, body_of, entry_hash, new_salt, read_entries

    drop_triggers(db)  # the history is append-only; this rewrites only its link columns
    db.conn.execute("ALTER TABLE history ADD COLUMN salt TEXT NOT NULL DEFAULT ''")
    db.conn.execute("ALTER TABLE history ADD COLUMN body TEXT NOT NULL DEFAULT ''")
    prev = GENESIS
    updates = []
    for entry in read_entries(db.conn):
        entry["salt"], entry["prev"], entry["body"] = new_salt(), prev, None
        entry["body"] = body_of(entry)
        prev = entry_hash(entry)
        updates.append((entry["salt"], entry["body"], entry["prev"], prev, entry["id"]))
    # a temporary hash first: the column is UNIQUE and the new values may meet old ones
    db.conn.execute("UPDATE history SET hash = 'v1-' || hash")
    db.conn.executemany("UPDATE history SET salt = ?, body = ?, prev = ?, hash = ? "
                        "WHERE id = ?", updates)
    install_triggers(db)


# Reference data (issue 15): the items of the contractors' catalogs, named by contract and
# product id (a composite key: the history, document links and search index call one
# "CONTRACT:PRODUCT"), each with its Catalog A status, Catalog B delegation flag, the day
# they were read and where; orders name the item they pick by contract and product id;
# contracts say where they were read (the seeded ones: a public record) and its date.
SCHEMA_0010 = """
CREATE TABLE catalog_items (
    contract_number TEXT NOT NULL,
    product_id TEXT NOT NULL,
    description TEXT,
    category TEXT,
    catalog_status TEXT,
    delegation_required INTEGER,
    as_of TEXT,
    source TEXT,
    PRIMARY KEY (contract_number, product_id)
) STRICT;
ALTER TABLE orders ADD COLUMN product_id TEXT;
ALTER TABLE contracts ADD COLUMN source TEXT;
ALTER TABLE contracts ADD COLUMN source_date TEXT;
CREATE INDEX orders_catalog_item ON orders (contract_number, product_id);
"""


@migration("0010_catalog_items")
def m0010_catalog_items(db: Any) -> None:
    drop_triggers(db)  # the orders' search trigger names the new column: made again below
    for statement in SCHEMA_0010.split(";"):
        if statement.strip():
            db.conn.execute(statement)
    install_triggers(db)
    rebuild_search_index(db)


SCHEMA_0011 = """
CREATE TABLE look_alike_keys (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    twin TEXT NOT NULL,
    PRIMARY KEY (kind, key)
) STRICT;
"""


@migration("0011_look_alike_keys")
def m0011_look_alike_keys(db: Any) -> None:
    """Keys are now unique under Unicode's confusables skeleton too (store/keys.py). Keys
    already in the register that clash under the new rule stay as they are (never merged,
    and opening the register never fails for them): each clash is recorded here, `list`
    and `verify` report it, and no new look-alike key is accepted."""
    from .keys import clashes

    db.conn.execute(SCHEMA_0011)
    for kind in KINDS.values():
        keys = [str(r[0]) for r in db.conn.execute(
            f"SELECT {key_sql(kind)} FROM {kind.table}")]
        db.conn.executemany("INSERT INTO look_alike_keys (kind, key, twin) VALUES (?, ?, ?)",
                            [(kind.name, key, twin) for key, twin in clashes(keys)])
