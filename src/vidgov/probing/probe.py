"""Probe cameras stage by stage: protocol (asyncio), then decode (a thread pool), then verdict.

The protocol stage costs a few milliseconds of one core per camera, so thousands run
concurrently on one event loop; only cameras that pass it are decoded, in a bounded thread pool
(FFmpeg releases the GIL while it waits and decodes). Every stage has a timeout, so a sweep's
duration is bounded by ``len(targets) / concurrency`` times the worst case of one probe, however
the cameras behave.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import logging
import queue
import threading
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from vidgov.domain.urls import redact_url
from vidgov.probing.address import (
    StreamProtocol,
    UnsupportedAddress,
    parse_address,
)
from vidgov.probing.frames import DecodedWindow, DecodeOutcome, read_window
from vidgov.probing.http import HttpTransport
from vidgov.probing.results import (
    FaultCode,
    PictureFault,
    ProbeResult,
    ProbeTimeouts,
    ProtocolOutcome,
)
from vidgov.probing.rtsp import RtspTransport
from vidgov.probing.session import Watch

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Diagnoses a window of frames (the quality package plugs in here): findings that matter to
#: playability, each saying whether it blocks use (black, no signal) or not (slight blur).
WindowDiagnoser = Callable[[DecodedWindow], Sequence[PictureFault]]
#: Receives each decoded window, e.g. to keep it for a later, heavier diagnosis.
WindowSink = Callable[["ProbeTarget", DecodedWindow], None]


@dataclass(frozen=True)
class ProbeTarget:
    """A camera to probe: its stream address and, when known, its GB/T 28181 device ID."""

    url: str = field(repr=False)
    device_id: str | None = None

    def __repr__(self) -> str:
        return f"ProbeTarget(url={redact_url(self.url)!r}, device_id={self.device_id!r})"


@dataclass(frozen=True)
class ProbeOptions:
    """How deep a probe goes.

    ``decode``: after the protocol stage, decode a first frame and a window (False = protocol
    only: online, not playable-proven). ``window_frames``: consecutive frames kept for
    diagnosis. Five: conversion and diagnosis cost per frame, and five are what the checks need
    (``frozen`` two, ``jitter`` three, the per-frame checks a median); the quality tests are
    built on four. Spacing them out was measured and rejected: on a real H.264 encoder a
    frozen picture's P-frames keep refining it, and two steps of that cross the frozen
    threshold that one step does not (a frozen camera then looks live).
    """

    timeouts: ProbeTimeouts = field(default_factory=ProbeTimeouts)
    decode: bool = True
    window_frames: int = 5
    diagnose: WindowDiagnoser | None = None
    on_window: WindowSink | None = None


_RTSP = RtspTransport()
_HTTP = HttpTransport()


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on uvloop's event loop where it is installed (Linux and macOS).

    Why: a probe is a dozen small socket reads and writes, and with hundreds in flight the
    event loop's own Python (selector, callbacks, transports) was a fifth of a playable probe's
    CPU; libuv does that part in C. Same asyncio API, so everything else is unchanged.
    """
    try:
        import uvloop
    except ImportError:  # Windows: the standard loop
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


async def probe_async(
    target: ProbeTarget, options: ProbeOptions | None = None, executor: Executor | None = None,
    diagnosis: Executor | None = None,
) -> ProbeResult:
    """Probe one camera; never raises for a camera's behaviour (the result says what happened).

    ``executor`` runs FFmpeg's blocking reads where it takes over; ``diagnosis`` decodes the
    access units taken off an RTSP connection and diagnoses the window (default:
    ``executor``).
    """
    options = options or ProbeOptions()
    probed_at = dt.datetime.now(dt.UTC)
    try:
        address = parse_address(target.url)
    except UnsupportedAddress as error:
        return _result(
            target,
            probed_at,
            ProtocolOutcome(False, FaultCode.PROTOCOL_ERROR, {}, str(error)),
            None,
            (),
        )
    decoded: DecodeOutcome | None = None
    if address.protocol is StreamProtocol.RTSP and options.decode:
        # The picture comes over the connection that just said DESCRIBE (one handshake,
        # no thread waiting for a keyframe); FFmpeg only for what that cannot play. Its
        # access units are decoded where the window is then diagnosed: pure CPU work, one
        # thread, warm caches, instead of dozens of decoder threads trading the GIL.
        watch = Watch(options.timeouts, options.window_frames, diagnosis or executor)
        protocol, decoded = await _RTSP.probe_then(address, options.timeouts, watch)
    elif address.protocol is StreamProtocol.RTSP:
        protocol = await _RTSP.probe(address, options.timeouts)
    else:
        protocol = await _HTTP.probe(address, options.timeouts)
    if protocol.fault is not None or not options.decode:
        return _result(target, probed_at, protocol, None, ())
    loop = asyncio.get_running_loop()
    if decoded is None:
        decoded = await loop.run_in_executor(
            executor, read_window, address, options.timeouts, options.window_frames)
    findings: tuple[PictureFault, ...] = ()
    if decoded.window is not None and options.diagnose is not None:
        findings = tuple(await loop.run_in_executor(
            diagnosis or executor, options.diagnose, decoded.window))
    if decoded.window is not None and options.on_window is not None:
        options.on_window(target, decoded.window)
    return _result(target, probed_at, protocol, decoded, findings)


