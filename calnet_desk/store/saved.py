"""What this process has saved for good (committed transactions, published backups, a
restore put in place), so an interrupted command can say truthfully what was kept. Below
the register and the backups, which both add to it."""

from __future__ import annotations

SAVED: list[str] = []
