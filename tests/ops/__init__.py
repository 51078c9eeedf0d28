"""Tests of the operator tools (probe, monitor) against a real server process."""
