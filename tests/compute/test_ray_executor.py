"""The Ray executor on a real local Ray cluster: the same answers as the local executor.

The work is real analytics: NanoDet and ByteTrack over two short clips cut from vtest.avi,
sampled at 2 fps, one clip per task; each task returns what the pipeline saw. A cluster that
is not there must fail at once with one line, not hang for minutes as ``ray.init`` does.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import pytest
import supervision as sv

from vidgov.analytics.detect import NanoDet, NanoDetConfig
from vidgov.analytics.pipeline import TRACKING_SCORE_THRESHOLD, AnalysisOptions, analyse
from vidgov.analytics.video import VideoFrame, open_video
from vidgov.compute.executor import ClusterUnreachable, LocalExecutor
from vidgov.compute.ray_executor import RayConfig, RayExecutor
from vidgov.errors import ConfigurationError

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")  # Debian's opencv-doc

pytestmark = pytest.mark.ray


def people_seen(clip: str, sample_fps: float) -> tuple[int, list[int], int]:
    """What the pipeline saw in one clip: frames analysed, people tracked in each, tracks.

    Pure: a path in, numbers out; the detector is built inside, as a Ray worker must.
    """
    detector = NanoDet(NanoDetConfig(score_threshold=TRACKING_SCORE_THRESHOLD, threads=1))
    per_frame: list[int] = []
    ids: set[int] = set()

    def on_frame(_frame: VideoFrame, tracked: sv.Detections) -> None:
        per_frame.append(len(tracked))
        ids.update(int(i) for i in (tracked.tracker_id if tracked.tracker_id is not None
                                    else []))

    with open_video(clip, sample_fps=sample_fps) as (info, frames):
        result = analyse(frames, info, detector, AnalysisOptions(every=1), on_frame=on_frame)
    return result.analysed_frames, per_frame, len(ids)


def cut(video: Path, out: Path, start: int, frames: int) -> str:
    """Frames ``start`` … ``start + frames`` of ``video`` as an H.264 clip at 10 fps."""
    with av.open(str(video)) as source, av.open(str(out), mode="w") as target:
        stream = target.add_stream("libx264", rate=Fraction(10))
        stream.width, stream.height, stream.pix_fmt = 768, 576, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "18"}
        for index, frame in enumerate(source.decode(video=0)):
            if index >= start + frames:
                break
            if index >= start:
                picture = frame.to_ndarray(format="bgr24")
                target.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="bgr24")))
        target.mux(stream.encode(None))
    return str(out)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    if not VTEST.is_file():
        pytest.fail(f"{VTEST} is missing: install Debian's opencv-doc "
                    "(scripts/install-system-deps.sh)", pytrace=False)
    folder = tmp_path_factory.mktemp("clips")
    return [cut(VTEST, folder / "a.mp4", 100, 30), cut(VTEST, folder / "b.mp4", 400, 30)]


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayExecutor]:
    # a short folder: Ray's Unix socket paths must stay under 108 bytes
    temp = tmp_path_factory.mktemp("r")
    with RayExecutor(RayConfig(workers=2, temp_dir=str(temp))) as executor:
        yield executor


def test_ray_gives_the_local_answers(ray_cluster: RayExecutor, clips: list[str]) -> None:
    work = functools.partial(people_seen, sample_fps=2.0)
    local = LocalExecutor().map(work, clips)
    assert ray_cluster.map(work, clips) == local
    # and the work was real: 3 s at 2 fps is 6 frames per clip, with people in them
    assert [analysed for analysed, _, _ in local] == [6, 6]
    assert all(sum(people) > 0 and tracks > 0 for _, people, tracks in local)
    assert ray_cluster.workers == 2


@pytest.mark.parametrize("batch", [1, 5, 23, 40])
def test_batches_keep_item_order(ray_cluster: RayExecutor, batch: int) -> None:
    items = list(range(23))
    squares = ray_cluster.map(functools.partial(pow, exp=2), items, batch=batch)
    assert squares == [i * i for i in items]


def test_an_item_error_reaches_the_caller(ray_cluster: RayExecutor) -> None:
    with pytest.raises(ZeroDivisionError):
        ray_cluster.map(functools.partial(divmod, 1), [1, 0, 2])


def closed_port() -> int:
    """A loopback port nothing listens on (bound for a moment, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_an_unreachable_cluster_fails_at_once_in_one_line() -> None:
    address = f"127.0.0.1:{closed_port()}"
    started = time.perf_counter()
    with pytest.raises(ClusterUnreachable) as raised:
        RayExecutor(RayConfig(address=address, connect_timeout_s=2.0))
    assert time.perf_counter() - started < 3.0
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"Ray cluster at {address} is unreachable")


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections (the kernel's backlog) and never speaks."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        yield server.getsockname()[1]


@pytest.fixture
def other_service_port() -> Iterator[int]:
    """A loopback port where something else answers (an SSH-like banner) and hangs up."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)

    def answer() -> None:
        with contextlib.suppress(OSError):
            connection, _ = server.accept()
            with connection:
                connection.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    server.close()
    thread.join(timeout=2)


def test_a_port_that_never_answers_fails_within_the_timeout(silent_port: int) -> None:
    """The case where ``ray.init`` itself waits two minutes and then exits the process."""
    started = time.perf_counter()
    with pytest.raises(ClusterUnreachable, match=r"unreachable \(timed out; waited at most 1 s\)"):
        RayExecutor(RayConfig(address=f"127.0.0.1:{silent_port}", connect_timeout_s=1.0))
    assert time.perf_counter() - started < 2.5


def test_another_service_is_not_taken_for_ray(other_service_port: int) -> None:
    with pytest.raises(ClusterUnreachable, match="answers but not as a Ray head"):
        RayExecutor(RayConfig(address=f"127.0.0.1:{other_service_port}",
                              connect_timeout_s=2.0))


@pytest.mark.parametrize("address", ["localhost", "127.0.0.1:", ":6379", "127.0.0.1:port"])
def test_a_malformed_address_is_refused(address: str) -> None:
    with pytest.raises(ConfigurationError, match="Ray address must be host:port"):
        RayExecutor(RayConfig(address=address))
