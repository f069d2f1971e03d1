"""`python -m calnet_desk.cli`."""

from .app import main

raise SystemExit(main())
