"""Health: the typed report, the HTTP server that serves it, the probe for containers."""
