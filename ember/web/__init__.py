"""The HTTP server: the Prometheus HTTP API, federation, self-monitoring and health endpoints."""
