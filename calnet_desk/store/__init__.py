"""The SQLite register: open, lock, migrate, write with history, verify."""

from .register import (
    Changes,
    NoRegister,
    NotARegister,
    RecordError,
    Register,
    RegisterExists,
    StoreError,
    TooNew,
)

__all__ = ["Changes", "NoRegister", "NotARegister", "RecordError", "Register",
           "RegisterExists", "StoreError", "TooNew"]
