"""The demo agency's contractor statements: twelve months per contractor up to the demo's
as-of month, billing the services its orders describe, with a few cases of each
reconciliation finding planted for people to explore (``calnet-desk-cli reconcile``).

Only small demos get them (see MAX_ORDERS): the 100,000-order benchmark register does not.
The same seed gives the same files, byte for byte.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .exchange.billing import StatementReading, write_statement
from .policy.reconcile import normalise
from .records import Record
from .store.documents import hash_file
from .store.register import Changes

MAX_ORDERS = 5000
MONTHS = 12
HEADER = ["Billing Account Number", "Working Telephone Number", "Circuit ID", "SR Number",
          "Product ID", "Description", "Qty", "Contract MRC", "Contract NRC", "Minutes of Use",
          "Service Address", "City", "Zip"]


def months_until(as_of: dt.date, count: int = MONTHS) -> list[str]:
    """The ``count`` months ending with the as-of month, oldest first."""
    y, m = as_of.year, as_of.month
    out = []
    for _ in range(count):
        out.append(f"{y}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


def _sort_key(o: Record) -> tuple[str, bool, str, str]:
    done = o.get("completed_on")
    return (str(o["request_date"]), done is None, str(done or ""), str(o["request_number"]))


def _services(orders: list[Record]) -> dict[str, list[list[Record]]]:
    """Per contractor, the services (orders sharing a normalised circuit id), each sorted
    as reconcile sorts them."""
    by: dict[tuple[str, str], list[Record]] = {}
    for o in orders:
        circuit = o.get("circuit_id")
        n = normalise(circuit) if isinstance(circuit, str) else None
        if o.get("status") == "draft":
            continue
        # an order without a circuit id is a service of its own, billed by its SR number
        by.setdefault((str(o["contractor"]), n or f"SR {o['request_number']}"), []).append(o)
    out: dict[str, list[list[Record]]] = {}
    for (contractor, _n), group in sorted(by.items()):
        out.setdefault(contractor, []).append(sorted(group, key=_sort_key))
    return out


def _cents(order: Record) -> int:
    cost = order.get("monthly_cost")
    return cost if isinstance(cost, int) and not isinstance(cost, bool) else 0


def _written_as(order: Record, rng: random.Random) -> tuple[str, str, str]:
    """(wtn, circuit id, SR number) as a contractor's file writes the order's service."""
    circuit = order.get("circuit_id")
    if not isinstance(circuit, str) or normalise(circuit) is None:
        return "", "", str(order["request_number"])
    n = normalise(circuit) or circuit
    if n.isdigit() and len(n) == 10:
        return rng.choice((f"1-{n[:3]}-{n[3:6]}-{n[6:]}", f"({n[:3]}) {n[3:6]}-{n[6:]}",
                           n)), "", ""
    return "", circuit.replace("/", "."), ""


def statement_files(orders: list[Record], seed: int, as_of: dt.date
                    ) -> Iterator[tuple[str, str, str, bytes]]:
    """(contractor, month, file name, CSV bytes) of every demo statement."""
    rng = random.Random(seed * 31 + 18)
    months = months_until(as_of)
    for contractor, services in _services(orders).items():
        live = []
        gone = []
        for group in services:
            last = group[-1]
            if last["status"] == "completed" and last["order_type"] == "disconnect":
                gone.append(group)
            elif last["status"] == "completed" and _cents(last) > 0:
                live.append(group)
        if not live:
            continue
        # the planted cases, a few of each
        unused = {i for i in range(len(live)) if i % 25 == 0}
        pricey = {i for i in range(len(live)) if i % 15 == 5}
        doubled = {i for i in range(len(live)) if i % 13 == 7}
        skipped = {i for i in range(len(live)) if i % 20 == 3}
        prefix = "".join(ch for ch in contractor.upper() if ch.isalnum())[:4] or "CTR"
        for k, month in enumerate(months):
            first_day = f"{month}-01"
            buffer = io.StringIO(newline="")
            w = csv.writer(buffer, lineterminator="\r\n")
            w.writerow(HEADER)
            for i, group in enumerate(live):
                last = group[-1]
                done = last.get("completed_on")
                if i in skipped or not isinstance(done, str) or done >= first_day:
                    continue
                wtn, circuit, sr = _written_as(last, rng)
                cost = _cents(last)
                if i in pricey:
                    cost += 1250
                usage = "0" if i in unused else str(rng.randrange(20, 4000))
                address = [str(last.get("street") or ""), str(last.get("city") or ""),
                           str(last.get("zip") or "")]
                row = [str(last.get("billing_account") or ""), wtn, circuit, sr,
                       "SVC", str(last.get("description") or "")[:60], "1",
                       f"{cost / 100:.2f}", "", usage, *address]
                w.writerow(row)
                if i in doubled and k % 4 == 1:
                    w.writerow(row)
            for j, group in enumerate(gone[:2]):  # still billed after the disconnect
                last = group[-1]
                done = last.get("completed_on")
                if not isinstance(done, str) or done >= first_day:
                    continue
                wtn, circuit, sr = _written_as(last, rng)
                cost = next((c for o in reversed(group)
                             if isinstance(c := o.get("monthly_cost"), int) and c > 0), 4500)
                w.writerow([str(last.get("billing_account") or ""), wtn, circuit, sr,
                            "SVC", "Service", "1", f"{cost / 100:.2f}", "",
                            str(rng.randrange(0, 30) if j else 0),
                            str(last.get("street") or ""), str(last.get("city") or ""),
                            str(last.get("zip") or "")])
            if k % 3 == 0:  # a line no order explains
                w.writerow([f"{prefix}-UNKNOWN", f"916-555-{9000 + k:04d}", "", "", "SVC",
                            "Business line", "1", "38.50", "", str(rng.randrange(0, 900)),
                            "1500 Capitol Ave", "Sacramento", "95814"])
            text = buffer.getvalue()
            if text.count("\n") < 2:
                continue  # nothing billed that month: no statement
            name = f"{prefix.lower()}-statement-{month}.csv"
            yield contractor, month, name, text.encode("utf-8")


def add_statements(tx: Changes, orders: list[Record], seed: int, as_of: dt.date) -> int:
    """Write the demo statements inside the demo's transaction; returns how many."""
    count = 0
    with tempfile.TemporaryDirectory(prefix="calnet-demo-statements-") as tmp:
        for contractor, month, name, content in statement_files(orders, seed, as_of):
            path = Path(tmp) / name
            path.write_bytes(content)
            sha, _ = hash_file(path)
            reading = StatementReading()
            write_statement(tx, path, name, contractor, month, sha, reading)
            count += 1
    return count
