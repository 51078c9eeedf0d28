"""The desktop app's widgets: they draw the session's models and emit the user's intents."""
