"""Alembic is the only source of schema: the migrations build exactly what the models say."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

# Each models module registers its tables on the shared metadata.
import vidgov.analytics.models
import vidgov.catalog.models
import vidgov.maintenance.models
import vidgov.probing.models
import vidgov.sharing.models  # noqa: F401
from vidgov.store.base import Base
from vidgov.store.db import alembic_config


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