def _result(
    target: ProbeTarget,
    probed_at: dt.datetime,
    protocol: ProtocolOutcome,
    decoded: DecodeOutcome | None,
    findings: tuple[PictureFault, ...],
) -> ProbeResult:
    timings: dict[str, float] = dict(protocol.timings_ms)
    faults: list[str] = [protocol.fault.value] if protocol.fault is not None else []
    detail = protocol.detail
    playable = False
    if decoded is not None:
        timings.update(decoded.timings_ms)
        if decoded.fault is not None:
            faults.append(decoded.fault.value)
            detail = decoded.detail
        else:
            faults.extend(f.code for f in findings)
            playable = not any(f.blocking for f in findings)
    result = ProbeResult(
        device_id=target.device_id,
        url=target.url,
        online=protocol.online,
        playable=playable,
        faults=tuple(faults),
        timings_ms=timings,
        probed_at=probed_at,
        detail=detail,
        evidence=findings if decoded is not None and decoded.fault is None else (),
    )
    log.debug(
        "probed %s: online=%s playable=%s faults=%s",
        result.url,
        result.online,
        result.playable,
        ",".join(result.faults) or "-",
    )
    return result


def probe(target: ProbeTarget | str, options: ProbeOptions | None = None) -> ProbeResult:
    """Probe one camera from synchronous code (runs its own event loop)."""
    if isinstance(target, str):
        target = ProbeTarget(target)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vidgov-decode") as pool:
        return run_loop(probe_async(target, options, pool))


async def probe_many_async(
    targets: Iterable[ProbeTarget],
    options: ProbeOptions | None = None,
    *,
    concurrency: int = 200,
    decode_workers: int = 4,
) -> list[ProbeResult]:
    """Probe every target with at most ``concurrency`` in flight; results in target order.

    ``concurrency`` bounds open connections (protocol stage); ``decode_workers`` bounds
    concurrent decoders (threads). Targets are pulled lazily, so a sweep of 250,000 cameras
    holds ``concurrency`` probes in memory, not 250,000.
    """
    results: dict[int, ProbeResult] = {}

    async def keep(index: int, result: ProbeResult) -> None:
        results[index] = result

    await _probe_each(targets, options, concurrency, decode_workers, keep)
    return [results[index] for index in range(len(results))]


async def _probe_each(
    targets: Iterable[ProbeTarget],
    options: ProbeOptions | None,
    concurrency: int,
    decode_workers: int,
    deliver: Callable[[int, ProbeResult], Awaitable[None]],
    stop: threading.Event | None = None,
) -> None:
    """Probe every target, handing each result to ``deliver`` as it completes.

    A worker pulls its next target only once ``deliver`` has returned, so a slow consumer
    holds the probing back instead of letting results pile up. ``stop``: pull no more targets.
    """
    if concurrency < 1 or decode_workers < 1:
        raise ValueError(
            f"concurrency and decode_workers must be >= 1, got {concurrency}, {decode_workers}"
        )
    options = options or ProbeOptions()
    numbered = enumerate(targets)
    # FFmpeg's decoders mostly wait on the network; decoding access units and diagnosis are
    # all CPU. One diagnosis thread per process does the CPU part one window after another
    # on warm caches, where dozens of threads doing it at once thrash the caches and hand
    # the GIL back and forth (measured: the checks cost ~1.6x as much on 16 threads as on
    # one).
    decoders = ThreadPoolExecutor(max_workers=decode_workers, thread_name_prefix="vidgov-decode")
    diagnosers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vidgov-diagnose")
    with decoders as pool, diagnosers as diagnosis:

        async def worker() -> None:
            for index, target in numbered:
                if stop is not None and stop.is_set():
                    return
                await deliver(index, await probe_async(target, options, pool, diagnosis))

        await asyncio.gather(*(worker() for _ in itertools.repeat(None, concurrency)))


