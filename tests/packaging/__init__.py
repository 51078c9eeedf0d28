"""Tests of the desktop build: resources, desktop integration, installer and self-test."""
