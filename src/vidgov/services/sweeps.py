"""Sweeps as operators run them: the real prober plugged into the resumable sweep."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import cv2
from sqlalchemy import Engine

from vidgov.maintenance.lifecycle import Changes, Policy, update_orders
from vidgov.probing.frames import DecodedWindow
from vidgov.probing.probe import (
    ProbeOptions,
    ProbeTarget,
    WindowDiagnoser,
    probe_many,
    probe_stream,
)
from vidgov.probing.processes import stream_in_processes
from vidgov.probing.results import PictureFault, ProbeResult
from vidgov.probing.schedule import targets_for
from vidgov.probing.sweep import Prober, SweepSummary, SweepTarget, roll_up, run_sweep
from vidgov.quality import QualityFault, QualityThresholds, diagnose
from vidgov.quality.osd import ClockReader, RapidOcrClockReader


@dataclass(frozen=True)
class StoredProbe:
    """A probe result as a sweep stores it (always with the catalog's device ID)."""

    device_id: str
    online: bool
    playable: bool
    faults: Sequence[str]
    probed_at: datetime
    timings_ms: dict[str, float]
    evidence: Sequence[PictureFault] = ()


#: Individual probe results are kept this long, then folded into per-day counts.
KEEP_PROBES = timedelta(days=30)

#: Picture faults that make a camera unplayable: nothing to see (black, no signal), not live
#: (frozen), or the view blocked (occlusion). The others are reported and make work orders,
#: but the video still serves its purpose.
BLOCKING: frozenset[QualityFault] = frozenset(
    {QualityFault.NO_SIGNAL, QualityFault.FROZEN, QualityFault.OCCLUSION})


class PictureDiagnoser:
    """The quality diagnosis as a probe calls it: a decoded window in, picture faults out.

    ``clock_every``: read the OSD clock on every Nth window (0: never). A read costs ~60 ms of
    OCR against ~10 ms for all other checks, so a large sweep samples it; the model loads on
    first use. A class rather than a closure so that it pickles: each prober process gets its
    own copy (thresholds and sampling rate; the OCR model and the count start afresh there).
    """

    def __init__(self, thresholds: QualityThresholds | None = None,
                 clock_every: int = 1) -> None:
        if clock_every < 0:
            raise ValueError(f"clock_every must be >= 0, got {clock_every}")
        self._setup(thresholds or QualityThresholds(), clock_every)

    def _setup(self, thresholds: QualityThresholds, clock_every: int) -> None:
        self.thresholds = thresholds
        self.clock_every = clock_every
        self._reader: ClockReader | None = RapidOcrClockReader() if clock_every > 0 else None
        self._windows = itertools.count()

    def __getstate__(self) -> dict[str, object]:
        return {"thresholds": self.thresholds, "clock_every": self.clock_every}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._setup(state["thresholds"], state["clock_every"])

    def __call__(self, window: DecodedWindow) -> list[PictureFault]:
        reader = self._reader
        clock = reader if reader is not None and next(self._windows) % self.clock_every == 0 \
            else None
        found = diagnose(window.pictures, self.thresholds, window.captured_at, clock=clock)
        return [PictureFault(d.code.value, d.code in BLOCKING, d.measured, d.threshold,
                             d.snapshot_jpeg) for d in found]


def picture_diagnoser(
    thresholds: QualityThresholds | None = None, clock_every: int = 1
) -> WindowDiagnoser:
    """The quality diagnosis as a probe calls it (see :class:`PictureDiagnoser`)."""
    return PictureDiagnoser(thresholds, clock_every)


#: Streams one process decodes at once, by default. A decode mostly waits (for the next
#: keyframe, then the window's frames), so 64 keep more decodes going than the process's one
#: diagnosis thread gets through; beyond that the decoders only contend for the GIL, and at
#: 100+ the protocol probes on the event loop starve and healthy cameras "time out"
#: (measured with ``benchmarks/sweep_bench.py``). More throughput comes from more processes
#: (``processes``), each with its own GIL and its own 64.
DECODE_WORKERS = 64
#: Probes in flight a prober process, by default. A playable probe spends most of its second
#: waiting (for the camera's next keyframe, then the window's frames), so it takes about 200 in
#: flight to keep one process's core busy: 200 shared by two processes left a fifth of a 2-core
#: machine idle (``benchmarks/sweep_bench.py``, 10,000 cameras: 141-150 cameras/s at 200 a
#: process against 139 at 100; no camera off its state either way).
CONCURRENCY_PER_PROCESS = 200


class LocalProber:
    """The probes of this machine as a sweep calls them: batch by batch, or as one stream.

    ``concurrency``: probes in flight (default :data:`CONCURRENCY_PER_PROCESS` a process).
    ``decode_workers``: streams decoded at once (threads;
    default :data:`DECODE_WORKERS` a process, at most ``concurrency``). Both are totals,
    shared evenly by the processes: more processes add cores, not load on the cameras.
    ``processes``: prober processes for :meth:`stream`. One process is held to about one core
    by its GIL (decoding and OpenCV release it, the Python around them does not), so a
    decoding sweep on an N-core machine runs up to N processes, each probing its share of the
    targets with its own event loop and decoders. Both serve
    :func:`vidgov.probing.sweep.run_sweep`: a batch call is the pure function a Ray task runs
    (always in this process, with one process's share of the decoders); ``stream`` keeps
    every slot busy across batches.
    """

    def __init__(self, options: ProbeOptions, concurrency: int | None = None,
                 decode_workers: int | None = None, processes: int = 1) -> None:
        if processes < 1:
            raise ValueError(f"processes must be >= 1, got {processes}")
        self.options = options
        self.concurrency = concurrency or CONCURRENCY_PER_PROCESS * processes
        self.decode_workers = decode_workers or min(self.concurrency, DECODE_WORKERS * processes)
        self.processes = processes
        if options.decode and self.decode_workers > 1:
            # Decoders and prober processes already keep the cores busy; OpenCV's own thread
            # pool on top only adds contention (measured: 26 -> 21 ms CPU a window).
            cv2.setNumThreads(1)

    def _share(self, total: int) -> int:
        """One process's share of ``total`` slots (rounded up)."""
        return max(1, -(-total // self.processes))

    def __reduce__(self) -> tuple[type[LocalProber], tuple[ProbeOptions, int, int, int]]:
        """A copy for one of ``processes`` child processes: its share of the probe slots and
        decoders, probing in that one process."""
        return LocalProber, (self.options, self._share(self.concurrency),
                             self._share(self.decode_workers), 1)

    def __call__(self, batch: Sequence[SweepTarget]) -> list[StoredProbe]:
        results = probe_many([ProbeTarget(t.url, t.device_id) for t in batch], self.options,
                             concurrency=self.concurrency,
                             decode_workers=self._share(self.decode_workers))
        return [_stored(t, r) for t, r in zip(batch, results, strict=True)]

    def stream(self, targets: Sequence[SweepTarget]) -> Iterator[StoredProbe]:
        if self.processes > 1 and len(targets) > 1:
            yield from stream_in_processes(self, targets, self.processes)
            return
        results = probe_stream((ProbeTarget(t.url, t.device_id) for t in targets),
                               self.options, concurrency=self.concurrency,
                               decode_workers=self.decode_workers)
        try:
            for result in results:
                assert result.device_id is not None  # every sweep target has one
                yield _stored_as(result.device_id, result)
        finally:
            results.close()


def make_prober(options: ProbeOptions, concurrency: int | None = None,
                decode_workers: int | None = None, processes: int = 1) -> LocalProber:
    """A prober for :func:`sweep`: probes concurrently, as a batch or as one stream."""
    return LocalProber(options, concurrency, decode_workers, processes)


def _stored(target: SweepTarget, result: ProbeResult) -> StoredProbe:
    return _stored_as(target.device_id, result)


def _stored_as(device_id: str, result: ProbeResult) -> StoredProbe:
    return StoredProbe(device_id, result.online, result.playable, list(result.faults),
                       result.probed_at, dict(result.timings_ms), result.evidence)


@dataclass(frozen=True)
class SweepReport:
    summary: SweepSummary
    orders: Changes


def sweep(
    engine: Engine, where: Sequence[str], prober: Prober, *, batch_size: int = 500,
    progress: Callable[[int], None] | None = None, grace: timedelta | None = None,
    start: Callable[[int], None] | None = None,
) -> SweepReport:
    """Sweep a scope (resuming an unfinished sweep of it), then update the work orders."""
    targets: list[SweepTarget] = targets_for(engine, where)
    if start is not None:
        start(len(targets))
    summary = run_sweep(engine, " ".join(where), targets, prober, batch_size=batch_size,
                        progress=progress)
    now = datetime.now(UTC)
    policy = Policy() if grace is None else Policy(grace=grace)
    changes = update_orders(engine, now, policy)
    roll_up(engine, before=now - KEEP_PROBES)
    return SweepReport(summary, changes)
