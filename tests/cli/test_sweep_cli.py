"""``vidgov sweep`` against a real RTSP fleet: the rates it reports are what the fleet was told,
and a sweep killed with SIGKILL resumes with no probe lost or repeated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vidgov.domain.divisions import load_divisions
from vidgov.probing.models import ProbeEvidence, ProbeRecord
from vidgov.probing.rates import labelled_cameras
from vidgov.services.fleet import register_fleet
from vidgov.simulate.fleet import Condition, Fleet
from vidgov.store.db import open_store

from .conftest import Invoke

pytestmark = pytest.mark.rtsp

MIX = {Condition.NORMAL: 10, Condition.BLACK: 1, Condition.FROZEN: 1, Condition.BLURRED: 1,
       Condition.PORT_CLOSED: 3, Condition.HANG: 1, Condition.NOT_FOUND: 1,
       Condition.AUTH_REQUIRED: 1, Condition.NO_PACKETS: 1}


@pytest.fixture
def fleet() -> Iterator[Fleet]:
    with Fleet.from_mix(20, MIX, seed=3) as running:
        yield running


def _expected_rates(manifest: pl.DataFrame, database_url: str) -> dict[str, tuple[float, float]]:
    engine = open_store(database_url)
    cities = labelled_cameras(engine, load_divisions()).select("device_id", "city")
    engine.dispose()
    grouped = manifest.join(cities, on="device_id").group_by("city").agg(
        online=(pl.col("online").mean() * 100).round(1),
        playable=(pl.col("playable").mean() * 100).round(1))
    return {r["city"]: (r["online"], r["playable"]) for r in grouped.to_dicts()}


def test_sweep_reports_what_the_fleet_was_told(vidgov: Invoke, database_url: str,
                                               fleet: Fleet) -> None:
    engine = open_store(database_url)
    manifest = register_fleet(engine, fleet.cameras, seed=5)
    engine.dispose()
    result = vidgov("sweep", "--json", "--concurrency", "20", "--osd-every", "1")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["probed"] == 20
    reported = {r["city"]: (r["online_rate"], r["playable_rate"])
                for r in report["rates"]["city"]}
    assert reported == _expected_rates(manifest, database_url)
    states = {c["device_id"]: c for c in json.loads(vidgov("report", "cameras", "--json").stdout)}
    for row in manifest.iter_rows(named=True):
        assert (states[row["device_id"]]["online"], states[row["device_id"]]["playable"]) == (
            row["online"], row["playable"]), row["condition"]


def test_sigkill_mid_sweep_then_resume_loses_and_repeats_nothing(
        vidgov: Invoke, database_url: str, tmp_path: Path) -> None:
    with Fleet.from_mix(60, {Condition.HANG: 1}, seed=1) as slow:  # 0.3 s a camera
        engine = open_store(database_url)
        register_fleet(engine, slow.cameras, seed=9)
        env = {**os.environ, "VIDGOV_DATABASE_URL": database_url}
        command = [sys.executable, "-m", "vidgov", "sweep", "--json", "--concurrency", "2",
                   "--no-decode", "--timeout", "0.3", "--batch-size", "2"]
        process = subprocess.Popen(command, env=env, cwd=tmp_path,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while _stored(engine) < 10 and time.monotonic() < deadline:
            time.sleep(0.2)
        process.send_signal(signal.SIGKILL)
        process.wait()
        before = _stored(engine)
        assert 10 <= before < 60
        result = vidgov("sweep", "--json", "--concurrency", "60", "--no-decode",
                        "--timeout", "0.3")
        assert json.loads(result.stdout)["resumed"] is True
        assert json.loads(result.stdout)["probed"] == 60 - before
        assert _stored(engine) == 60
        engine.dispose()


def _stored(engine: object) -> int:
    with Session(engine) as session:  # type: ignore[call-overload]
        return int(session.scalar(select(func.count()).select_from(ProbeRecord)) or 0)


def test_worker_sweeps_on_schedule_and_stops_on_sigterm(database_url: str,
                                                         tmp_path: Path) -> None:
    with Fleet.from_mix(6, {Condition.NORMAL: 1, Condition.PORT_CLOSED: 1}, seed=2) as small:
        engine = open_store(database_url)
        register_fleet(engine, small.cameras, seed=4)
        env = {**os.environ, "VIDGOV_DATABASE_URL": database_url}
        process = subprocess.Popen(
            [sys.executable, "-m", "vidgov", "worker", "--every", "60"], env=env, cwd=tmp_path,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 90
        while _stored(engine) < 6 and time.monotonic() < deadline:
            time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        _, log = process.communicate(timeout=30)
        assert process.returncode == 0, log
        assert _stored(engine) == 6
        assert "sweep 1" in log
        engine.dispose()


def test_picture_faults_keep_their_evidence(vidgov: Invoke, database_url: str) -> None:
    with Fleet([Condition.BLACK, Condition.SHAKING, Condition.NORMAL]) as few:
        engine = open_store(database_url)
        manifest = register_fleet(engine, few.cameras, seed=6)
        assert vidgov("sweep", "--json", "--osd-every", "0").exit_code == 0
        with Session(engine) as session:
            rows = session.scalars(select(ProbeEvidence)).all()
        engine.dispose()
    by_code = {r.code: r for r in rows}
    assert set(by_code) == {"no_signal", "jitter"}
    assert by_code["jitter"].measured is not None
    assert by_code["jitter"].threshold is not None
    assert by_code["jitter"].measured > by_code["jitter"].threshold
    snapshot = by_code["no_signal"].snapshot_jpeg
    assert snapshot is not None
    assert snapshot.startswith(b"\xff\xd8")  # a JPEG
    black = manifest.filter(pl.col("condition") == "black")["device_id"].item()
    assert by_code["no_signal"].device_id == black
