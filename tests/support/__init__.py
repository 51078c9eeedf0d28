"""Helpers shared by the test suites of every part (server, client core, UI)."""
