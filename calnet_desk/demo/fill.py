"""Writing the demo into a register: one transaction through the store's normal path, so the
history and verify hold as for any data."""

from __future__ import annotations

from pathlib import Path

from .. import demo_billing
from ..policy.seeds import holds_only_seeds
from ..records import KINDS
from ..store import Register, StoreError
from ..store import documents as docs
from .generate import generate
from .reference import (
    AS_OF,
    DEFAULT_ORDERS,
    DEFAULT_SEED,
    DEMO_AGENCY,
    DEMO_BILLING_CODE,
    DEMO_CLASS,
    Report,
)


class NotEmpty(StoreError):
    """The demo fills only a new or empty register."""



# --- writing it --------------------------------------------------------------------------

# Referenced kinds first, so every reference resolves.
FILL_ORDER = ("contracts", "catalog-items", "people", "delegations", "exemptions", "atos",
              "outside-contracts", "orders")


def record_counts(reg: Register) -> dict[str, int]:
    counts = {kind.name: reg.count(kind) for kind in KINDS.values()}
    counts["documents"] = docs.document_count(reg)
    return counts


def check_empty(reg: Register) -> None:
    """Raise NotEmpty unless the register holds no records and no documents, apart from the
    contracts ``init`` seeds (as seeded: the demo keeps them and adds the rest)."""
    counts = record_counts(reg)
    held = {k: n for k, n in counts.items() if n}
    if held and not holds_only_seeds(reg, counts):
        what = ", ".join(f"{n:,} {k}" for k, n in held.items())
        raise NotEmpty(
            f"the register in {reg.paths.root} already holds records ({what}); the demo "
            "fills only a new or empty register (the contracts init seeds aside), so "
            "nothing was changed. Choose another folder: calnet-desk-cli --data-dir DIR demo")


def fill_demo(reg: Register, orders: int = DEFAULT_ORDERS, seed: int = DEFAULT_SEED,
              report: Report | None = None) -> dict[str, int]:
    """Fill an empty register (open for writing) with the demo; returns what was added."""
    check_empty(reg)
    held = reg.agency()
    agency = str(held.get("name") or DEMO_AGENCY)
    agency_class = str(held.get("agency_class") or DEMO_CLASS)
    if report:
        report(f"generating {orders:,} orders and the rest (seed {seed})")
    data = generate(orders, seed, agency, agency_class)
    if report:
        report(f"storing {len(data.documents):,} documents")
    stored = [docs.store_bytes(reg.paths, d.content) for d in data.documents]
    step = max(1000, orders // 10)
    reported = [0]

    def progress(done: int, total: int) -> None:
        if report and done > reported[0] and (done % step == 0 or done == total):
            reported[0] = done
            report(f"{done:,} of {total:,} orders written")

    with reg.transaction(f"demo data (seed {seed})") as tx:
        check_empty(reg)  # again, now under the writer's transaction
        seeded = reg.keys(KINDS["contracts"])  # kept as init seeded them
        for name in FILL_ORDER:
            kind = KINDS[name]
            records = data.records[name]
            if name == "contracts":
                records = [r for r in records if r["contract_number"] not in seeded]
            tx.put_many(kind, records, progress=progress if name == "orders" else None)
        for d, (sha, size) in zip(data.documents, stored, strict=True):
            docs.add_document(tx, sha, d.name, size)
            for kind, key in d.links:
                docs.link(tx, sha, kind, key)
        statements = 0
        if orders <= demo_billing.MAX_ORDERS:  # small demos: a year of contractor statements
            statements = demo_billing.add_statements(tx, data.records["orders"], seed, AS_OF)
        if report:
            report("committing")
    counts = {name: len(data.records[name]) for name in FILL_ORDER}
    counts["contracts"] -= len(seeded & {str(r["contract_number"])
                                          for r in data.records["contracts"]})
    counts["documents"] = len(data.documents)
    if statements:
        counts["statements"] = statements
    return counts


def create_demo(root: Path, orders: int = DEFAULT_ORDERS, seed: int = DEFAULT_SEED,
                report: Report | None = None, agency_class: str = DEMO_CLASS) -> Register:
    """A new register with the demo agency (of the class given), filled; returned open for
    writing."""
    reg = Register.create(root, agency=DEMO_AGENCY, agency_class=agency_class,
                          billing_code=DEMO_BILLING_CODE)
    try:
        fill_demo(reg, orders, seed, report)
    except BaseException:
        reg.close()
        raise
    return reg
