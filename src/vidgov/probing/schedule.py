"""Sweeps on a schedule: which scope is due, and the worker loop that runs them.

The schedule's state is the sweep table itself: a scope is due when its last sweep started
longer ago than its interval, or when a sweep of it was left unfinished (a crash, a restart),
which is then resumed. So a worker that is killed and started again picks up where it was.
One worker runs its sweeps one after another, so it never probes one camera twice at once
even when scopes overlap (a city and the whole region).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from threading import Event

import polars as pl
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from vidgov.catalog.query import parse_where, with_places
from vidgov.catalog.store import read_cameras
from vidgov.compute.supervisor import GaveUp, RestartBudget, supervise
from vidgov.domain.divisions import load_divisions
from vidgov.probing.models import Sweep
from vidgov.probing.sweep import Prober, SweepSummary, SweepTarget, run_sweep

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Schedule:
    """Sweep ``where`` (``--where`` items) every ``every``."""

    where: tuple[str, ...]
    every: timedelta

    @property
    def scope(self) -> str:
        return " ".join(self.where)


def targets_for(engine: Engine, where: Sequence[str]) -> list[SweepTarget]:
    """The catalog cameras of a scope that have a stream address, in device ID order."""
    condition = parse_where(where)
    cameras = with_places(
        read_cameras(engine, ("device_id", "admin_code", "department", "maintenance_unit",
                              "stream_url")),
        load_divisions(),
    ).filter(condition & pl.col("stream_url").is_not_null())
    return [SweepTarget(d, u) for d, u in cameras.select("device_id", "stream_url").iter_rows()]


def due(engine: Engine, schedules: Sequence[Schedule], now: datetime) -> list[Schedule]:
    """Schedules whose scope has an unfinished sweep or none started within its interval."""
    out = []
    with Session(engine) as session:
        for schedule in schedules:
            last = session.scalars(
                select(Sweep).where(Sweep.scope == schedule.scope)
                .order_by(Sweep.id.desc()).limit(1)).first()
            if (last is None or last.status != "finished"
                    or _aware(last.started_at) + schedule.every <= now):
                out.append(schedule)
    return out


def sweep_scope(engine: Engine, where: Sequence[str], prober: Prober, *,
                batch_size: int = 500, progress: Callable[[int], None] | None = None,
                stop: Event | None = None) -> SweepSummary:
    targets = targets_for(engine, where)
    return run_sweep(engine, " ".join(where), targets, prober, batch_size=batch_size,
                     progress=progress, stop=stop)


def run_worker(
    engine: Engine, schedules: Sequence[Schedule], prober: Prober, stop: Event, *,
    after_sweep: Callable[[datetime], object] | None = None,
    budget: RestartBudget | None = None, poll_s: float = 5.0,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Run due sweeps until ``stop`` is set; a crashing sweep is restarted within ``budget``,
    and one that exhausts it is logged and retried at its next turn, not in a tight loop."""
    resting: dict[str, datetime] = {}  # scopes that exhausted their budget, until when
    while not stop.is_set():
        for schedule in due(engine, schedules, clock()):
            if stop.is_set():
                return
            if resting.get(schedule.scope, clock()) > clock():
                continue
            try:
                summary = supervise(
                    partial(sweep_scope, engine, schedule.where, prober, stop=stop),
                    f"sweep {schedule.scope or '(all)'}", budget or RestartBudget())
            except GaveUp as alarm:
                log.error("%s", alarm)
                resting[schedule.scope] = clock() + schedule.every
                continue
            log.info("sweep %s of %r: %d probed (%s)", summary.sweep_id, schedule.scope,
                     summary.probed_now, "resumed" if summary.resumed else "new")
            if after_sweep is not None:
                after_sweep(clock())
        stop.wait(poll_s)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
