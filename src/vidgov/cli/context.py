"""What every command gets from the top-level options."""

from __future__ import annotations

from dataclasses import dataclass

import typer
from sqlalchemy import Engine

from vidgov.settings import load_settings
from vidgov.store.db import open_store


@dataclass
class State:
    database_url: str | None = None

    def engine(self) -> Engine:
        url = self.database_url or load_settings().database_url
        return open_store(url)


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, State) else State()
