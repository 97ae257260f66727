"""Live analytics: the worker runs every enabled subscription on its camera's live stream.

Each subscribed camera gets a reader thread and an analyst thread joined by a small bounded
queue. The reader decodes the stream without pause (a live camera does not wait: a reader that
falls behind sees ever older pictures) and hands on only what is needed: one frame per
sample interval for detection and, every few minutes, a short window of consecutive frames for
the picture diagnosis of the health sweeps — one decode feeds both. When the analyst falls
behind, the queue drops the oldest frame (counted, logged) rather than growing or blocking the
reader. A camera that cannot be opened or dies is retried with backoff in its own threads, so
it never stalls the others; the detector is shared (onnxruntime sessions are thread-safe) and
limited to ``detect_slots`` calls at once, the machine's cores.

What is found is stored minute by minute through :func:`vidgov.services.analytics.record_run`
(complete minutes, ended events; re-delivery replaces rather than double counts), and each
diagnosis as a probe result of a per-camera "analytics" sweep, so the camera's health in the
cockpit reflects what the analytics stream saw.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from vidgov.analytics.detect import Detector
from vidgov.analytics.events import Redact
from vidgov.analytics.live import Flushed, Pixels, StreamAnalysis
from vidgov.analytics.video import VideoFrame, VideoInfo, open_video
from vidgov.domain.urls import redact_url
from vidgov.errors import VidgovError
from vidgov.probing.frames import DecodedWindow
from vidgov.probing.probe import WindowDiagnoser
from vidgov.probing.sweep import SweepTarget, finish, record, start_or_resume
from vidgov.services.analytics import record_run
from vidgov.services.subscriptions import (
    OptionsFor,
    Shard,
    Subscription,
    analysis_options,
    enabled_subscriptions,
)
from vidgov.services.sweeps import BLOCKING, StoredProbe

log = logging.getLogger(__name__)

#: Frames the diagnosis looks at, consecutive (as a sweep's probe decodes them).
DIAGNOSIS_FRAMES = 5


@dataclass(frozen=True)
class LiveSettings:
    """How the worker runs subscriptions; every figure has a reason in the module docstring."""

    flush_every_s: float = 60.0  # store complete minutes this often
    diagnose_every_s: float = 300.0  # one picture diagnosis per camera this often; 0 never
    queue_frames: int = 8  # sampled frames waiting for the analyst, per camera
    batch: int = 4  # sampled frames per detector call, at most
    detect_slots: int = 2  # detector calls at once, all cameras together
    retry_s: tuple[float, ...] = (2.0, 5.0, 15.0, 30.0, 60.0)  # reconnect backoff
    refresh_s: float = 30.0  # how often the subscription list is re-read


@dataclass
class CameraStats:
    """What the worker can say of one camera (logged, and read by tests)."""

    connections: int = 0
    frames: int = 0
    analysed: int = 0
    dropped: int = 0
    flushes: int = 0
    diagnoses: int = 0
    errors: list[str] = field(default_factory=list)


class _Queue:
    """A bounded queue that drops its oldest item when full: a live frame that waited too
    long is worth less than the newest one."""

    def __init__(self, size: int) -> None:
        self._items: deque[object] = deque()
        self._size = size
        self._ready = threading.Condition()
        self.dropped = 0

    def put(self, item: object) -> None:
        with self._ready:
            if len(self._items) >= self._size:
                self._items.popleft()
                self.dropped += 1
            self._items.append(item)
            self._ready.notify()

    def take(self, most: int, timeout: float) -> list[object]:
        with self._ready:
            if not self._items:
                self._ready.wait(timeout)
            taken: list[object] = []
            while self._items and len(taken) < most:
                taken.append(self._items.popleft())
            return taken


@dataclass(frozen=True)
class _Window:
    window: DecodedWindow


@dataclass(frozen=True)
class _End:
    reason: str


class CameraRunner:
    """One subscription's reader and analyst threads, reconnecting until :meth:`stop`."""

    def __init__(self, engine: Engine, subscription: Subscription, detector: Detector,
                 diagnose: WindowDiagnoser | None, settings: LiveSettings,
                 slots: threading.Semaphore, redact: Redact | None = None) -> None:
        self.engine = engine
        self.subscription = subscription
        self.settings = settings
        self.stats = CameraStats()
        self._detector = detector
        self._diagnose = diagnose
        self._slots = slots
        self._redact = redact
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"vidgov-live-{subscription.device_id}")

    def start(self) -> CameraRunner:
        self._thread.start()
        return self

    def signal_stop(self) -> None:
        """Ask it to stop (it stores its last minutes first); :meth:`stop` also waits."""
        self._stop.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
                if self._watch():
                    attempt = 0  # it had worked: start the backoff again
            except VidgovError as exc:  # unreachable, not a video, store refused: retry
                self._failed(str(exc))
            except Exception as exc:  # a crash of one camera must never end the others
                log.exception("live analytics of %s crashed", self.subscription.device_id)
                self._failed(f"{type(exc).__name__}: {exc}")
            delay = self.settings.retry_s[min(attempt, len(self.settings.retry_s) - 1)]
            attempt += 1
            self._stop.wait(delay)

    def _failed(self, reason: str) -> None:
        self.stats.errors = [*self.stats.errors[-9:], reason]
        log.warning("live analytics of %s: %s", self.subscription.device_id, reason)

    def _watch(self) -> bool:
        """One connection: read, analyse and store until the stream ends or we stop; True
        when at least one frame was analysed."""
        sub = self.subscription
        with open_video(sub.url) as (info, frames):
            self.stats.connections += 1
            log.info("live analytics of %s: %s, %d×%d", sub.device_id, redact_url(sub.url),
                     info.width, info.height)
            connected = datetime.now(UTC)
            base = connected.replace(second=0, microsecond=0)
            analysis = StreamAnalysis(
                sub.options, info, self._detector, frame_rate=sub.sample_rate_fps,
                offset_s=(connected - base).total_seconds(), redact=self._redact)
            queue = _Queue(self.settings.queue_frames)
            analyst = threading.Thread(target=self._analyse, args=(queue, analysis, base, info),
                                       daemon=True, name=f"vidgov-analyst-{sub.device_id}")
            analyst.start()
            try:
                self._read(frames, info, queue)
            finally:
                queue.put(_End("stream ended" if not self._stop.is_set() else "stopped"))
                analyst.join()
                self.stats.dropped += queue.dropped
        return analysis.analysed > 0

    def _read(self, frames: Iterator[VideoFrame], info: VideoInfo,
              queue: _Queue) -> None:
        interval = 1.0 / self.subscription.sample_rate_fps
        next_sample = 0.0
        every = self.settings.diagnose_every_s
        next_diagnosis = 0.0 if every > 0 and self._diagnose is not None else float("inf")
        window: list[Pixels] = []
        window_at = datetime.now(UTC)
        for frame in frames:
            if self._stop.is_set():
                return
            self.stats.frames += 1
            sample = frame.t_s >= next_sample
            diagnose = frame.t_s >= next_diagnosis
            if not (sample or diagnose):
                continue
            # Converted here, once: the analyst never touches PyAV (see Pixels).
            pixels = Pixels(frame.index, frame.t_s, frame.bgr())
            if sample:
                queue.put(pixels)
                next_sample = max(next_sample + interval, frame.t_s)
            if diagnose:
                if not window:
                    window_at = datetime.now(UTC)
                window.append(pixels)
                if len(window) == DIAGNOSIS_FRAMES:
                    queue.put(_Window(_decoded(window, window_at, info)))
                    window = []
                    next_diagnosis = frame.t_s + every

    def _analyse(self, queue: _Queue, analysis: StreamAnalysis, base: datetime,
                 info: VideoInfo) -> None:
        last_flush = time.monotonic()
        while True:
            items = queue.take(self.settings.batch, timeout=1.0)
            sampled = [i for i in items if isinstance(i, Pixels)]
            if sampled:
                with self._slots:
                    analysis.feed(sampled)
                self.stats.analysed += len(sampled)
            for item in items:
                if isinstance(item, _Window):
                    self._store_diagnosis(item.window)
            ended = any(isinstance(i, _End) for i in items)
            if ended or time.monotonic() - last_flush >= self.settings.flush_every_s:
                self._store(analysis.flush(final=ended), base)
                last_flush = time.monotonic()
            if ended:
                return

    def _store(self, flushed: Flushed, base: datetime) -> None:
        if flushed.series.is_empty() and not flushed.events:
            return
        with Session(self.engine) as session, session.begin():
            done = record_run(session, self.subscription.device_id, base, flushed.series,
                              flushed.events)
        self.stats.flushes += 1
        log.info("live analytics of %s: %d minute rows, %d new events, %d updated; %d frames "
                 "analysed, %d dropped", self.subscription.device_id, done.count_rows,
                 done.events_new, done.events_updated, self.stats.analysed,
                 self.stats.dropped)

    def _store_diagnosis(self, window: DecodedWindow) -> None:
        assert self._diagnose is not None
        started = time.perf_counter()
        found = self._diagnose(window)
        probe = StoredProbe(
            device_id=self.subscription.device_id, online=True,
            playable=not any(f.code in BLOCKING for f in found),
            faults=sorted({f.code for f in found}), probed_at=window.captured_at,
            timings_ms={"diagnose": (time.perf_counter() - started) * 1000}, evidence=found)
        target = SweepTarget(self.subscription.device_id, self.subscription.url)
        sweep_id, _, _ = start_or_resume(
            self.engine, f"analytics {self.subscription.device_id}", [target], probe.probed_at)
        record(self.engine, sweep_id, [probe])
        finish(self.engine, sweep_id, probe.probed_at)
        self.stats.diagnoses += 1


