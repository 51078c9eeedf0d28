"""The PySide6 desktop client of the chat messenger."""

__version__ = "0.1.0"
APP_NAME = "desktop-app"
