"""A real camera fleet on loopback: RTSP cameras with a known condition each, for tests and demos.

``Fleet`` starts three things and stops them all:

* GStreamer's RTSP server in a child process (:mod:`vidgov.simulate.rtsp_server`, run by a Python
  that has the ``gi`` bindings: Debian's ``python3-gi``), serving the picture conditions and the
  faults GStreamer can express (401, 404, audio only, never a keyframe), one shared live pipeline
  per kind;
* :class:`~vidgov.simulate.faulty_server.FaultyServer` in a thread: connections that hang and
  sessions that never send a packet;
* a socket bound to a port and never listening: connecting is refused, as with a camera whose
  service is down.

Every port is chosen by the kernel on 127.0.0.1. ``Fleet.cameras`` lists ``(url, condition)``
pairs; :data:`EXPECTED_FAULT` says which protocol fault a probe must report for each fault
condition.
"""

from __future__ import annotations

import logging
import random
import secrets
import socket
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal, NamedTuple

from vidgov.errors import ConfigurationError
from vidgov.simulate.faulty_server import FaultMode, FaultyServer
from vidgov.simulate.rtsp_child import RtspChild
from vidgov.simulate.scene import unpack_clip

log = logging.getLogger(__name__)



class Condition(StrEnum):
    """What is wrong with a simulated camera; ``normal`` is a healthy one."""

    NORMAL = "normal"
    BLACK = "black"  # no signal: a black picture
    FROZEN = "frozen"  # the same frame over and over
    BLURRED = "blurred"
    OCCLUDED = "occluded"  # the left 60 % covered
    COLOUR_CAST = "colour_cast"  # a strong sepia cast
    NOISE = "noise"  # snow
    OVEREXPOSED = "overexposed"
    UNDEREXPOSED = "underexposed"
    SHAKING = "shaking"  # the picture jumps by up to 14 px each frame
    OSD_DRIFT = "osd_drift"  # the burned-in clock is 12,345 s behind
    PORT_CLOSED = "port_closed"
    HANG = "hang"  # accepts the connection, never answers
    AUTH_REQUIRED = "auth_required"
    NOT_FOUND = "not_found"
    NO_VIDEO = "no_video"  # audio only
    NO_KEYFRAME = "no_keyframe"
    NO_PACKETS = "no_packets"  # answers DESCRIBE/SETUP/PLAY, sends nothing
    SCENE = "scene"  # healthy, watching a real place: the fleet's clip, played in a loop


PICTURE_CONDITIONS: Final = (
    Condition.NORMAL,
    Condition.BLACK,
    Condition.FROZEN,
    Condition.BLURRED,
    Condition.OCCLUDED,
    Condition.COLOUR_CAST,
    Condition.NOISE,
    Condition.OVEREXPOSED,
    Condition.UNDEREXPOSED,
    Condition.SHAKING,
    Condition.OSD_DRIFT,
)

#: The protocol fault code a probe must report for each protocol-fault condition.
EXPECTED_FAULT: Final[Mapping[Condition, str]] = {
    Condition.PORT_CLOSED: "unreachable",
    Condition.HANG: "timeout",
    Condition.AUTH_REQUIRED: "auth_required",
    Condition.NOT_FOUND: "not_found",
    Condition.NO_VIDEO: "no_video",
    Condition.NO_KEYFRAME: "no_keyframe",
    Condition.NO_PACKETS: "no_packets",
}

#: Roughly the estate the source document describes: about 80 % online, about 70 % playable.
DEFAULT_MIX: Final[Mapping[Condition, float]] = {
    Condition.NORMAL: 0.54,
    **dict.fromkeys(PICTURE_CONDITIONS[1:], 0.015),
    Condition.PORT_CLOSED: 0.14,
    Condition.HANG: 0.06,
    Condition.AUTH_REQUIRED: 0.03,
    Condition.NOT_FOUND: 0.03,
    Condition.NO_VIDEO: 0.01,
    Condition.NO_KEYFRAME: 0.02,
    Condition.NO_PACKETS: 0.02,
}

