"""The simulated camera fleet: real RTSP on loopback, one condition per camera, cleaned up after.

Tests marked ``rtsp`` start GStreamer's RTSP server; without it they fail (never skip) with a
message naming ``scripts/install-system-deps.sh``.
"""

from __future__ import annotations

import itertools
import os
import socket
import time
from collections import Counter
from collections.abc import Iterator
from urllib.parse import urlsplit

import av
import pytest

from vidgov.errors import ConfigurationError
from vidgov.simulate.fleet import (
    DEFAULT_MIX,
    EXPECTED_FAULT,
    PICTURE_CONDITIONS,
    Condition,
    Fleet,
    assign_conditions,
    parse_mix,
)


def start_or_fail(fleet: Fleet) -> Fleet:
    """Start ``fleet``; a missing GStreamer fails the test with the install hint, never skips."""
    try:
        return fleet.start()
    except ConfigurationError as error:
        pytest.fail(f"the simulated fleet cannot start: {error}")


@pytest.fixture(scope="module")
def fleet() -> Iterator[Fleet]:
    running = start_or_fail(Fleet.one_of_each())
    yield running
    running.stop()


def test_every_condition_is_either_a_picture_or_a_protocol_fault() -> None:
    assert set(PICTURE_CONDITIONS) | set(EXPECTED_FAULT) | {Condition.SCENE} == set(Condition)
    assert Condition.SCENE not in PICTURE_CONDITIONS  # a real place, not a test picture
    assert not set(PICTURE_CONDITIONS) & set(EXPECTED_FAULT)


@pytest.mark.parametrize("cameras", [0, 1, 17, 1000])
def test_assignment_follows_the_mix_exactly_and_deterministically(cameras: int) -> None:
    conditions = assign_conditions(cameras, DEFAULT_MIX, seed=7)
    assert len(conditions) == cameras
    assert conditions == assign_conditions(cameras, DEFAULT_MIX, seed=7)
    counts = Counter(conditions)
    total = sum(DEFAULT_MIX.values())
    for condition, weight in DEFAULT_MIX.items():
        assert abs(counts[condition] - cameras * weight / total) < 1.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("normal=3,black=1", {Condition.NORMAL: 3.0, Condition.BLACK: 1.0}),
        ("hang", {Condition.HANG: 1.0}),
        (" no_packets = 2 , ", {Condition.NO_PACKETS: 2.0}),
    ],
)
def test_mix_parses(text: str, expected: dict[Condition, float]) -> None:
    assert parse_mix(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("normal=3,blury=1", "unknown condition 'blury'"),
        ("normal=x", "not a number"),
        ("normal=-1", "negative"),
        ("normal=0", "at least one positive weight"),
    ],
)
def test_bad_mix_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_mix(text)


def test_a_server_that_cannot_start_names_the_install_script() -> None:
    fleet = Fleet([Condition.NORMAL], gi_python="/bin/false")
    with pytest.raises(ConfigurationError, match=r"scripts/install-system-deps\.sh"):
        fleet.start()
    assert fleet.server_pid is None


@pytest.mark.rtsp
def test_one_camera_per_condition_on_loopback_ports_chosen_by_the_kernel(fleet: Fleet) -> None:
    cameras = fleet.cameras
    assert [camera.condition for camera in cameras] == [c for c in Condition if c != "scene"]
    for index, camera in enumerate(cameras):
        parts = urlsplit(camera.url)
        assert (parts.scheme, parts.hostname, parts.path) == ("rtsp", "127.0.0.1", f"/cam/{index}")
        assert parts.port is not None
        assert parts.port > 1024
    by_condition = {camera.condition: urlsplit(camera.url).port for camera in cameras}
    # Picture cameras share one GStreamer server; each misbehaving listener has its own port.
    assert len({by_condition[c] for c in PICTURE_CONDITIONS}) == 1
    distinct = {Condition.PORT_CLOSED, Condition.HANG, Condition.NO_PACKETS, Condition.NORMAL}
    assert len({by_condition[c] for c in distinct}) == 4


@pytest.mark.rtsp
def test_a_late_viewer_waits_for_the_next_keyframe(fleet: Fleet) -> None:
    """Shared live pipelines are not seeked for a newcomer: most join mid-GOP, as on a camera."""
    url = next(c.url for c in fleet.cameras if c.condition is Condition.NORMAL)
    options = {"rtsp_transport": "tcp", "analyzeduration": "0", "probesize": "500"}
    waited = []
    for pause_s in (0.13, 0.37, 0.61):  # join at different phases of the 1 s GOP
        time.sleep(pause_s)
        with av.open(url, options=options, timeout=(5.0, 5.0)) as container:
            before_keyframe = 0
            for packet in container.demux(container.streams.video[0]):
                if packet.is_keyframe:
                    break
                before_keyframe += packet.size > 0
            waited.append(before_keyframe)
    # With a seek, every viewer would start on a keyframe; 3 joins all landing on one: p=0.001.
    assert max(waited) > 0, waited


@pytest.mark.rtsp
@pytest.mark.parametrize("condition", [Condition.SHAKING, Condition.FROZEN])
def test_a_replayed_camera_streams_live_past_the_end_of_its_loop(
    fleet: Fleet, condition: Condition
) -> None:
    """Kinds without a clock are encoded once and replayed (two seconds, looped): a viewer
    still gets a live stream, paced at the frame rate from its first play on, a keyframe a
    GOP, and never a broken frame, also across the jump back to the start of the loop."""
    url = next(c.url for c in fleet.cameras if c.condition is condition)
    picture = fleet.picture
    options = {"rtsp_transport": "tcp", "analyzeduration": "0", "probesize": "500"}
    keyframes, pts, frames = [], [], 0
    with av.open(url, options=options, timeout=(5.0, 5.0)) as container:
        stream = container.streams.video[0]
        started = time.monotonic()
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            if packet.is_keyframe or keyframes:
                keyframes.append(packet.is_keyframe)
                if packet.pts is not None:  # FFmpeg has none for a session's first packet
                    pts.append(float(packet.pts * stream.time_base))
                frames += len(packet.decode())
            if len(keyframes) == 3 * picture.fps:
                break
        elapsed = time.monotonic() - started
    assert frames == 3 * picture.fps  # every frame from the first keyframe on decodes
    keyframes_at = [i for i, key in enumerate(keyframes) if key]
    assert keyframes_at == list(range(0, 3 * picture.fps, picture.gop_frames))
    steps = [b - a for a, b in itertools.pairwise(pts)]
    assert min(steps) > 0.5 / picture.fps
    assert max(steps) < 2.0 / picture.fps
    assert elapsed > 2.5  # three seconds of video take about three seconds


@pytest.mark.rtsp
def test_stop_leaves_no_process_and_no_listener() -> None:
    fleet = start_or_fail(Fleet([Condition.NORMAL, Condition.HANG, Condition.PORT_CLOSED]))
    pid = fleet.server_pid
    ports = [urlsplit(camera.url).port for camera in fleet.cameras]
    fleet.stop()
    assert fleet.server_pid is None
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        _signal_zero(pid)
    for port in ports:
        assert port is not None
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2.0).close()


def _signal_zero(pid: int) -> None:
    os.kill(pid, 0)
