"""Helpers shared by the desktop tests."""

from __future__ import annotations

from typing import Any


def focus_chain(root: Any) -> list[Any]:
    """The widgets Tab visits from ``root``, in order, once each."""
    seen: list[Any] = []
    w = root.nextInFocusChain()
    while w is not root and w not in seen:
        seen.append(w)
        w = w.nextInFocusChain()
    return seen
