"""What every command gets from the top-level options.

The settings and the store are imported when a command asks for the engine, not when the
CLI starts: pydantic-settings and SQLAlchemy are a third of a second of every start, and
``--help`` or a command that opens no store need neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass
class State:
    database_url: str | None = None

    def engine(self) -> Engine:
        from vidgov.store.db import open_store

        if self.database_url:
            return open_store(self.database_url)
        from vidgov.settings import load_settings

        return open_store(load_settings().database_url)


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, State) else State()
