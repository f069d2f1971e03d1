"""The register's schema: named migrations (sqlite-utils' Migrations) and its triggers.

Migrations are literal SQL, frozen once released: a later change is a new migration,
never an edit of an old one. tests/fixtures holds the SQL text of every released schema,
and the tests migrate each of them to the current one.

Triggers are created in one place, :func:`install_triggers`, which runs at the end of
every migration (a ``table.transform()`` drops a table's triggers).
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Migrations

from ..records import KINDS

APPLICATION_ID = 0x434C4E44  # "CLND": marks a file as a CALNET Desk register
MIGRATION_SET = "calnet-desk"
WRITER_FUNCTION = "calnet_desk_writing"

migrations = Migrations(MIGRATION_SET)

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


def record_tables() -> list[str]:
    return ["agency", *(k.table for k in KINDS.values())]


def expected_triggers() -> set[str]:
    names = {"history_append_only_update", "history_append_only_delete"}
    for table in record_tables():
        names |= {f"{table}_guard_{op}" for op in ("insert", "update", "delete")}
    return names


def install_triggers(db: Any) -> None:
    """(Re-)create every trigger. Runs after each migration; idempotent.

    The guard triggers make a record change outside CALNET Desk fail (the function they
    call exists only on CALNET Desk's write connection), because such a change would
    bypass the history. The history itself is append-only.
    """
    conn = db.conn
    conn.execute(
        "CREATE TRIGGER IF NOT EXISTS history_append_only_update BEFORE UPDATE ON history "
        "BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END"
    )
    conn.execute(
        "CREATE TRIGGER IF NOT EXISTS history_append_only_delete BEFORE DELETE ON history "
        "BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END"
    )
    for table in record_tables():
        for op in ("insert", "update", "delete"):
            conn.execute(
                f"CREATE TRIGGER IF NOT EXISTS {table}_guard_{op} BEFORE {op.upper()} "
                f"ON {table} WHEN {WRITER_FUNCTION}() IS NOT 1 BEGIN SELECT RAISE(ABORT, "
                "'records change only through CALNET Desk, which keeps their history'); END"
            )


def drop_triggers(db: Any) -> None:
    for name in expected_triggers():
        db.conn.execute(f"DROP TRIGGER IF EXISTS {name}")


@migrations(name="0001_initial")
def m0001_initial(db: Any) -> None:
    for statement in SCHEMA_0001.split(";"):
        if statement.strip():
            db.conn.execute(statement)
    install_triggers(db)