def probe_stream(
    targets: Iterable[ProbeTarget],
    options: ProbeOptions | None = None,
    *,
    concurrency: int = 200,
    decode_workers: int = 4,
    buffered: int = 1000,
) -> Generator[ProbeResult, None, None]:
    """Probe every target, yielding each result as soon as it is known (completion order).

    Unlike probing batch after batch, no probe waits for the slowest of its batch (a camera
    that never sends a keyframe holds a decoder for the whole first-frame time), so
    ``concurrency`` probes are in flight from the first camera to the last. The event loop
    runs in a thread of its own; at most ``buffered`` results wait for the consumer before
    probing pauses. Closing the iterator early stops pulling targets and waits for the probes
    in flight (each bounded by its timeouts); an error in the probing is raised here.
    """
    if buffered < 1:
        raise ValueError(f"buffered must be >= 1, got {buffered}")
    producer = _StreamProducer(targets, options, concurrency, decode_workers, buffered)
    # Room is handed back in chunks (each hand-over wakes the event loop), and always before
    # waiting: a consumer that held room back while it waits would stall the probing.
    chunk, taken = max(1, buffered // 4), 0
    try:
        while True:
            try:
                item = producer.ready.get_nowait()
            except queue.Empty:
                producer.make_room(taken)
                taken = 0
                item = producer.ready.get()
            if isinstance(item, _Finished):
                if item.error is not None:
                    raise item.error
                return
            taken += 1
            if taken >= chunk:
                producer.make_room(taken)
                taken = 0
            yield item
    finally:
        producer.stop(taken)


@dataclass(frozen=True)
class _Finished:
    """End of a probe stream, with the error that ended it, if any."""

    error: BaseException | None


class _StreamProducer:
    """The event-loop thread behind :func:`probe_stream`: probes into ``ready``, bounded by
    room the consumer hands back."""

    def __init__(self, targets: Iterable[ProbeTarget], options: ProbeOptions | None,
                 concurrency: int, decode_workers: int, buffered: int) -> None:
        self.ready: queue.SimpleQueue[ProbeResult | _Finished] = queue.SimpleQueue()
        self._args = (targets, options, concurrency, decode_workers)
        self._buffered = buffered
        self._stopping = threading.Event()
        self._started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._room: asyncio.Semaphore | None = None
        self._thread = threading.Thread(target=self._run, name="vidgov-probe-loop", daemon=True)
        self._thread.start()
        self._started.wait()

    def make_room(self, count: int) -> None:
        """Let the probing deliver ``count`` more results (callable from any thread)."""
        loop, room = self._loop, self._room
        if count and loop is not None and room is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop finished meanwhile
                loop.call_soon_threadsafe(_release, room, count)

    def stop(self, held: int) -> None:
        """Pull no more targets, release workers waiting to deliver, wait for the thread."""
        self._stopping.set()
        self.make_room(held + self._args[2])
        self._thread.join()

    def _run(self) -> None:
        error: BaseException | None = None
        try:
            run_loop(self._produce())
        except BaseException as exc:  # handed to the consumer, which raises it
            error = exc
        finally:
            self._started.set()
            self.ready.put(_Finished(error))

    async def _produce(self) -> None:
        room = asyncio.Semaphore(self._buffered)
        self._loop, self._room = asyncio.get_running_loop(), room
        self._started.set()

        async def deliver(_index: int, result: ProbeResult) -> None:
            await room.acquire()
            self.ready.put(result)

        targets, options, concurrency, decode_workers = self._args
        await _probe_each(targets, options, concurrency, decode_workers, deliver,
                          self._stopping)


def _release(semaphore: asyncio.Semaphore, count: int) -> None:
    for _ in range(count):
        semaphore.release()


def probe_many(
    targets: Iterable[ProbeTarget | str],
    options: ProbeOptions | None = None,
    *,
    concurrency: int = 200,
    decode_workers: int = 4,
) -> list[ProbeResult]:
    """Synchronous :func:`probe_many_async` (runs its own event loop)."""
    wrapped = (ProbeTarget(t) if isinstance(t, str) else t for t in targets)
    return run_loop(
        probe_many_async(wrapped, options, concurrency=concurrency, decode_workers=decode_workers)
    )
