"""Record factories shared by the tests: the smallest valid record of a kind, with any
field given as a keyword."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from calnet_desk.store import Register


def order(key: str = "HO-1", **extra: Any) -> dict[str, Any]:
    """An order with just its required fields (and whatever is given)."""
    return {"request_number": key, "request_date": "2026-01-02", "order_type": "new",
            "contractor": "AT&T", **extra}


def order_with_documents(reg: Register, contents: Iterable[bytes]) -> Register:
    """The register with order O-1 and each content stored as document "scan i.pdf",
    linked to that order (a bundle's documents to copy and hash)."""
    from calnet_desk.records import KINDS
    from calnet_desk.store.documents import add_document, link, store_bytes

    with reg.transaction("orders") as tx:
        tx.put(KINDS["orders"], {"request_number": "O-1", "request_date": "2026-01-05",
                                 "order_type": "new", "contractor": "AT&T"})
    with reg.transaction("documents") as tx:
        for i, content in enumerate(contents):
            sha, n = store_bytes(reg.paths, content)
            add_document(tx, sha, f"scan {i}.pdf", n)
            link(tx, sha, KINDS["orders"], "O-1")
    return reg


def orders_described(reg: Register, **descriptions: str) -> Register:
    """The register with an order per key, each with its description (one transaction)."""
    from calnet_desk.records import KINDS

    with reg.transaction("orders") as tx:
        for key, text in descriptions.items():
            tx.put(KINDS["orders"], order(key, request_date="2026-01-05", description=text))
    return reg


def refused_xlsx_export(reg: Register, run_cli: Any, out: Path) -> tuple[Path, str]:
    """The register closed and its orders exported to ``out`` as XLSX by the CLI, which
    refuses (exit 1, one line, no traceback, no file): (the register's folder, stderr)."""
    root = reg.paths.root
    reg.close()
    r = run_cli("--data-dir", str(root), "export", "--kind", "orders", "--format", "xlsx",
                "-o", str(out))
    assert r.code == 1, r
    assert r.err.count("\n") == 1 and "Traceback" not in r.err
    assert not out.exists()
    return root, r.err
