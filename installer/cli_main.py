"""Entry point of the frozen `calnet-desk-cli` (PyInstaller needs a script, not an entry
point)."""

import multiprocessing

# A large import seals its history entries in a second process (calnet_desk.store.history.
# Sealer), started with "spawn": in the frozen build that process is this program again,
# and freeze_support() runs the sealer's code in it and exits, before anything else.
multiprocessing.freeze_support()

from calnet_desk.cli import main  # noqa: E402

raise SystemExit(main())
