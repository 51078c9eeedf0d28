"""Developer tools shipped with the desktop app (screenshots)."""
