"""Record factories shared by the tests: the smallest valid record of a kind, with any
field given as a keyword."""

from __future__ import annotations

from typing import Any


def order(key: str = "HO-1", **extra: Any) -> dict[str, Any]:
    """An order with just its required fields (and whatever is given)."""
    return {"request_number": key, "request_date": "2026-01-02", "order_type": "new",
            "contractor": "AT&T", **extra}
