"""Running the real ``vidgov`` entry point in-process against a fresh store."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.cli import Invoke, Result, invoker

__all__ = ["Invoke", "Result"]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store' / 'vidgov.db'}"


@pytest.fixture
def vidgov(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
           database_url: str, tmp_path: Path) -> Invoke:
    """``vidgov(*args)`` runs the command against a fresh store in the test's folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VIDGOV_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    return invoker(capsys, monkeypatch)
