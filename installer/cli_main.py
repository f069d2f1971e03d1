"""Entry point of the frozen `calnet-desk-cli` (PyInstaller needs a script, not an entry
point)."""

from calnet_desk.cli import main

raise SystemExit(main())
