"""Running the real ``vidgov`` entry point in-process, as a user's shell would."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from vidgov.cli.main import run


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


Invoke = Callable[..., Result]


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

    def invoke(*args: str) -> Result:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["vidgov", *args])
        try:
            run()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return invoke
