"""Opening the store: an engine per URL, migrated to the newest schema before use.

Alembic is the only source of schema: tables are created by the migrations, never by
``metadata.create_all``, so SQLite and PostgreSQL stores cannot drift apart.

Alembic itself (and the ORM) is imported only when needed: loading it took a fifth of a
second of every command's start, and a store already at the newest revision, the usual case,
is recognised by reading its ``alembic_version`` row.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Final

from sqlalchemy import Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from vidgov.errors import ConfigurationError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session

#: The page size of a new SQLite store (see :func:`_sqlite_pragmas`).
PAGE_BYTES: Final = 16384


def create_store_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite the file's folder is created and WAL is switched on."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(f"not a database URL: {url!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(parsed)
    except (NoSuchModuleError, ImportError) as exc:
        raise ConfigurationError(f"no driver for {parsed.drivername}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # Only takes effect on a new, empty file (an existing store keeps its page size). The
    # bulk writes (a catalog import, a sweep's results) move whole tables: 16 KB pages make
    # a quarter as many pages to write to the WAL and copy back at the checkpoint, which
    # took a 250,000-camera import's commit from 0.40-0.88 s to 0.22-0.27 s (4 KB, the
    # default, is tuned for small random writes).
    cursor.execute(f"PRAGMA page_size={PAGE_BYTES}")
    # WAL lets the cockpit read while an import writes; NORMAL is durable across app crashes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _migrations() -> Traversable:
    return resources.files("vidgov.store") / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_migrations()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the store's schema to ``revision`` (idempotent; cheap when already there)."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def open_store(url: str) -> Engine:
    """The engine a command works with: created, migrated, ready."""
    engine = create_store_engine(url)
    if not at_head(engine):
        migrate(engine)
    return engine


def at_head(engine: Engine) -> bool:
    """Whether the store's recorded revisions are exactly the migrations' heads, so that
    upgrading to head would do nothing. False for a new store, an older one, or one whose
    revision the migrations do not know (alembic then says what is wrong)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        stored = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return frozenset(stored) == head_revisions()


@functools.cache
def head_revisions() -> frozenset[str]:
    """The revisions no migration revises, read from the scripts' ``revision`` and
    ``down_revision`` assignments (what alembic reads, without loading alembic and every
    script: a few milliseconds instead of a fifth of a second)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in (_migrations() / "versions").iterdir():
        if not script.name.endswith(".py") or script.name.startswith("_"):
            continue
        values = _assignments(script.read_text(encoding="utf-8"))
        revision = values.get("revision")
        if isinstance(revision, str):
            revisions.add(revision)
        down = values.get("down_revision")  # None, one revision, or several (a merge)
        if isinstance(down, str):
            revised.add(down)
        elif isinstance(down, tuple | list):
            revised.update(down)
    return frozenset(revisions - revised)


def _assignments(source: str) -> dict[str, object]:
    """The module-level constants a migration script assigns (``revision = "0001"``)."""
    values: dict[str, object] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name):
            try:
                values[target.id] = ast.literal_eval(value)
            except ValueError:
                continue
    return values


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back on any error."""
    from sqlalchemy.orm import sessionmaker

    factory = sessionmaker(engine, expire_on_commit=False)
    with factory.begin() as session:
        yield session
