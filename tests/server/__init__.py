"""Tests of the chat server: real uvicorn processes, httpx and python-socketio clients."""
