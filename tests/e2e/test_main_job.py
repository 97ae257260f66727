"""The README's run command, as a newcomer meets it: ``vidgov demo`` builds an estate, serves
the cockpit with a demo login that works, and sweeps a real simulated fleet meanwhile."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

pytestmark = [pytest.mark.rtsp, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_main_job_serves_the_cockpit_with_a_working_login(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "VIDGOV_DATABASE_URL": f"sqlite:///{tmp_path / 'vidgov.db'}",
           "COLUMNS": "200"}
    process = subprocess.Popen(
        [sys.executable, "-m", "vidgov", "demo", "--cameras", "600", "--mounts", "12",
         "--port", str(port)],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 240
        while not any("login:" in line for line in lines):
            assert time.monotonic() < deadline, "no demo login printed:\n" + "".join(lines)
            line = process.stdout.readline()
            assert line or process.poll() is None, "demo exited:\n" + "".join(lines)
            lines.append(line)
        printed = "".join(lines)
        assert "市级评分" in printed  # the audit's scorecards came first
        username, password = re.search(r"login: (\S+) / (\S+)", printed).groups()  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"
        with httpx2.Client(base_url=base, timeout=10) as client:
            while True:
                try:
                    if client.get("/").status_code == 200:
                        break
                except httpx2.TransportError:
                    pass
                assert time.monotonic() < deadline, "the cockpit never answered"
                time.sleep(0.2)
            token = client.post("/api/auth/token",
                                data={"username": username, "password": password})
            assert token.status_code == 200, token.text
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            # The worker's first sweep runs while the cockpit is up: every camera with a
            # stream address gets probed, and lasting faults open work orders.
            while (kpis := client.get("/api/kpis", headers=headers).json())["open_orders"] == 0:
                assert time.monotonic() < deadline, f"the first sweep never landed: {kpis}"
                time.sleep(1)
            assert kpis["cameras"] == 600
            assert 500 <= kpis["probed"] <= 600
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
