"""Alembic is the only source of schema: the migrations build exactly what the models say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

# Each models module registers its tables on the shared metadata.
import vidgov.analytics.models
import vidgov.catalog.models
import vidgov.maintenance.models
import vidgov.probing.models
import vidgov.sharing.models  # noqa: F401
from vidgov.store.base import Base
from vidgov.store.db import alembic_config, at_head, head_revisions, open_store


def test_migrated_schema_matches_the_models(store: Engine) -> None:
    with store.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_to_nothing_and_back(store: Engine) -> None:
    with store.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(inspect(store).get_table_names()) <= {"alembic_version"}
    with store.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    assert {"camera", "sweep", "probe_result", "camera_health", "probe_evidence"} <= set(
        inspect(store).get_table_names())


def test_heads_read_from_the_scripts_are_alembics() -> None:
    assert head_revisions() == frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def test_a_store_behind_head_is_migrated_when_opened(store: Engine) -> None:
    assert at_head(store)
    with store.begin() as connection:
        command.downgrade(alembic_config(connection), "-1")
    assert not at_head(store)
    open_store(store.url.render_as_string(hide_password=False))
    assert at_head(store)


def test_a_store_with_an_unknown_revision_is_handed_to_alembic(store: Engine) -> None:
    with store.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    assert not at_head(store)


def test_opening_a_store_at_head_loads_no_alembic(tmp_path: Path) -> None:
    """Alembic is a fifth of a second of every command's start; a migrated store skips it."""
    url = f"sqlite:///{tmp_path / 'vidgov.db'}"
    open_store(url)
    script = ("import sys; from vidgov.store.db import open_store; "
              f"open_store({url!r}); print('alembic' in sys.modules)")
    loaded = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                            text=True).stdout.strip()
    assert loaded == "False"
