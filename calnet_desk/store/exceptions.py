"""The store's own exceptions, at the bottom of the store so that every module of it can
raise them without importing the register (no import cycles)."""

from __future__ import annotations


class StoreError(Exception):
    """A problem a person must act on; the message says what happened and what to do."""


class RecordError(StoreError):
    """A record the store refuses (missing required field, unknown reference, …)."""
