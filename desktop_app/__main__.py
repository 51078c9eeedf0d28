"""`python -m desktop_app` runs the desktop app."""

from desktop_app.cli import main

raise SystemExit(main())
