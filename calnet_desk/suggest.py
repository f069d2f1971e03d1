"""What the editor offers while typing a person, a contractor or a contract number: the
register's people (inactive ones marked), its CALNET contracts and their contractors. Typing
something else stays allowed; an order placed by an inactive ATR is caught before saving
(the order-placed-by-inactive-atr finding, STMM 0300.0)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .records import KINDS, Value
from .store import Register


@dataclass(frozen=True)
class Suggestion:
    value: str  # what goes into the field
    label: str  # what the list shows
    inactive: bool = False
    # what picking it puts in the form's other fields (a catalog item: its contract, status,
    # delegation flag and as-of date); empty for most
    fills: tuple[tuple[str, Value], ...] = ()


# (kind, field) -> what it is picked from
PEOPLE_FIELDS = {("orders", "placed_by"), ("exemptions", "signer"), ("delegations", "signer")}
CONTRACTOR_FIELDS = {("orders", "contractor"), ("atos", "contractor")}
CONTRACT_FIELDS = {("orders", "contract_number"), ("atos", "contract_number"),
                   ("catalog-items", "contract_number")}
CATALOG_FIELDS = {("orders", "product_id")}
SUGGESTED = PEOPLE_FIELDS | CONTRACTOR_FIELDS | CONTRACT_FIELDS | CATALOG_FIELDS
ROLES = {"atr": "ATR", "catr": "CATR", "aio": "AIO", "cio": "CIO"}


def people(reg: Register) -> list[dict[str, Any]]:
    return reg.records(KINDS["people"])


def suggestions(reg: Register, kind: str, field: str) -> list[Suggestion]:
    """The choices for a field, active people first; [] for a field picked from nothing."""
    if (kind, field) in PEOPLE_FIELDS:
        wanted = "atr" if field == "placed_by" else None
        found = []
        for p in people(reg):
            if not p.get("name"):
                continue
            role = ROLES.get(str(p.get("role")), str(p.get("role") or ""))
            inactive = p.get("active") is False
            found.append(Suggestion(str(p["name"]), f"{p['name']} — {role} ({p['person_id']})"
                                    f"{', inactive' if inactive else ''}", inactive))
        return sorted(found, key=lambda s: (s.inactive, wanted is not None
                                            and f"— {ROLES[wanted]} " not in s.label,
                                            s.value.casefold()))
    if (kind, field) in CATALOG_FIELDS:
        return catalog_suggestions(reg)
    contracts = reg.records(KINDS["contracts"])
    if (kind, field) in CONTRACTOR_FIELDS:
        names = sorted({str(c["contractor"]) for c in contracts if c.get("contractor")},
                       key=str.casefold)
        return [Suggestion(n, n) for n in names]
    if (kind, field) in CONTRACT_FIELDS:
        return [Suggestion(str(c["contract_number"]),
                           f"{c['contract_number']} — {c.get('contractor') or ''}"
                           f"{' (' + str(c['generation']) + ')' if c.get('generation') else ''}")
                for c in sorted(contracts, key=lambda c: str(c["contract_number"]))]
    return []


def catalog_suggestions(reg: Register) -> list[Suggestion]:
    """The catalog items an order may pick, by contract and product id: picking one puts
    its contract, contractor, category, status, delegation flag and as-of date in the order
    (policy/catalog.py's INHERITED, and what the item tells of the order)."""
    from .policy.catalog import INHERITED

    contractors = {str(c["contract_number"]): c.get("contractor")
                   for c in reg.records(KINDS["contracts"])}
    out = []
    for item in reg.records(KINDS["catalog-items"]):
        contract = str(item["contract_number"])
        status = item.get("catalog_status")
        flag = item.get("delegation_required")
        facts = [contract, *([str(status).capitalize()] if status else []),
                 *([f"delegation {'yes' if flag else 'no'}"] if flag is not None else []),
                 *([f"as of {_us(str(item['as_of']))}"] if item.get("as_of") else [])]
        fills: list[tuple[str, Value]] = [("contract_number", contract)]
        if contractors.get(contract):
            fills.append(("contractor", contractors[contract]))
        fills += [(mine, item.get(theirs)) for mine, theirs in INHERITED]
        fills += [("category", item.get("category"))]
        about = f" — {item['description']}" if item.get("description") else ""
        out.append(Suggestion(str(item["product_id"]),
                              f"{item['product_id']} · {' · '.join(facts)}{about}",
                              fills=tuple(fills)))
    return out


def _us(iso: str) -> str:
    return f"{iso[5:7]}/{iso[8:10]}/{iso[:4]}" if len(iso) == 10 else iso


def _same(a: object, b: str) -> bool:
    return isinstance(a, str) and a.strip().casefold() == b.strip().casefold()


def inactive_atr(everyone: list[dict[str, Any]], placed_by: str) -> dict[str, Any] | None:
    """The inactive ATR ``placed_by`` names (by id or name), unless an active person answers
    to it too: the same test as the order-placed-by-inactive-atr finding."""
    if not placed_by.strip():
        return None
    matches = [p for p in everyone
               if _same(p.get("person_id"), placed_by) or _same(p.get("name"), placed_by)]
    atr = next((p for p in matches if p.get("role") == "atr" and p.get("active") is False),
               None)
    if atr is None or any(p.get("active") is True for p in matches):
        return None
    return atr
