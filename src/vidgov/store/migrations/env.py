"""Alembic environment: runs migrations on the connection handed over by ``vidgov.store.db``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # the alembic command line, pointed at a URL with -x url=...
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///vidgov.db")
    with create_engine(url).begin() as conn:
        _run(conn)
