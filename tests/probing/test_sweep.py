"""Sweeps keep every probe, resume after a crash, and roll old history up instead of losing it."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from vidgov.probing.models import CameraHealth, HealthDaily, ProbeEvidence, ProbeRecord, Sweep
from vidgov.probing.results import PictureFault
from vidgov.probing.sweep import SweepTarget, roll_up, run_sweep

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Outcome:
    device_id: str
    online: bool
    playable: bool
    faults: Sequence[str]
    probed_at: datetime
    timings_ms: dict[str, float] = field(default_factory=lambda: {"connect": 1.0})
    evidence: Sequence[PictureFault] = ()


class TableProber:
    """Answers from a fixed table of camera states; can be told to crash after N cameras."""

    def __init__(self, states: dict[str, tuple[bool, bool, list[str]]], at: datetime,
                 crash_after: int | None = None) -> None:
        self.states, self.at, self.crash_after = states, at, crash_after
        self.seen: list[str] = []

    def __call__(self, batch: Sequence[SweepTarget]) -> Iterable[Outcome]:
        results = []
        for target in batch:
            if self.crash_after is not None and len(self.seen) >= self.crash_after:
                raise RuntimeError("worker died")
            self.seen.append(target.device_id)
            online, playable, faults = self.states[target.device_id]
            results.append(Outcome(target.device_id, online, playable, faults, self.at))
        return results


def _targets(n: int) -> list[SweepTarget]:
    return [SweepTarget(f"4501030000132{i:07d}", f"rtsp://127.0.0.1/cam/{i}") for i in range(n)]


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_crashed_sweep_resumes_with_nothing_lost_or_repeated(store: Engine) -> None:
    targets = _targets(25)
    states = {t.device_id: (True, True, []) for t in targets}
    crashing = TableProber(states, T0, crash_after=12)
    with pytest.raises(RuntimeError, match="worker died"):
        run_sweep(store, "city=南宁市", targets, crashing, batch_size=5)
    assert _count(store, ProbeRecord) == 10  # two whole batches were committed
    resumed = TableProber(states, T0)
    summary = run_sweep(store, "city=南宁市", targets, resumed, batch_size=5)
    assert summary.resumed
    assert summary.probed_now == 15
    assert set(resumed.seen).isdisjoint(crashing.seen[:10])
    assert _count(store, ProbeRecord) == 25
    with Session(store) as session:
        assert session.scalars(select(Sweep.status)).all() == ["finished"]


def test_latest_state_and_since(store: Engine) -> None:
    targets = _targets(2)
    first, second = targets[0].device_id, targets[1].device_id
    run_sweep(store, "", targets, TableProber(
        {first: (True, True, []), second: (True, False, ["frozen"])}, T0))
    later = T0 + timedelta(minutes=10)
    run_sweep(store, "", targets, TableProber(
        {first: (True, True, []), second: (False, False, ["unreachable"])}, later))
    with Session(store) as session:
        health = {h.device_id: h for h in session.scalars(select(CameraHealth))}
    assert health[first].since.replace(tzinfo=UTC) == T0
    assert health[second].since.replace(tzinfo=UTC) == later
    assert health[second].faults == ["unreachable"]
    assert _count(store, ProbeRecord) == 4


def test_old_probes_are_rolled_up_not_lost(store: Engine) -> None:
    targets = _targets(3)
    for day in range(3):
        at = T0 - timedelta(days=(10, 9, 1)[day])
        states = {t.device_id: (True, day != 1, [] if day != 1 else ["blur"]) for t in targets}
        run_sweep(store, "", targets, TableProber(states, at))
    folded = roll_up(store, before=T0 - timedelta(days=7))
    assert folded == 6
    assert _count(store, ProbeRecord) == 3
    with Session(store) as session:
        days = session.scalars(select(HealthDaily)).all()
    assert sum(d.probes for d in days) == 6
    assert sum(d.playable for d in days) == 3


class StreamingTableProber(TableProber):
    """A table prober that also streams, in reverse order, and notes whether it was closed."""

    def __init__(self, states: dict[str, tuple[bool, bool, list[str]]], at: datetime,
                 crash_after: int | None = None) -> None:
        super().__init__(states, at, crash_after)
        self.closed = False

    def stream(self, targets: Sequence[SweepTarget]) -> Iterator[Outcome]:
        try:
            for target in reversed(targets):
                yield from self([target])
        finally:
            self.closed = True


def test_a_streaming_prober_is_stored_batch_by_batch_and_resumes(store: Engine) -> None:
    targets = _targets(23)
    states = {t.device_id: (True, t.device_id[-1] != "7", []) for t in targets}
    crashing = StreamingTableProber(states, T0, crash_after=17)
    with pytest.raises(RuntimeError, match="worker died"):
        run_sweep(store, "", targets, crashing, batch_size=5)
    assert crashing.closed
    assert _count(store, ProbeRecord) == 15  # three whole batches
    resumed = StreamingTableProber(states, T0)
    summary = run_sweep(store, "", targets, resumed, batch_size=5)
    assert (summary.resumed, summary.probed_now) == (True, 8)
    assert set(resumed.seen).isdisjoint(crashing.seen[:15])
    with Session(store) as session:
        health = {h.device_id: h.playable for h in session.scalars(select(CameraHealth))}
    assert health == {d: s[1] for d, s in states.items()}


def test_evidence_is_kept_with_the_probe(store: Engine) -> None:
    targets = _targets(2)
    blur = PictureFault("blur", False, 41.5, 60.0, b"\xff\xd8jpeg")

    def prober(batch: Sequence[SweepTarget]) -> list[Outcome]:
        return [Outcome(t.device_id, True, True, ["blur"], T0, evidence=(blur,)) for t in batch]

    run_sweep(store, "", targets, prober)
    with Session(store) as session:
        kept = session.scalars(select(ProbeEvidence)).all()
    assert [(e.code, e.measured, e.threshold, e.snapshot_jpeg) for e in kept] == [
        ("blur", 41.5, 60.0, b"\xff\xd8jpeg")] * 2


def test_a_stopped_sweep_ends_after_its_batch_unfinished_and_resumes(store: Engine) -> None:
    targets = _targets(12)
    states = {t.device_id: (True, True, []) for t in targets}
    stop = threading.Event()

    def stopping(batch: Sequence[SweepTarget]) -> Iterable[Outcome]:
        stop.set()  # as Ctrl-C would, while the first batch is probed
        return TableProber(states, T0)(batch)

    stopped = run_sweep(store, "", targets, stopping, batch_size=5, stop=stop)
    assert stopped.probed_now == 5
    with Session(store) as session:
        assert session.scalars(select(Sweep.status)).one() != "finished"
    resumed = run_sweep(store, "", targets, TableProber(states, T0), batch_size=5)
    assert (resumed.sweep_id, resumed.resumed, resumed.probed_now) == (stopped.sweep_id, True, 7)
    with Session(store) as session:
        assert session.scalars(select(Sweep.status)).one() == "finished"
    assert _count(store, ProbeRecord) == 12
