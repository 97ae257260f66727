"""A sweep: probe every camera of a scope once, storing as it goes, resumable after any crash.

Results are committed batch by batch, and ``(sweep_id, device_id)`` is unique, so a sweep that
is killed half-way keeps everything it probed; run again with the same scope, it resumes the
unfinished sweep and probes only the cameras still missing: no probe lost, none repeated.
The probing itself is a function handed in (``Prober``): the local executor and a Ray executor
call the same pure batch function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol

from sqlalchemy import Engine, Integer, cast, delete, func, select
from sqlalchemy.orm import Session

from vidgov.probing.models import CameraHealth, HealthDaily, ProbeEvidence, ProbeRecord, Sweep


class ProbeOutcome(Protocol):
    """What a sweep stores of one probe (``vidgov.probing.results.ProbeResult`` is one)."""

    @property
    def device_id(self) -> str: ...
    @property
    def online(self) -> bool: ...
    @property
    def playable(self) -> bool: ...
    @property
    def faults(self) -> Sequence[str]: ...
    @property
    def probed_at(self) -> datetime: ...
    @property
    def timings_ms(self) -> Mapping[str, float]: ...
    @property
    def evidence(self) -> Sequence[Evidence]: ...


class Evidence(Protocol):
    """A picture fault's evidence (``vidgov.probing.results.PictureFault`` is one)."""

    @property
    def code(self) -> str: ...
    @property
    def measured(self) -> float | None: ...
    @property
    def threshold(self) -> float | None: ...
    @property
    def snapshot_jpeg(self) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class SweepTarget:
    device_id: str
    url: str


Prober = Callable[[Sequence[SweepTarget]], Iterable[ProbeOutcome]]
Progress = Callable[[int], None]


@dataclass(frozen=True)
class SweepSummary:
    sweep_id: int
    planned: int
    probed_now: int
    resumed: bool


def run_sweep(
    engine: Engine, scope: str, targets: Sequence[SweepTarget], prober: Prober, *,
    batch_size: int = 500, progress: Progress | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> SweepSummary:
    """Probe ``targets`` in batches, committing each batch; resume an unfinished sweep."""
    sweep_id, remaining, resumed = start_or_resume(engine, scope, targets, clock())
    for start in range(0, len(remaining), batch_size):
        batch = remaining[start:start + batch_size]
        record(engine, sweep_id, list(prober(batch)))
        if progress is not None:
            progress(len(batch))
    finish(engine, sweep_id, clock())
    return SweepSummary(sweep_id, len(targets), len(remaining), resumed)


def start_or_resume(
    engine: Engine, scope: str, targets: Sequence[SweepTarget], now: datetime
) -> tuple[int, list[SweepTarget], bool]:
    """The sweep to work on and the targets it still lacks."""
    with Session(engine) as session, session.begin():
        running = session.scalars(
            select(Sweep).where(Sweep.scope == scope, Sweep.status == "running")
            .order_by(Sweep.id.desc()).limit(1)
        ).first()
        if running is None:
            sweep = Sweep(scope=scope, status="running", planned=len(targets), started_at=now)
            session.add(sweep)
            session.flush()
            return sweep.id, list(targets), False
        done = set(session.scalars(
            select(ProbeRecord.device_id).where(ProbeRecord.sweep_id == running.id)))
        return running.id, [t for t in targets if t.device_id not in done], True


def record(engine: Engine, sweep_id: int, outcomes: Sequence[ProbeOutcome]) -> None:
    """Store one batch of results and each camera's latest state, in one transaction."""
    if not outcomes:
        return
    with Session(engine) as session, session.begin():
        session.add_all(
            ProbeRecord(sweep_id=sweep_id, device_id=o.device_id, probed_at=o.probed_at,
                        online=o.online, playable=o.playable, faults=sorted(o.faults),
                        timings_ms=dict(o.timings_ms))
            for o in outcomes)
        session.add_all(
            ProbeEvidence(sweep_id=sweep_id, device_id=o.device_id, probed_at=o.probed_at,
                          code=e.code, measured=e.measured, threshold=e.threshold,
                          snapshot_jpeg=e.snapshot_jpeg)
            for o in outcomes for e in o.evidence)
        ids = [o.device_id for o in outcomes]
        current = {h.device_id: h for h in session.scalars(
            select(CameraHealth).where(CameraHealth.device_id.in_(ids)))}
        for outcome in outcomes:
            faults = sorted(outcome.faults)
            health = current.get(outcome.device_id)
            if health is None:
                session.add(CameraHealth(
                    device_id=outcome.device_id, probed_at=outcome.probed_at,
                    online=outcome.online, playable=outcome.playable, faults=faults,
                    since=outcome.probed_at, sweep_id=sweep_id))
                continue
            changed = (health.online, health.playable, health.faults) != (
                outcome.online, outcome.playable, faults)
            health.probed_at = outcome.probed_at
            health.online, health.playable, health.faults = (
                outcome.online, outcome.playable, faults)
            health.sweep_id = sweep_id
            if changed:
                health.since = outcome.probed_at


def finish(engine: Engine, sweep_id: int, now: datetime) -> None:
    with Session(engine) as session, session.begin():
        sweep = session.get_one(Sweep, sweep_id)
        sweep.status, sweep.finished_at = "finished", now


def roll_up(engine: Engine, before: datetime) -> int:
    """Fold probe rows older than ``before`` into per-day counts; returns rows folded.

    History is not lost: each camera keeps, per day, how often it was probed, online and
    playable, which is what rates over time need.
    """
    with Session(engine) as session, session.begin():
        rows = session.execute(
            select(ProbeRecord.device_id, func.date(ProbeRecord.probed_at),
                   func.count(), func.sum(cast(ProbeRecord.online, Integer)),
                   func.sum(cast(ProbeRecord.playable, Integer)))
            .where(ProbeRecord.probed_at < before)
            .group_by(ProbeRecord.device_id, func.date(ProbeRecord.probed_at))
        ).all()
        for device_id, day, probes, online, playable in rows:
            key = (device_id, _as_date(day))
            existing = session.get(HealthDaily, key)
            if existing is None:
                session.add(HealthDaily(device_id=key[0], day=key[1], probes=probes,
                                        online=online, playable=playable))
            else:
                existing.probes += probes
                existing.online += online
                existing.playable += playable
        session.execute(delete(ProbeRecord).where(ProbeRecord.probed_at < before))
    return sum(int(probes) for _, _, probes, _, _ in rows)


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
