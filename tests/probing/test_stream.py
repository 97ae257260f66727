"""Probing as one stream: every result once, as soon as it is known, with bounded buffering,
an early stop that leaves no thread behind, and errors raised to the consumer.

Targets here are dead cameras (a port bound and never listening): each probe is answered at
once by the kernel, so no server is needed.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from vidgov.probing.probe import ProbeOptions, ProbeTarget, probe_stream
from vidgov.probing.results import ProbeTimeouts
from vidgov.probing.sweep import SweepTarget
from vidgov.services.sweeps import DECODE_WORKERS, make_prober

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
