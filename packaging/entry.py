"""Entry script of the frozen `desktop-app` executable (PyInstaller starts here)."""

import multiprocessing
import sys

from desktop_app.cli import main

if __name__ == "__main__":
    # Needed if anything in the bundle ever starts a child process through multiprocessing.
    multiprocessing.freeze_support()
    sys.exit(main())
