"""CALNET Desk: the Qt-free core (records, storage, rules, exchange, CLI)."""

__version__ = "0.1.0"
