"""The SQLite register: open, lock, migrate, write with history, verify."""

from .exceptions import RecordError, StoreError
from .register import (
    Changes,
    NoRegister,
    NotARegister,
    Register,
    RegisterExists,
    TooNew,
)

__all__ = ["Changes", "NoRegister", "NotARegister", "RecordError", "Register",
           "RegisterExists", "StoreError", "TooNew"]
