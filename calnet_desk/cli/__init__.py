"""calnet-desk-cli: the register from the command line (the console script runs `main`).

`app` assembles the parser and runs a command; each command group's module (records, exchange,
documents, upkeep, deadlines, policy, bundles, billing) declares its commands next to their code.
"""

from .app import build_parser, main
from .common import CliError, record_json

__all__ = ["CliError", "build_parser", "main", "record_json"]
