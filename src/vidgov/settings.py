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
    session_ttl_s: int = Field(
        default=12 * 3600, ge=60, le=7 * 86400,
        description="How long a browser login lasts (seconds).")
    token_ttl_s: int = Field(
        default=3600, ge=60, le=30 * 86400,
        description="How long a bearer token from POST /api/auth/token lasts (seconds).")
    cookie_secure: bool = Field(
        default=False,
        description="Mark the session cookie Secure (set when served over HTTPS).")
    cockpit_ttl_s: float = Field(
        default=15.0, ge=0, le=3600,
        description="How stale the cockpit's figures may be (seconds): KPIs, rates, map and "
        "scorecards are recomputed from the store at most this often.")


def load_settings() -> Settings:
    return Settings()