#: Kinds the GStreamer child serves (everything else is served in this process or not at all).
_GSTREAMER_KINDS: Final = frozenset({
    *PICTURE_CONDITIONS, Condition.AUTH_REQUIRED, Condition.NO_VIDEO, Condition.NO_KEYFRAME,
    Condition.SCENE,
})
_FAULTY_MODES: Final = {Condition.HANG: FaultMode.HANG, Condition.NO_PACKETS: FaultMode.NO_PACKETS}


class FleetCamera(NamedTuple):
    """One simulated camera: its stream address and what is wrong with it."""

    url: str
    condition: Condition


@dataclass(frozen=True)
class PictureFormat:
    """What every picture camera sends: size in pixels, frames per second, frames per GOP, codec.

    One keyframe a second (``gop_frames == fps``) is typical of the province's cameras and makes a
    late viewer wait half a second on average for its first decodable frame. ``codec``: ``h264``
    (most of the estate) or ``h265`` (newer cameras).
    """

    width: int = 640
    height: int = 360
    fps: int = 10
    gop_frames: int = 10
    codec: Literal["h264", "h265"] = "h264"


def parse_mix(text: str) -> dict[Condition, float]:
    """``"normal=70,black=5,hang=2"`` -> weights; unknown names raise ``ValueError`` naming them."""
    mix: dict[Condition, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, weight = item.partition("=")
        try:
            condition = Condition(name.strip())
        except ValueError:
            known = ", ".join(c.value for c in Condition)
            raise ValueError(
                f"unknown condition {name.strip()!r}; expected one of: {known}"
            ) from None
        try:
            mix[condition] = float(weight) if weight else 1.0
        except ValueError:
            raise ValueError(f"weight of {name.strip()!r} is not a number: {weight!r}") from None
        if mix[condition] < 0:
            raise ValueError(f"weight of {name.strip()!r} is negative: {weight!r}")
    if not mix or sum(mix.values()) <= 0:
        raise ValueError(f"a mix needs at least one positive weight, got {text!r}")
    return mix


def assign_conditions(
    cameras: int, mix: Mapping[Condition, float] | None = None, seed: int = 0
) -> list[Condition]:
    """``cameras`` conditions in ``mix`` proportions (largest remainder), shuffled by ``seed``."""
    if cameras < 0:
        raise ValueError(f"cameras must be >= 0, got {cameras}")
    weights = dict(mix or DEFAULT_MIX)
    total = sum(weights.values())
    shares = {condition: cameras * weight / total for condition, weight in weights.items()}
    counts = {condition: int(share) for condition, share in shares.items()}
    by_remainder = sorted(shares, key=lambda c: shares[c] - counts[c], reverse=True)
    for condition in by_remainder[: cameras - sum(counts.values())]:
        counts[condition] += 1
    conditions = [condition for condition, n in counts.items() for _ in range(n)]
    random.Random(seed).shuffle(conditions)
    return conditions


class Fleet:
    """Simulated RTSP cameras on 127.0.0.1, one condition each; a context manager.

    ``conditions[i]`` is the condition of camera ``i``, served at ``rtsp://127.0.0.1:PORT/cam/i``.
    Cameras needing credentials are listed without them (a probe must see the 401); the
    credentials that open them are :attr:`credentials`.
    """

    def __init__(
        self,
        conditions: Sequence[Condition],
        picture: PictureFormat | None = None,
        *,
        gi_python: str | None = None,
        clip: Path | None = None,
    ) -> None:
        self.conditions = [Condition(c) for c in conditions]
        if Condition.SCENE in self.conditions and clip is None:
            raise ConfigurationError("a scene camera needs a clip to show (a video file)")
        self.clip = clip
        self.picture = picture or PictureFormat()
        self.credentials = ("viewer", secrets.token_urlsafe(12))
        self._child = RtspChild(gi_python)
        self._faulty: FaultyServer | None = None
        self._closed_socket: socket.socket | None = None
        self._cameras: list[FleetCamera] = []
        self._scene_dir: tempfile.TemporaryDirectory[str] | None = None

    @classmethod
    def one_of_each(cls, picture: PictureFormat | None = None) -> Fleet:
        """A fleet with exactly one camera of every condition but ``scene``, in
        :class:`Condition` order."""
        return cls([c for c in Condition if c is not Condition.SCENE], picture)

    @classmethod
    def from_mix(
        cls,
        cameras: int,
        mix: Mapping[Condition, float] | None = None,
        *,
        seed: int = 0,
        picture: PictureFormat | None = None,
        clip: Path | None = None,
    ) -> Fleet:
        """``cameras`` cameras drawn in ``mix`` proportions (default :data:`DEFAULT_MIX`);
        ``clip`` is what the ``scene`` cameras show."""
        return cls(assign_conditions(cameras, mix, seed), picture, clip=clip)

    @property
    def cameras(self) -> list[FleetCamera]:
        """``(url, condition)`` for every camera, in index order (after :meth:`start`)."""
        if not self._cameras and self.conditions:
            raise RuntimeError("the fleet is not started: call start() or use it as a context")
        return list(self._cameras)

    @property
    def server_pid(self) -> int | None:
        """Process id of the GStreamer child (to measure its CPU), ``None`` when not running."""
        return self._child.pid

    @property
    def faulty_thread_id(self) -> int | None:
        """Kernel id of the in-process thread serving hang and no-packet cameras (to measure
        its CPU apart from the caller's), ``None`` when this fleet has none running."""
        return self._faulty.native_thread_id if self._faulty is not None else None

    def url_with_credentials(self, url: str) -> str:
        """``url`` with this fleet's credentials in it: what opens an ``auth_required`` camera."""
        user, password = self.credentials
        scheme, _, rest = url.partition("://")
        return f"{scheme}://{user}:{password}@{rest}"

    def start(self) -> Fleet:
        """Bind, listen and start every server; on any failure everything started is stopped."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        mounts: dict[str, list[str]] = {}
        for index, condition in enumerate(self.conditions):
            if condition in _GSTREAMER_KINDS:
                mounts.setdefault(condition.value, []).append(f"/cam/{index}")
        needs_gstreamer = bool(mounts) or Condition.NOT_FOUND in self.conditions
        rtsp_port = self._start_gstreamer(mounts) if needs_gstreamer else 0

        modes = tuple(
            dict.fromkeys(_FAULTY_MODES[c] for c in self.conditions if c in _FAULTY_MODES)
        )
        ports: dict[FaultMode, int] = {}
        if modes:
            self._faulty = FaultyServer(modes).start()
            ports = self._faulty.ports
        closed_port = 0
        if Condition.PORT_CLOSED in self.conditions:
            # Bound and never listening: the kernel refuses connections, nobody else gets it.
            self._closed_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._closed_socket.bind(("127.0.0.1", 0))
            closed_port = int(self._closed_socket.getsockname()[1])

        cameras = []
        for index, condition in enumerate(self.conditions):
            if condition in _FAULTY_MODES:
                port = ports[_FAULTY_MODES[condition]]
            elif condition is Condition.PORT_CLOSED:
                port = closed_port
            else:
                port = rtsp_port
            cameras.append(FleetCamera(f"rtsp://127.0.0.1:{port}/cam/{index}", condition))
        self._cameras = cameras
        log.info("fleet started: %d cameras, %d GStreamer pipelines", len(cameras), len(mounts))

    def _start_gstreamer(self, mounts: dict[str, list[str]]) -> int:
        user, password = self.credentials
        plan: dict[str, Any] = {
            "width": self.picture.width,
            "height": self.picture.height,
            "fps": self.picture.fps,
            "gop_frames": self.picture.gop_frames,
            "codec": self.picture.codec,
            "user": user,
            "password": password,
            "mounts": mounts,
        }
        if Condition.SCENE.value in mounts and self.clip is not None:
            self._scene_dir = tempfile.TemporaryDirectory(prefix="vidgov-scene-")
            plan["scene"] = unpack_clip(self.clip, Path(self._scene_dir.name)).plan()
        return self._child.start(plan)

    def stop(self) -> None:
        """Stop the child (closing its stdin; killed if it lingers), the thread, the sockets."""
        self._child.stop()
        if self._faulty is not None:
            self._faulty.stop()
            self._faulty = None
        if self._closed_socket is not None:
            self._closed_socket.close()
            self._closed_socket = None
        if self._scene_dir is not None:
            self._scene_dir.cleanup()
            self._scene_dir = None
        self._cameras = []

    def __enter__(self) -> Fleet:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
