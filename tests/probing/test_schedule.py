"""The worker: due scopes, restarts that resume, crashes restarted within a budget."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from catalog.builders import make_camera, write_csv_file
from probing.test_sweep import T0, Outcome
from vidgov.catalog.importer import import_catalog
from vidgov.compute.supervisor import RestartBudget
from vidgov.probing.models import ProbeRecord, Sweep
from vidgov.probing.schedule import Schedule, due, run_worker, targets_for
from vidgov.probing.sweep import SweepTarget

HOURLY = Schedule(("city=南宁市",), timedelta(hours=1))


def _catalog(engine: Engine, tmp_path: Path) -> None:
    records = [make_camera(i) for i in range(1, 6)]
    records.append(make_camera(6, stream_url=""))
    records.append(make_camera(7, device_id="45030400001320000007", admin_code="450304",
                               longitude="110.29", latitude="25.27"))
    import_catalog(engine, [write_csv_file(tmp_path / "c.csv", records)])


class CrashOnce:
    """Probes everything as healthy, but dies once on the third camera."""

    def __init__(self) -> None:
        self.crashed = False
        self.probed: list[str] = []

    def __call__(self, batch: Sequence[SweepTarget]) -> Iterable[Outcome]:
        out = []
        for target in batch:
            if len(self.probed) == 2 and not self.crashed:
                self.crashed = True
                raise RuntimeError("decoder crashed")
            self.probed.append(target.device_id)
            out.append(Outcome(target.device_id, True, True, [], T0))
        return out


def test_targets_are_the_scope_with_stream_addresses(store: Engine, tmp_path: Path) -> None:
    _catalog(store, tmp_path)
    assert len(targets_for(store, ["city=南宁市"])) == 5
    assert len(targets_for(store, [])) == 6


def test_worker_restarts_a_crashed_sweep_and_resumes_it(store: Engine, tmp_path: Path) -> None:
    _catalog(store, tmp_path)
    prober = CrashOnce()
    stop = threading.Event()
    passes: list[datetime] = []

    def after_sweep(at: datetime) -> None:
        passes.append(at)
        stop.set()

    run_worker(store, [HOURLY], prober, stop, after_sweep=after_sweep,
               budget=RestartBudget(first_backoff_s=0.01), poll_s=0.01)
    assert prober.crashed
    # the batch that crashed was never stored, so its cameras are probed again; none is lost
    assert len(set(prober.probed)) == 5
    with Session(store) as session:
        assert session.scalar(select(func.count()).select_from(ProbeRecord)) == 5
        assert session.scalars(select(Sweep.status)).all() == ["finished"]
    assert len(passes) == 1


def test_a_restarted_worker_knows_what_is_due(store: Engine, tmp_path: Path) -> None:
    _catalog(store, tmp_path)
    now = datetime.now(UTC)
    assert due(store, [HOURLY], now) == [HOURLY]
    stop = threading.Event()
    run_worker(store, [HOURLY], CrashOnce(), stop, after_sweep=lambda at: stop.set(),
               budget=RestartBudget(first_backoff_s=0.01), poll_s=0.01)
    assert due(store, [HOURLY], now + timedelta(minutes=30)) == []
    assert due(store, [HOURLY], now + timedelta(minutes=61)) == [HOURLY]
