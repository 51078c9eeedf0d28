"""Operator tools that talk to a running server as clients do: the probe and the live monitor."""
