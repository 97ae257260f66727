"""Settings, read from ``VIDGOV_*`` environment variables when asked for, never at import."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_path
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_database_url() -> str:
    """An SQLite file under the user's data directory: the embedded default store."""
    directory = user_data_path("vidgov", appauthor=False)
    return f"sqlite:///{Path(directory) / 'vidgov.db'}"


class Settings(BaseSettings):
    """Everything vidgov can be told from outside; build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(env_prefix="VIDGOV_", extra="ignore")

    database_url: str = Field(
        default_factory=default_database_url,
        description="SQLAlchemy URL of the store: sqlite:///FILE (default) or "
        "postgresql+psycopg://USER:PASS@HOST/DB",
    )


def load_settings() -> Settings:
    return Settings()
