"""The chat server: REST and Socket.IO in one ASGI process."""

__version__ = "0.1.0"
