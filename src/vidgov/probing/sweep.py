"""A sweep: probe every camera of a scope once, storing as it goes, resumable after any crash.

Results are committed batch by batch, and ``(sweep_id, device_id)`` is unique, so a sweep that
is killed half-way keeps everything it probed; run again with the same scope, it resumes the
unfinished sweep and probes only the cameras still missing: no probe lost, none repeated.
The probing itself is a function handed in (``Prober``): the local executor and a Ray executor
call the same pure batch function. A prober that can also stream (``StreamingProber``) probes
the whole sweep without batch barriers, results stored batch by batch as they complete.

Storing costs a few statements a batch, not a few objects a camera: a 250,000-camera sweep
writes 250,000 probe rows and as many health rows, so rows go to the database as plain
``executemany`` parameter lists, without ORM objects or per-row change tracking.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from threading import Event
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import Engine, Integer, cast, delete, func, insert, select, update
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


@runtime_checkable
class StreamingProber(Protocol):
    """A batch prober that can also probe a whole sweep as one stream.

    ``stream`` yields one outcome per target in completion order, so the slowest camera of a
    batch (a hang, a stream without keyframes) never leaves the other probe slots idle.
    """

    def __call__(self, batch: Sequence[SweepTarget], /) -> Iterable[ProbeOutcome]: ...

    def stream(self, targets: Sequence[SweepTarget], /) -> Iterator[ProbeOutcome]: ...


@dataclass(frozen=True)
class SweepSummary:
    sweep_id: int
    planned: int
    probed_now: int
    resumed: bool


def run_sweep(
    engine: Engine, scope: str, targets: Sequence[SweepTarget], prober: Prober, *,
    batch_size: int = 500, progress: Progress | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC), stop: Event | None = None,
) -> SweepSummary:
    """Probe ``targets``, committing every ``batch_size`` results; resume an unfinished sweep.

    A crash loses at most the batch being gathered (and, for a streaming prober, the probes
    in flight): those cameras are probed again when the sweep resumes, none twice in storage.
    ``stop`` set: the sweep ends after the batch it is gathering, unfinished, to be resumed.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    sweep_id, remaining, resumed = start_or_resume(engine, scope, targets, clock())
    outcomes: Iterator[ProbeOutcome]
    if isinstance(prober, StreamingProber):
        outcomes = prober.stream(remaining)
    else:
        outcomes = _batch_by_batch(prober, remaining, batch_size)
    recorded = 0
    try:
        while batch := list(itertools.islice(outcomes, batch_size)):
            record(engine, sweep_id, batch)
            recorded += len(batch)
            if progress is not None:
                progress(len(batch))
            if stop is not None and stop.is_set():
                break
    finally:
        close = getattr(outcomes, "close", None)
        if close is not None:
            close()  # a stream stops probing and waits for the probes in flight
    if recorded == len(remaining):
        finish(engine, sweep_id, clock())
    return SweepSummary(sweep_id, len(targets), recorded, resumed)


def _batch_by_batch(
    prober: Prober, targets: Sequence[SweepTarget], batch_size: int
) -> Iterator[ProbeOutcome]:
    for start in range(0, len(targets), batch_size):
        yield from prober(targets[start:start + batch_size])


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
    """Store one batch of results and each camera's latest state, in one transaction.

    ``camera_health.since`` moves only when the state (online, playable, faults) changed.
    """
    if not outcomes:
        return
    probes: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    for o in outcomes:
        probes.append({"sweep_id": sweep_id, "device_id": o.device_id, "probed_at": o.probed_at,
                       "online": o.online, "playable": o.playable, "faults": sorted(o.faults),
                       "timings_ms": dict(o.timings_ms)})
        evidence.extend(
            {"sweep_id": sweep_id, "device_id": o.device_id, "probed_at": o.probed_at,
             "code": e.code, "measured": e.measured, "threshold": e.threshold,
             "snapshot_jpeg": e.snapshot_jpeg}
            for e in o.evidence)
    with Session(engine) as session, session.begin():
        session.execute(insert(ProbeRecord), probes)
        if evidence:
            session.execute(insert(ProbeEvidence), evidence)
        current = {
            row.device_id: row for row in session.execute(
                select(CameraHealth.device_id, CameraHealth.online, CameraHealth.playable,
                       CameraHealth.faults, CameraHealth.since)
                .where(CameraHealth.device_id.in_([p["device_id"] for p in probes])))}
        added: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        unchanged: list[dict[str, Any]] = []
        for p in probes:
            state = {"device_id": p["device_id"], "probed_at": p["probed_at"],
                     "online": p["online"], "playable": p["playable"], "faults": p["faults"],
                     "sweep_id": sweep_id}
            health = current.get(p["device_id"])
            if health is None:
                added.append({**state, "since": p["probed_at"]})
            elif (health.online, health.playable, list(health.faults)) == (
                    p["online"], p["playable"], p["faults"]):
                unchanged.append(state)
            else:
                changed.append({**state, "since": p["probed_at"]})
        if added:
            session.execute(insert(CameraHealth), added)
        for rows in (changed, unchanged):
            if rows:  # ORM bulk UPDATE by primary key: one executemany, no objects loaded
                session.execute(update(CameraHealth), rows)


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
