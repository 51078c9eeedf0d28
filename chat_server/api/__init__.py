"""REST routers: thin handlers that authenticate, validate, call a service and answer JSON."""
