"""The catalog import's hand-overs between threads: each stage of the import (decode and split,
normalise and check, stage, insert) runs in a thread of its own, one item ahead of the next.

Why threads: polars, the codecs' C loops, ADBC and SQLite release the GIL for most of their
work, so the stages share the machine's cores; the hand-overs are bounded, so memory stays
flat, and an error in any stage is raised again in the one that waits for it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterator
from typing import Any, TypeVar

import polars as pl

T = TypeVar("T")


class FramePipe:
    """The bounded hand-over from the reading thread to the writing one.

    Frames wait here while the writer is busy; the writer takes all that are waiting at once
    (one staged table each time, so the number of staged tables stays small). An error in
    the reader is raised again in the writer.
    """

    def __init__(self) -> None:
        self._queue: queue.Queue[pl.DataFrame | BaseException | None] = queue.Queue(4)
        self._closed = threading.Event()

    def run(self, produce: Callable[[], None]) -> None:
        try:
            produce()
        except BaseException as exc:  # handed to the writer, which raises it
            self.put(exc)
        else:
            self.put(None)

    def put(self, item: pl.DataFrame | BaseException | None) -> None:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def take(self, at_least: int | None) -> list[pl.DataFrame]:
        """At least ``at_least`` frames (None: all that remain), and any more already
        waiting; fewer only when reading has ended, none when nothing is left."""
        frames: list[pl.DataFrame] = []
        while not self._closed.is_set():
            if at_least is not None and len(frames) >= at_least and self._queue.empty():
                break
            try:
                item = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue  # see whether the pipe was closed meanwhile
            if isinstance(item, BaseException):
                raise item
            if item is None:
                self._closed.set()
            else:
                frames.append(item)
        return frames

    def close(self) -> None:
        self._closed.set()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return


def prefetched(
    items: Iterator[T], depth: int = 2, name: str = "catalog-decoder"
) -> Generator[T, None, None]:
    """``items``, produced in a thread of their own up to ``depth`` ahead: the next chunk is
    decoded and split (bytes, codecs, polars) while this one is normalised and checked, the
    next batch staged while this one is written. Its errors are raised here, in order;
    leaving early stops the producer."""
    ready: queue.Queue[tuple[bool, T | BaseException | None]] = queue.Queue(depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if not _offer(ready, (True, item), stop):
                    return
        except BaseException as exc:  # handed to the consumer, which raises it
            _offer(ready, (False, exc), stop)
        else:
            _offer(ready, (False, None), stop)

    producer = threading.Thread(target=produce, name=name, daemon=True)
    producer.start()
    try:
        while True:
            more, item = ready.get()
            if more:
                yield item  # type: ignore[misc]  # an item, not an error, when more is True
                continue
            if isinstance(item, BaseException):
                raise item
            return
    finally:
        stop.set()
        producer.join()


def _offer(ready: queue.Queue[Any], entry: Any, stop: threading.Event) -> bool:
    """Put ``entry`` unless the consumer has gone; False when it has."""
    while not stop.is_set():
        try:
            ready.put(entry, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False
