"""Sweeps as operators run them: the real prober plugged into the resumable sweep."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import cv2
from sqlalchemy import Engine

from vidgov.maintenance.lifecycle import Changes, Policy, update_orders
from vidgov.probing.frames import FrameWindow as DecodedWindow
from vidgov.probing.probe import (
    ProbeOptions,
    ProbeTarget,
    WindowDiagnoser,
    probe_many,
    probe_stream,
)
from vidgov.probing.results import PictureFault, ProbeResult
from vidgov.probing.schedule import targets_for
from vidgov.probing.sweep import Prober, SweepSummary, SweepTarget, roll_up, run_sweep
from vidgov.quality import FrameWindow, QualityFault, QualityThresholds, diagnose
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


def picture_diagnoser(
    thresholds: QualityThresholds | None = None, clock_every: int = 1
) -> WindowDiagnoser:
    """The quality diagnosis as a probe calls it.

    ``clock_every``: read the OSD clock on every Nth window (0: never). A read costs 50–80 ms
    of OCR against ~3 ms for all other checks, so a large sweep samples it; the model loads on
    first use.
    """
    limits = thresholds or QualityThresholds()
    reader: ClockReader | None = RapidOcrClockReader() if clock_every > 0 else None
    windows = itertools.count()

    def diagnose_window(window: DecodedWindow) -> list[PictureFault]:
        clock = reader if reader is not None and next(windows) % clock_every == 0 else None
        if len(window.pts_s) > 1 and (window.pts_s[1:] > window.pts_s[:-1]).all():
            frames = FrameWindow(window.frames_bgr, window.pts_s)
        else:  # a stream without usable timestamps: assume its nominal rate
            frames = FrameWindow.at_fps(window.frames_bgr, window.fps or 10.0)
        found = diagnose(frames, limits, window.captured_at, clock=clock)
        return [PictureFault(d.code.value, d.code in BLOCKING, d.measured, d.threshold,
                             d.snapshot_jpeg) for d in found]

    return diagnose_window


#: Streams one process decodes at once, by default. A decode mostly waits (for the next
#: keyframe, then ~1 s of frames: ~1.6 s a camera), so 64 keep ~40 decodes a second going,
#: more than two cores can diagnose; beyond that the decoders only contend for the GIL, and
#: at 100+ the protocol probes on the event loop starve and healthy cameras "time out"
#: (measured with ``benchmarks/sweep_bench.py``). More throughput comes from more workers.
DECODE_WORKERS = 64


class LocalProber:
    """The probes of this process as a sweep calls them: batch by batch, or as one stream.

    ``concurrency``: probes in flight. ``decode_workers``: streams decoded at once (threads;
    default :data:`DECODE_WORKERS`, at most ``concurrency``). Both serve
    :func:`vidgov.probing.sweep.run_sweep`: a batch call is the pure function a Ray task
    runs; ``stream`` keeps every slot busy across batches.
    """

    def __init__(self, options: ProbeOptions, concurrency: int = 200,
                 decode_workers: int | None = None) -> None:
        self.options = options
        self.concurrency = concurrency
        self.decode_workers = decode_workers or min(concurrency, DECODE_WORKERS)
        if options.decode and self.decode_workers > 1:
            # Windows are diagnosed on many threads at once; OpenCV's own thread pool on top
            # only adds contention (measured: 26 -> 21 ms CPU a window).
            cv2.setNumThreads(1)

    def __call__(self, batch: Sequence[SweepTarget]) -> list[StoredProbe]:
        results = probe_many([ProbeTarget(t.url, t.device_id) for t in batch], self.options,
                             concurrency=self.concurrency, decode_workers=self.decode_workers)
        return [_stored(t, r) for t, r in zip(batch, results, strict=True)]

    def stream(self, targets: Sequence[SweepTarget]) -> Iterator[StoredProbe]:
        results = probe_stream((ProbeTarget(t.url, t.device_id) for t in targets),
                               self.options, concurrency=self.concurrency,
                               decode_workers=self.decode_workers)
        try:
            for result in results:
                assert result.device_id is not None  # every sweep target has one
                yield _stored_as(result.device_id, result)
        finally:
            results.close()


def make_prober(options: ProbeOptions, concurrency: int = 200,
                decode_workers: int | None = None) -> LocalProber:
    """A prober for :func:`sweep`: probes concurrently, as a batch or as one stream."""
    return LocalProber(options, concurrency, decode_workers)


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
