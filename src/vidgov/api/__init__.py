"""The platform service: a FastAPI application over the catalog, health, orders and cockpit."""
