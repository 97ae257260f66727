"""The SQLite store's file settings: what a new store is made with, and that an old one
keeps working as it was made."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text

from vidgov.store.db import PAGE_BYTES, open_store


def _pragma(path: Path, name: str) -> object:
    with sqlite3.connect(path) as connection:
        return connection.execute(f"PRAGMA {name}").fetchone()[0]


def test_a_new_store_is_made_with_large_pages_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "vidgov.db"
    open_store(f"sqlite:///{path}").dispose()
    assert _pragma(path, "page_size") == PAGE_BYTES == 16384
    assert _pragma(path, "journal_mode") == "wal"


def test_a_store_made_with_small_pages_keeps_them_and_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "vidgov.db"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA page_size=4096")
        connection.execute("CREATE TABLE note (body TEXT)")
        connection.execute("INSERT INTO note VALUES ('kept')")
    engine = open_store(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT body FROM note")).scalar_one() == "kept"
    engine.dispose()
    assert _pragma(path, "page_size") == 4096
