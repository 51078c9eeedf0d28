"""Network layer of the client: the REST client and the Socket.IO connection."""
