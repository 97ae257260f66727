"""One sweep's probing spread over several processes, streamed back as one.

Why processes: a prober process is held to about one core by its GIL. FFmpeg and OpenCV release
it while they decode and measure, but the event loop, the demuxing loop and the glue between
the checks do not, so on a 2-core machine one process runs at ~1.1 cores however many decode
threads it has. Each child here probes its own share of the targets with its own event loop
and decoders, and sends its outcomes back in small chunks; the caller sees one stream.

The prober must pickle (it travels to each child, started with ``spawn``: forking a process
that runs threads, as a sweep does, can copy a lock in a held state). Closing the stream early
stops the children: each stops pulling targets, finishes the probes it has in flight (bounded
by their timeouts) and exits; those outcomes are dropped, as a streaming sweep that is stopped
drops its probes in flight (a resumed sweep probes them again).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from typing import Final, Protocol, TypeVar

from vidgov.domain.urls import redact_url

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)
O_co = TypeVar("O_co", covariant=True)

#: Outcomes a child sends at once, and the longest it holds one back (seconds): chunks keep
#: the pickling and pipe traffic per outcome small without delaying the stored batches.
CHUNK: Final = 64
CHUNK_WAIT_S: Final = 0.25
#: How long a stopping child may take to finish its probes in flight before it is killed
#: (seconds): far above the worst case of one probe under the default timeouts.
STOP_GRACE_S: Final = 30.0


class StreamSource(Protocol[T_contra, O_co]):
    """Something that probes a list of targets as one stream (``LocalProber`` is one)."""

    def stream(self, targets: Sequence[T_contra], /) -> Iterator[O_co]: ...


@dataclass(frozen=True)
class _Done:
    """A child finished its share; ``error``: why it failed (addresses redacted), if it did."""

    error: str | None = None


def stream_in_processes(source: StreamSource[T, O_co], targets: Sequence[T],
                        processes: int) -> Iterator[O_co]:
    """``source.stream`` over ``targets`` in ``processes`` child processes, in completion order.

    Targets are dealt round robin, so every child gets the same mix of cameras. A child that
    fails raises ``RuntimeError`` here once the others are stopped.
    """
    if processes < 1:
        raise ValueError(f"processes must be >= 1, got {processes}")
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[list[O_co] | _Done] = context.Queue()
    stop = context.Event()
    shares = [list(targets[i::processes]) for i in range(processes)]
    children = [context.Process(target=_probe_share, args=(source, share, results, stop),
                                name=f"vidgov-prober-{i}", daemon=True)
                for i, share in enumerate(shares) if share]
    for child in children:
        child.start()
    running = len(children)
    try:
        while running:
            try:
                item = results.get(timeout=1.0)
            except queue.Empty:
                if any(child.is_alive() for child in children):
                    continue
                codes = [child.exitcode for child in children]
                raise RuntimeError(
                    f"a prober process died without a word (exit codes {codes})") from None
            if isinstance(item, _Done):
                running -= 1
                if item.error is not None:
                    raise RuntimeError(f"a prober process failed: {item.error}")
                continue
            yield from item
    finally:
        stop.set()
        _drain(results, running, children)


def _drain(results: multiprocessing.Queue[list[O_co] | _Done], running: int,
           children: Sequence[multiprocessing.process.BaseProcess]) -> None:
    """Read until every child has said it is done (a child cannot exit while its pipe is
    full), then reap them; one that overstays its grace is killed."""
    deadline = time.monotonic() + STOP_GRACE_S
    while running and time.monotonic() < deadline:
        try:
            item = results.get(timeout=0.5)
        except queue.Empty:
            if not any(child.is_alive() for child in children):
                break
            continue
        running -= isinstance(item, _Done)
    for child in children:
        child.join(max(0.0, deadline - time.monotonic()))
        if child.is_alive():
            child.kill()
            child.join()
    results.close()


def _probe_share(source: StreamSource[T, O_co], share: list[T],
                 results: multiprocessing.Queue[list[O_co] | _Done], stop: Event) -> None:
    """A child's work: stream its share, sending outcomes in chunks, until done or stopped.

    A child whose parent died (``kill -9`` of a sweep) stops too: nobody would store what it
    probes, and its queue's pipe would fill and hold it forever.
    """
    parent = os.getppid()
    error: str | None = None
    try:
        outcomes = source.stream(share)
        chunk: list[O_co] = []
        sent = time.monotonic()
        try:
            for outcome in outcomes:
                if stop.is_set():
                    break
                if os.getppid() != parent:
                    results.cancel_join_thread()  # exit without flushing to a dead reader
                    stop.set()
                    break
                chunk.append(outcome)
                if len(chunk) >= CHUNK or time.monotonic() - sent >= CHUNK_WAIT_S:
                    results.put(chunk)
                    chunk, sent = [], time.monotonic()
        finally:
            close = getattr(outcomes, "close", None)
            if close is not None:
                close()
        if chunk and not stop.is_set():
            results.put(chunk)
    except BaseException as exc:  # reported to the parent, which raises it
        error = redact_url(f"{type(exc).__name__}: {exc}")
    results.put(_Done(error))
