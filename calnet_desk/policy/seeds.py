"""The CALNET contracts `init` seeds: those named in public records, each with the record it
was read from and that record's date (``data/seed-contracts.toml``). A seed is a starting
point the coordinator edits, never a claim that the list is complete."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from ..records import KINDS, Record
from ..store import Register
from ..store.register import Changes

SEED_REASON = "seed: CALNET contracts named in public records (edit them; not a complete list)"


@cache
def _seed_text() -> str:
    return (resources.files("calnet_desk") / "data" / "seed-contracts.toml").read_text(
        encoding="utf-8")


def seed_contracts() -> list[Record]:
    """The seeded contracts, as records (every field of the kind, blank where unknown)."""
    kind = KINDS["contracts"]
    data: dict[str, Any] = tomllib.loads(_seed_text())
    out: list[Record] = []
    for entry in data.get("contracts", []):
        unknown = set(entry) - set(kind.columns)
        if unknown:  # a broken data file is the product's bug: say so, plainly
            raise ValueError(f"seed-contracts.toml: unknown field(s) {sorted(unknown)}")
        out.append({f.name: entry.get(f.name) for f in kind.fields})
    return out


def add_seeds(tx: Changes) -> int:
    """Write the seeded contracts (those not in the register yet); returns how many."""
    kind = KINDS["contracts"]
    new = [r for r in seed_contracts() if not tx.register.exists(kind, str(r["contract_number"]))]
    if new:
        tx.put_many(kind, new)
    return len(new)


def seed_register(reg: Register) -> int:
    """Seed a register's contracts in one transaction of their own."""
    with reg.transaction(SEED_REASON) as tx:
        return add_seeds(tx)


def holds_only_seeds(reg: Register, counts: dict[str, int]) -> bool:
    """Whether the records a register holds (``counts`` by kind, documents included) are
    only seeded contracts, as seeded (none edited, none added)."""
    if any(n for name, n in counts.items() if name != "contracts"):
        return False
    if not counts.get("contracts"):
        return True
    kind = KINDS["contracts"]
    seeds = {str(r["contract_number"]): r for r in seed_contracts()}
    for record in reg.records(kind):
        seed = seeds.get(str(record["contract_number"]))
        if seed is None or any(record.get(k) != v for k, v in seed.items()):
            return False
    return True