def _decoded(frames: Sequence[Pixels], captured_at: datetime,
             info: VideoInfo) -> DecodedWindow:
    pictures = np.stack([f.picture for f in frames])
    times = np.array([f.t_s for f in frames], dtype=np.float64)
    return DecodedWindow.of_bgr(pictures, times, captured_at, info.fps)


class LiveAnalytics:
    """Keeps one :class:`CameraRunner` per enabled subscription, following changes."""

    def __init__(self, engine: Engine, detector: Callable[[], Detector],
                 options_for: OptionsFor = analysis_options,
                 diagnose: WindowDiagnoser | None = None,
                 settings: LiveSettings | None = None,
                 redact: Callable[[], Redact] | None = None,
                 shard: Shard | None = None) -> None:
        self.engine = engine
        self.settings = settings or LiveSettings()
        self.shard = shard or Shard()
        self.runners: dict[int, CameraRunner] = {}
        self._make_detector = detector
        self._detector: Detector | None = None
        self._options_for = options_for
        self._diagnose = diagnose
        self._slots = threading.Semaphore(self.settings.detect_slots)
        self._make_redact = redact
        self._redact: Redact | None = None

    def refresh(self) -> None:
        """Start runners for new subscriptions, stop those of removed or changed ones."""
        wanted = {s.id: s for s in enabled_subscriptions(self.engine, self._options_for,
                                                         self.shard)}
        for sid in [sid for sid, r in self.runners.items()
                    if sid not in wanted or wanted[sid] != r.subscription]:
            self.runners.pop(sid).stop()
        for sid, subscription in wanted.items():
            if sid not in self.runners:
                if self._detector is None:  # loaded once, and only when there is work
                    self._detector = self._make_detector()
                    if self._make_redact is not None:
                        self._redact = self._make_redact()
                self.runners[sid] = CameraRunner(
                    self.engine, subscription, self._detector, self._diagnose,
                    self.settings, self._slots, self._redact).start()

    def run(self, stop: threading.Event) -> None:
        """Follow the subscriptions until ``stop`` is set, then stop every runner (their
        last minutes stored)."""
        try:
            while not stop.is_set():
                try:
                    self.refresh()
                except VidgovError as exc:  # no model installed, store away: say, and retry
                    log.error("live analytics cannot start: %s", exc)
                stop.wait(self.settings.refresh_s)
        finally:
            self.close()

    def close(self) -> None:
        for runner in self.runners.values():
            runner.signal_stop()
        for runner in self.runners.values():
            runner.stop()
        self.runners.clear()
