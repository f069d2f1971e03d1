"""A demo register: a made-up agency and a few records of every kind, imported through the
same path as a person's spreadsheets."""

from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path

from .exchange.importer import import_file
from .records import KINDS
from .store import Register, StoreError

DEMO_AGENCY = "Department of Demonstration (sample data)"
# Referenced kinds first, so every reference resolves.
DEMO_ORDER = ("contracts", "people", "delegations", "exemptions", "atos", "outside-contracts",
              "orders")


def create_demo(root: Path) -> Register:
    reg = Register.create(root, agency=DEMO_AGENCY, agency_class="non-exempt-state",
                          billing_code="DEMO-0000")
    try:
        demo = resources.files("calnet_desk") / "data" / "demo"
        with tempfile.TemporaryDirectory() as tmp:
            for name in DEMO_ORDER:
                path = Path(tmp) / f"{name}.csv"
                path.write_bytes((demo / f"{name}.csv").read_bytes())
                result = import_file(reg, path, KINDS[name], name=f"demo/{name}.csv")
                if result.errors:
                    raise StoreError("the demo data is broken: " + "; ".join(result.errors))
    except BaseException:
        reg.close()
        raise
    return reg
