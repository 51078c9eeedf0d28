"""The client's Qt-free core: connection state, sync engine, outbox and journal."""
