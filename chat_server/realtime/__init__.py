"""Socket.IO: client events, fan-out to rooms, cross-node control and the admin monitor namespace."""
