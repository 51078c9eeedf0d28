"""The desktop app's widgets: they draw the session's models and emit the user's intents."""

from desktop_app.ui import refcount_guard

# Before any widget emits a signal: see refcount_guard for the PySide6 6.12.0 bug it shields.
refcount_guard.install()
