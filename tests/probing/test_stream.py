"""Probing as one stream: every result once, as soon as it is known, with bounded buffering,
an early stop that leaves no thread behind, and errors raised to the consumer.

Targets here are dead cameras (a port bound and never listening): each probe is answered at
once by the kernel, so no server is needed.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import socket
import threading
import time
from collections.abc import Iterator, Sequence

import pytest

from vidgov.probing.probe import ProbeOptions, ProbeTarget, probe_stream
from vidgov.probing.processes import stream_in_processes
from vidgov.probing.results import ProbeTimeouts
from vidgov.probing.sweep import SweepTarget
from vidgov.quality import QualityThresholds
from vidgov.services.sweeps import DECODE_WORKERS, PictureDiagnoser, make_prober

PROTOCOL = ProbeOptions(timeouts=ProbeTimeouts(connect_s=1.0, rtsp_s=1.0), decode=False)


@pytest.fixture(scope="module")
def dead_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


class Counted:
    """Targets handed out lazily, counting how many were taken."""

    def __init__(self, port: int, n: int) -> None:
        self.port, self.n, self.taken = port, n, 0

    def __iter__(self) -> Iterator[ProbeTarget]:
        for i in range(self.n):
            self.taken += 1
            yield ProbeTarget(f"rtsp://127.0.0.1:{self.port}/cam/{i}", f"cam-{i}")


def _loop_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "vidgov-probe-loop"]


def test_every_target_yields_one_result(dead_port: int) -> None:
    results = list(probe_stream(Counted(dead_port, 50), PROTOCOL, concurrency=7))
    assert sorted(r.device_id or "" for r in results) == sorted(f"cam-{i}" for i in range(50))
    assert {r.faults for r in results} == {("unreachable",)}
    assert _loop_threads() == []


def test_probing_waits_for_a_slow_consumer(dead_port: int) -> None:
    targets = Counted(dead_port, 1000)
    stream = probe_stream(targets, PROTOCOL, concurrency=2, buffered=3)
    next(stream)
    time.sleep(0.5)  # every probe takes a millisecond: without a bound all 1,000 would be done
    assert targets.taken <= 1 + 3 + 2
    stream.close()


def test_closing_early_stops_probing_and_leaves_no_thread(dead_port: int) -> None:
    targets = Counted(dead_port, 1000)
    stream = probe_stream(targets, PROTOCOL, concurrency=4, buffered=10)
    taken = [next(stream) for _ in range(3)]
    stream.close()
    assert len(taken) == 3
    assert targets.taken < 1000
    assert _loop_threads() == []


def test_an_error_in_the_probing_reaches_the_consumer(dead_port: int) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        list(probe_stream(Counted(dead_port, 3), PROTOCOL, concurrency=0))
    assert _loop_threads() == []


def test_the_local_prober_streams_under_the_catalog_ids(dead_port: int) -> None:
    prober = make_prober(PROTOCOL, concurrency=5)
    targets = [SweepTarget(f"4501030000132{i:07d}", f"rtsp://127.0.0.1:{dead_port}/cam/{i}")
               for i in range(20)]
    stored = list(prober.stream(targets))
    assert sorted(s.device_id for s in stored) == [t.device_id for t in targets]
    assert all(not s.online and s.faults == ["unreachable"] for s in stored)


@pytest.mark.parametrize(("concurrency", "workers"), [(200, DECODE_WORKERS), (10, 10)])
def test_decoders_default_to_a_bounded_number(concurrency: int, workers: int) -> None:
    assert make_prober(PROTOCOL, concurrency).decode_workers == workers


def test_prober_processes_stream_every_target_once(dead_port: int) -> None:
    prober = make_prober(PROTOCOL, concurrency=5, processes=2)
    targets = [SweepTarget(f"4501030000132{i:07d}", f"rtsp://127.0.0.1:{dead_port}/cam/{i}")
               for i in range(41)]
    stored = list(prober.stream(targets))
    assert sorted(s.device_id for s in stored) == [t.device_id for t in targets]
    assert all(not s.online and s.faults == ["unreachable"] for s in stored)
    assert multiprocessing.active_children() == []


def test_closing_a_process_stream_early_stops_its_processes(dead_port: int) -> None:
    prober = make_prober(PROTOCOL, concurrency=2, processes=2)
    targets = [SweepTarget(f"4501030000132{i:07d}", f"rtsp://127.0.0.1:{dead_port}/cam/{i}")
               for i in range(20_000)]
    stream = prober.stream(targets)
    first = next(stream)
    stream.close()
    assert first.faults == ["unreachable"]
    assert multiprocessing.active_children() == []


class _FailsAtOnce:
    """A stream source that fails in its process, naming a stream address with credentials."""

    def stream(self, targets: Sequence[int], /) -> Iterator[int]:
        raise ValueError("cannot open rtsp://admin:hunter2@10.0.0.1/live")
        yield from targets


def test_a_failing_prober_process_is_raised_to_the_consumer_redacted() -> None:
    with pytest.raises(RuntimeError, match="ValueError: cannot open") as raised:
        list(stream_in_processes(_FailsAtOnce(), [1, 2, 3], 2))
    assert "hunter2" not in str(raised.value)
    assert multiprocessing.active_children() == []


def test_the_picture_diagnoser_travels_to_a_prober_process() -> None:
    diagnoser = PictureDiagnoser(QualityThresholds(blur_sharpness=0.3), clock_every=10)
    copy = pickle.loads(pickle.dumps(diagnoser))
    assert isinstance(copy, PictureDiagnoser)
    assert (copy.thresholds, copy.clock_every) == (diagnoser.thresholds, 10)


def test_each_prober_process_gets_its_own_decoders() -> None:
    assert make_prober(PROTOCOL, 200, processes=2).decode_workers == 2 * DECODE_WORKERS
    assert make_prober(PROTOCOL, 100, processes=2).decode_workers == 100


class _DiesAtOnce:
    """A stream source whose process dies before it can say anything (as an OOM kill would)."""

    def stream(self, targets: Sequence[int], /) -> Iterator[int]:
        os._exit(3)
        yield from targets


def test_a_prober_process_that_dies_is_an_error() -> None:
    with pytest.raises(RuntimeError, match=r"died without a word \(exit codes \[3, 3\]\)"):
        list(stream_in_processes(_DiesAtOnce(), [1, 2], 2))
    assert multiprocessing.active_children() == []
