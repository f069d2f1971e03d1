"""Catalog items (reference data): what an order takes from the item it names.

A catalog item is named by its contract and product id and holds the item's Required or
Discretionary status (the contractor's Pricing Catalog, Catalog A), its Delegation (Yes/No)
flag (Product Catalog B), the day they were read (``as_of``) and where. An order that names
an item (``contract_number`` and ``product_id``) takes the item's status, flag and as-of
date for those it leaves blank, so a coordinator reads the catalog once per item rather than
once per order; an order that records its own values keeps them (what was true when it was
placed), unless they are only part of the set and disagree with the item.
"""

from __future__ import annotations

from collections.abc import Callable

from ..records import CATALOG_ITEMS, KINDS, Record
from ..store import Register

# (the order's field, the item's field)
INHERITED = (("catalog_status", "catalog_status"),
             ("delegation_required", "delegation_required"),
             ("catalog_status_as_of", "as_of"))


def item_key(order: Record) -> str | None:
    """The key of the catalog item an order names, or None (no contract or product id)."""
    contract, product = order.get("contract_number"), order.get("product_id")
    if not isinstance(contract, str) or not contract or not isinstance(product, str) \
            or not product:
        return None
    named = {"contract_number": contract, "product_id": product}
    return None if CATALOG_ITEMS.key_problem(named) else CATALOG_ITEMS.record_key(named)


def inherit(order: Record, item: Record) -> bool:
    """Fill the order's blank catalog fields from its item, in place, when the values it
    has agree with the item's; returns whether anything was filled."""
    have = [(mine, theirs) for mine, theirs in INHERITED if order.get(mine) is not None]
    if any(order.get(mine) != item.get(theirs) for mine, theirs in have):
        return False
    filled = False
    for mine, theirs in INHERITED:
        if order.get(mine) is None and item.get(theirs) is not None:
            order[mine] = item[theirs]
            filled = True
    return filled


def completer(reg: Register, preload: bool = False) -> Callable[[Record], None]:
    """For ``Changes.put_many(complete=…)`` on orders: each order, as it is about to be
    written, takes its blank catalog fields from the item it names (read once per item;
    with ``preload``, every item is read at once now and the register is not read again,
    as an import writing on a thread of its own needs)."""
    items: dict[str, Record | None] = {}
    if preload:
        items.update((CATALOG_ITEMS.record_key(r), r) for r in reg.records(CATALOG_ITEMS))
    # (contract, product) -> the item they name, or None: an import's orders name a few
    # items many times, and item_key depends on nothing else
    named: dict[tuple[object, object], Record | None] = {}

    def item_of(order: Record) -> Record | None:
        key = item_key(order)
        if key is None:
            return None
        if key not in items:
            items[key] = None if preload else reg.get(CATALOG_ITEMS, key)
        return items[key]

    def complete(order: Record) -> None:
        pair = (order.get("contract_number"), order.get("product_id"))
        try:
            item = named[pair]
        except KeyError:
            item = named[pair] = item_of(order)
        except TypeError:  # a value that cannot be hashed names no item (item_key)
            item = item_of(order)
        if item is not None:
            inherit(order, item)

    return complete


def completer_for(reg: Register, kind_name: str, preload: bool = False
                  ) -> Callable[[Record], None] | None:
    """The completer a kind's writes go through (orders), else None."""
    return completer(reg, preload) if kind_name == KINDS["orders"].name else None
