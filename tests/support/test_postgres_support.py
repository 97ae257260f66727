"""Tests for the throwaway PostgreSQL helper used by the test suite."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from . import postgres
from .postgres import PostgresServer, start_postgres

CHINESE = "视频治理：中文标题《测试》"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    started = time.monotonic()
    try:
        srv = start_postgres(tmp_path_factory.mktemp("pg"))
    except RuntimeError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    print(f"postgres ready in {time.monotonic() - started:.2f}s: {srv.url}")
    try:
        yield srv
    finally:
        srv.stop()


def test_roundtrip_unicode(server: PostgresServer) -> None:
    engine = create_engine(server.url)
    try:
        with engine.begin() as conn:
            assert conn.execute(text("SHOW server_encoding")).scalar_one() == "UTF8"
            conn.execute(text("DROP TABLE IF EXISTS support_probe"))
            conn.execute(text("CREATE TABLE support_probe (id int PRIMARY KEY, title text)"))
            conn.execute(text("INSERT INTO support_probe VALUES (1, :title)"), {"title": CHINESE})
        with engine.connect() as conn:
            title = conn.execute(text("SELECT title FROM support_probe WHERE id = 1")).scalar_one()
            assert title == CHINESE
            length = conn.execute(text("SELECT length(title) FROM support_probe")).scalar_one()
            assert length == len(CHINESE)
            conn.execute(text("DROP TABLE support_probe"))
            conn.commit()
    finally:
        engine.dispose()


def test_url_shape(server: PostgresServer) -> None:
    url = make_url(server.url)
    assert url.drivername == "postgresql+psycopg"
    if os.environ.get(postgres.ENV_URL):
        return
    assert url.host == "127.0.0.1"
    assert url.username == postgres.SUPERUSER
    assert url.database == postgres.DB_NAME
    assert url.port == server.port


def _listeners(proc_file: str, port: int) -> set[str]:
    """Local addresses (hex) of LISTEN sockets on ``port`` in /proc/net/tcp*."""
    found: set[str] = set()
    with open(proc_file) as fh:
        next(fh)
        for line in fh:
            fields = line.split()
            local, state = fields[1], fields[3]
            addr, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                found.add(addr)
    return found


def test_listens_only_on_loopback(server: PostgresServer) -> None:
    if os.environ.get(postgres.ENV_URL):
        pytest.skip("external server from the environment")
    assert server.port is not None
    engine = create_engine(server.url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW listen_addresses")).scalar_one() == "127.0.0.1"
            assert conn.execute(text("SHOW port")).scalar_one() == str(server.port)
    finally:
        engine.dispose()

    if not Path("/proc/net/tcp").exists():
        return
    # 127.0.0.1 in /proc/net/tcp's little-endian hex.
    assert _listeners("/proc/net/tcp", server.port) == {"0100007F"}
    if Path("/proc/net/tcp6").exists():
        assert _listeners("/proc/net/tcp6", server.port) == set()


def test_start_and_stop_cleans_up(tmp_path: Path) -> None:
    if os.environ.get(postgres.ENV_URL):
        pytest.skip("external server from the environment")
    if postgres.find_postgres_bin() is None and os.environ.get("CI") != "true":
        pytest.skip("PostgreSQL binaries not installed")
    srv = start_postgres(tmp_path)
    assert srv.data_dir is not None
    assert srv.port is not None
    work_dir = srv.data_dir.parent
    assert (srv.data_dir / "postmaster.pid").exists()
    srv.stop()
    srv.stop()  # idempotent
    assert not work_dir.exists()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()


def test_missing_binaries_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(postgres.ENV_URL, raising=False)
    monkeypatch.setattr(postgres, "find_postgres_bin", lambda: None)
    with pytest.raises(RuntimeError, match=r"install-system-deps\.sh"):
        start_postgres(tmp_path)


def test_env_url_is_used_without_starting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+psycopg://someone@db.example:5433/other"
    monkeypatch.setenv(postgres.ENV_URL, url)
    monkeypatch.setattr(postgres, "find_postgres_bin", lambda: None)
    srv = start_postgres(tmp_path)
    assert srv.url == url
    srv.stop()
    assert list(tmp_path.iterdir()) == []
