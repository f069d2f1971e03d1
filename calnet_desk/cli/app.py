"""calnet-desk-cli: the register from the command line.

A public interface: commands, flags, JSON shapes and exit codes are kept stable.
Exit codes: 0 ok; 1 a problem found, not found, locked, no register, bad data; 2 bad usage.

Each command group's module declares its commands' arguments next to the code running them
(a tuple of `Command`s); this module assembles the parser and runs one command.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from .. import __version__
from ..paths import resolve_data_dir
from ..policy.rules import RulesError
from ..store import Register, StoreError
from ..store.errors import STORAGE_ERRORS
from ..store.lock import RegisterLocked
from . import billing, bundles, deadlines, documents, exchange, policy, records, upkeep
from .common import OK, PROBLEM, CliError, Handler, Parser, printed_stream

GROUPS = (records, exchange, documents, upkeep, deadlines, policy, bundles, billing)

# The order the commands are listed in by --help.
HELP_ORDER = (
    "init", "import", "export", "list", "show", "history",
    "delete", "verify", "rebuild-search", "clean-up", "attach", "detach",
    "documents", "open", "search", "rules", "check-purchase", "deadlines",
    "export-ics", "ack", "snooze", "set-ladder", "backup", "backups",
    "restore", "request-check", "request-packet", "ipr", "findings", "export-bundle",
    "verify-bundle", "merge-bundle", "import-billing", "billing", "reconcile", "reconcile-mark",
    "reconcile-report", "dispute-list", "toll-free", "demo",
)

COMMANDS: dict[str, Handler] = {c.name: c.run for g in GROUPS for c in g.COMMANDS}


def build_parser() -> argparse.ArgumentParser:
    data_dir_help = ("the register folder (default: $CALNET_DESK_HOME, else the user data "
                     "folder)")
    parser = Parser(prog="calnet-desk-cli",
                    description="CALNET Desk: the agency's register of CALNET orders, "
                                "exemptions, delegations and ATOs.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--data-dir", metavar="DIR", help=data_dir_help)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=Parser)
    # --data-dir is accepted after the subcommand too; the flag before it wins.
    common = Parser(add_help=False)
    common.add_argument("--data-dir", metavar="DIR", dest="data_dir_after",
                        default=None, help=data_dir_help)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, description=help_text, parents=[common])

    declared = {c.name: c.declare for g in GROUPS for c in g.COMMANDS}
    if sorted(declared) != sorted(HELP_ORDER):
        raise RuntimeError(f"HELP_ORDER and the command modules differ: "
                           f"{sorted(set(declared) ^ set(HELP_ORDER))}")
    for name in HELP_ORDER:
        declared[name](add)
    return parser


# Commands after which the once-a-day backup is taken (the work is done, output given).
DAILY_BACKUP_AFTER = {"import", "export", "list", "show", "history", "delete", "verify",
                      "attach", "detach", "documents", "open", "search"}


def _daily_backup(root: Path, err: TextIO) -> None:
    from ..paths import RegisterPaths
    from ..store.backups import backed_up_today, daily_backup

    try:
        if backed_up_today(RegisterPaths(root).backups):
            return  # the usual case: no need to open (and check) the register again
        with Register.open(root, write=False) as reg:
            daily_backup(reg)
    except (StoreError, RegisterLocked, OSError) as e:
        err.write(f"calnet-desk-cli: warning: the daily backup was not made ({e})\n")


class Terminated(KeyboardInterrupt):
    """SIGTERM (a shutdown, `kill`): ends the command as Ctrl-C does, rolling back."""


def _on_sigterm() -> Any:
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def terminate(signum: int, frame: Any) -> None:
        raise Terminated

    try:
        return signal.signal(signal.SIGTERM, terminate)
    except (ValueError, OSError):
        return None


def _restore_sigterm(previous: Any) -> None:
    import signal

    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def _kept() -> str:
    """What the command had saved for good before it stopped, truthfully."""
    from ..store.saved import SAVED

    if not SAVED:
        return "nothing was written; the register is as it was."
    shown = "; ".join(SAVED[:5]) + (f"; and {len(SAVED) - 5} more" if len(SAVED) > 5 else "")
    return (f"what it had saved before stopping is kept ({shown}); what it had not yet saved "
            "was rolled back.")


def _not_text(argv: Sequence[str]) -> str:
    """Why a command met a text SQLite cannot take: an argument whose bytes were not UTF-8
    (Python decodes them to lone surrogates), named; the register holds no such text, so a
    key holding one names nothing."""
    from ..store.errors import printable
    from ..store.keys import lone_surrogate

    for arg in argv:
        problem = lone_surrogate(arg)
        if problem:
            return (f"the argument {printable(arg)} {problem}; the register holds only whole "
                    f"characters, so it names nothing there; {_kept()} Type it again.")
    return f"a text holds a lone surrogate, which is not a character. {_kept()}"


def _interrupted(e: BaseException, root: Path) -> str:
    from ..paths import RegisterPaths
    from ..store.workspace import restore_pending

    how = "terminated (SIGTERM)" if isinstance(e, Terminated) else "interrupted"
    pending = ""
    try:
        if restore_pending(RegisterPaths(root)):
            pending = (" The restore had begun replacing the database: it is completed the "
                       "next time the register is opened.")
    except OSError:
        pass
    return f"{how}; {_kept()}{pending}"


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    root = resolve_data_dir(args.data_dir or args.data_dir_after)
    # what people read is escaped (names with ESC or CR print as \x1b, \r); JSON escapes
    # its own control characters
    if not getattr(args, "json", False):
        out = printed_stream(out)
    err = printed_stream(err)
    from ..store.saved import SAVED

    SAVED.clear()
    previous = _on_sigterm()
    try:
        code = COMMANDS[args.command](args, root, out, err)
        if code == OK and args.command in DAILY_BACKUP_AFTER:
            _daily_backup(root, err)
        return code
    except (CliError, StoreError, RegisterLocked, RulesError) as e:
        err.write(f"calnet-desk-cli: {e}\n")
        return PROBLEM
    except KeyboardInterrupt as e:
        err.write(f"calnet-desk-cli: {_interrupted(e, root)}\n")
        return PROBLEM
    except UnicodeEncodeError as e:  # a lone surrogate the store's own checks did not meet
        if e.reason != "surrogates not allowed":
            raise
        err.write(f"calnet-desk-cli: {_not_text(sys.argv[1:] if argv is None else argv)}\n")
        return PROBLEM
    except BrokenPipeError:  # output piped into `head` and the like
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - quiet the exit-time flush
        except OSError:
            pass
        return PROBLEM
    except STORAGE_ERRORS as e:  # the disk's and the database's own errors
        from ..store.errors import describe, what_to_do

        err.write(f"calnet-desk-cli: {describe(e)}. The command stopped: {_kept()} "
                  f"{what_to_do(e)}\n")
        return PROBLEM
    finally:
        _restore_sigterm(previous)

