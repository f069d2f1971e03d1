"""Entry point of the frozen `calnet-desk` (PyInstaller needs a script, not an entry point)."""

from ui.app import main

raise SystemExit(main())
