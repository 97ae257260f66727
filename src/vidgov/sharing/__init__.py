"""Sharing (共享调阅): accounts, roles, regional scope and the decisions made on them."""
