"""The decode stage: the first decodable frame and a short window of frames, with PyAV (FFmpeg).

Only a decoded frame proves a camera playable: FFmpeg's own probing (``ffprobe``) reports success
for a stream that never sends a keyframe and for one that sends no packets at all. So this stage
counts packets and decoded frames itself:

* no packet before the first-frame deadline: ``no_packets``;
* packets but no keyframe decoded before the deadline: ``no_keyframe`` (frames before the first
  keyframe are skipped, as a viewer joining a live stream mid-GOP would see grey garbage);
* then up to ``frames`` frames as BGR arrays for diagnosis, within ``window_s``.

It blocks (FFmpeg does its own I/O), so callers run it in a thread; opening is bounded by an
interrupt timeout and every read by FFmpeg's socket timeout, so a thread is never stuck longer
than the stage timeouts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import quote

import av
import av.error
import numpy as np
import numpy.typing as npt
from av.container import InputContainer
from av.video.codeccontext import VideoCodecContext
from av.video.reformatter import VideoReformatter
from av.video.stream import VideoStream

from vidgov.domain.urls import redact_url
from vidgov.probing.address import StreamAddress, StreamProtocol
from vidgov.probing.results import FaultCode, ProbeTimeouts, Stage
from vidgov.probing.rtp import AccessUnit

#: FFmpeg options for a fast first frame: no stream analysis beyond the SDP, a tiny probe,
#: RTSP over TCP (no UDP ports to open, works through NAT), socket timeout in microseconds.
_RTSP_OPTIONS = {"rtsp_transport": "tcp", "analyzeduration": "0", "probesize": "500"}


@dataclass(frozen=True)
class FrameWindow:
    """Consecutive decoded frames of one camera, for picture diagnosis.

    ``frames_bgr``: uint8 array of shape (N, H, W, 3), BGR. ``pts_s``: presentation time of each
    frame in seconds, relative to the first (shape (N,)). ``captured_at``: UTC wall-clock time at
    which the first frame was decoded (what an OSD clock in it should read, give or take the
    camera's latency). ``fps``: the stream's nominal rate, when it declares one.
    """

    frames_bgr: npt.NDArray[np.uint8]
    pts_s: npt.NDArray[np.float64]
    captured_at: dt.datetime
    fps: float | None = None

    def __post_init__(self) -> None:
        shape = self.frames_bgr.shape
        if self.frames_bgr.dtype != np.uint8 or len(shape) != 4 or shape[3] != 3 or shape[0] < 1:
            raise ValueError(
                f"frames_bgr must be uint8 (N>=1, H, W, 3), got {self.frames_bgr.dtype} {shape}"
            )
        if self.pts_s.shape != (shape[0],):
            raise ValueError(f"pts_s must have shape ({shape[0]},), got {self.pts_s.shape}")
        if self.captured_at.tzinfo is None:
            raise ValueError("captured_at must carry a time zone (UTC)")


@dataclass(frozen=True)
class DecodeOutcome:
    """What the decode stage found: a window of frames, or the fault that prevented one."""

    window: FrameWindow | None
    fault: FaultCode | None
    packets: int
    timings_ms: dict[str, float] = field(default_factory=dict)
    detail: str = ""


def read_window(address: StreamAddress, timeouts: ProbeTimeouts, frames: int = 10) -> DecodeOutcome:
    """Open ``address``, wait for the first keyframe, decode up to ``frames`` frames.

    Worst case duration: ``first_frame_s + window_s``, plus one more ``first_frame_s`` when a
    stream stops sending between opening and the first frame (FFmpeg's read timeout).
    """
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    started = time.perf_counter()
    options = dict(_RTSP_OPTIONS) if address.protocol is StreamProtocol.RTSP else {}
    # Reads are bounded by FFmpeg's socket timeout and the collector's deadlines, not by
    # PyAV's read timeout: its interrupt callback takes the GIL every time FFmpeg polls, and
    # with hundreds of decoders at once that starves the event loop of the protocol probes
    # (healthy cameras then "time out"). Opening keeps PyAV's overall bound.
    options["timeout"] = str(int(timeouts.first_frame_s * 1_000_000))
    try:
        container = av.open(
            _url_with_credentials(address),
            options=options,
            timeout=(timeouts.first_frame_s, None),
        )
    except av.error.FFmpegError as error:
        return DecodeOutcome(None, _open_fault(error), 0, {}, _reason(error))
    except OSError as error:
        return DecodeOutcome(None, FaultCode.NO_PACKETS, 0, {}, _reason(error))
    if time.perf_counter() - started >= timeouts.first_frame_s:
        # FFmpeg gives up stream analysis silently when nothing arrives; don't wait twice.
        container.close()
        detail = f"no packet in {timeouts.first_frame_s:g} s"
        return DecodeOutcome(None, FaultCode.NO_PACKETS, 0, {}, detail)
    try:
        videos = list(container.streams.video)
        if not videos:
            return DecodeOutcome(None, FaultCode.NO_VIDEO, 0, {}, "no video stream")
        collector = _Collector(frames, started, timeouts)
        try:
            collector.run(container, videos[0])
        except (av.error.FFmpegError, OSError) as error:
            if not collector.images:
                return DecodeOutcome(None, collector.fault(), collector.packets, {}, _reason(error))
        fps = float(videos[0].average_rate) if videos[0].average_rate else None
    finally:
        container.close()
    return collector.outcome(fps, timeouts)


def _open_fault(error: av.error.FFmpegError) -> FaultCode:
    """The fault an error while opening means, given that the protocol stage had passed."""
    if isinstance(error, av.error.HTTPUnauthorizedError | av.error.HTTPForbiddenError):
        return FaultCode.AUTH_REQUIRED
    if isinstance(error, av.error.HTTPNotFoundError):
        return FaultCode.NOT_FOUND
    if isinstance(error, av.error.ConnectionRefusedError):
        return FaultCode.UNREACHABLE
    # The session was set up (the protocol stage saw to that) and then nothing came.
    return FaultCode.NO_PACKETS


class _Collector:
    """Demuxes and decodes until the window is full or a deadline passes, counting packets."""

    def __init__(self, frames: int, started: float, timeouts: ProbeTimeouts) -> None:
        self.frames = frames
        self.started = started
        self.deadline = started + timeouts.first_frame_s
        self.window_s = timeouts.window_s
        self.packets = 0
        self.images: list[npt.NDArray[np.uint8]] = []
        self.pts: list[float] = []
        self.captured_at: dt.datetime | None = None
        self.first_ms = 0.0
        self.reformatter = VideoReformatter()

    def run(self, container: InputContainer, stream: VideoStream) -> None:
        codec = stream.codec_context
        # A sweep decodes hundreds of streams at once: one thread each, not FFmpeg's
        # cores + 1. Until the first keyframe only keyframes are decoded: a late viewer's
        # frames before it lack their references, and concealing that costs more than
        # decoding the whole window (a stream that never sends one still counts packets).
        codec.thread_count = 1
        codec.skip_frame = "NONKEY"
        skipping = True
        for packet in container.demux(stream):
            if packet.size:
                self.packets += 1
            if time.perf_counter() > self.deadline:
                return
            for frame in packet.decode():
                if isinstance(frame, av.VideoFrame) and self._keep(frame):
                    return
            if skipping and self.images:
                codec.skip_frame, skipping = "DEFAULT", False

    def _keep(self, frame: av.VideoFrame) -> bool:
        """Add ``frame`` (from the first keyframe on); True when the window is full."""
        if not self.images:
            if not frame.key_frame:
                return False
            self.captured_at = dt.datetime.now(dt.UTC)
            self.first_ms = (time.perf_counter() - self.started) * 1000.0
            self.deadline = time.perf_counter() + self.window_s
        # One converter for the whole window: a frame's own converter is set up afresh for
        # every frame, which costs several times the conversion itself.
        bgr = self.reformatter.reformat(frame, format="bgr24")
        self.images.append(np.asarray(bgr.to_ndarray(), dtype=np.uint8))
        self.pts.append(float(frame.time) if frame.time is not None else float("nan"))
        return len(self.images) >= self.frames

    def fault(self) -> FaultCode:
        return FaultCode.NO_KEYFRAME if self.packets else FaultCode.NO_PACKETS

    def outcome(self, fps: float | None, timeouts: ProbeTimeouts) -> DecodeOutcome:
        if not self.images or self.captured_at is None:
            detail = (
                f"{self.packets} packets and no keyframe in {timeouts.first_frame_s:g} s"
                if self.packets
                else f"no packet in {timeouts.first_frame_s:g} s"
            )
            return DecodeOutcome(None, self.fault(), self.packets, {}, detail)
        times = _fill_missing(np.array(self.pts, dtype=np.float64), fps)
        window = FrameWindow(
            frames_bgr=np.stack(self.images),
            pts_s=times - times[0],
            captured_at=self.captured_at,
            fps=fps,
        )
        total_ms = (time.perf_counter() - self.started) * 1000.0
        timings = {
            Stage.FIRST_FRAME.value: round(self.first_ms, 3),
            Stage.WINDOW.value: round(total_ms - self.first_ms, 3),
        }
        return DecodeOutcome(window, None, self.packets, timings, "")


def decode_access_units(
    codec: str, parameter_sets: bytes, clock_rate: int, units: Sequence[AccessUnit],
    captured_at: dt.datetime, timings_ms: dict[str, float], packets: int,
) -> DecodeOutcome:
    """Decode access units taken off an RTSP connection (the first a keyframe) into a window.

    Blocking and CPU-bound: callers run it on a decoder thread. Presentation times come from
    the RTP timestamps (90 kHz for video), so B-frames reordered by the decoder keep theirs.
    A unit the decoder refuses is skipped as FFmpeg's demuxer would conceal it; no frame at
    all is ``no_keyframe`` (packets came, nothing decodable among them).
    """
    context = cast(VideoCodecContext,
                   av.CodecContext.create("hevc" if codec == "h265" else codec, "r"))
    context.thread_count = 1
    reformatter = VideoReformatter()
    images: list[npt.NDArray[np.uint8]] = []
    pts: list[float] = []
    first = units[0].timestamp if units else 0

    def keep(decoded: Sequence[av.VideoFrame]) -> None:
        for frame in decoded:
            bgr = reformatter.reformat(frame, format="bgr24")
            images.append(np.asarray(bgr.to_ndarray(), dtype=np.uint8))
            pts.append(float(frame.pts - first) / clock_rate if frame.pts is not None
                       else float("nan"))

    for index, unit in enumerate(units):
        packet = av.Packet(parameter_sets + unit.data if index == 0 else unit.data)
        packet.pts = unit.timestamp
        try:
            keep(context.decode(packet))
        except av.error.FFmpegError:
            continue
    with contextlib.suppress(av.error.FFmpegError):
        keep(context.decode(None))  # the frames a decoder holds back
    if not images:
        return DecodeOutcome(None, FaultCode.NO_KEYFRAME, packets, {},
                             f"{packets} packets and no decodable keyframe")
    times = _fill_missing(np.array(pts, dtype=np.float64), None)
    window = FrameWindow(frames_bgr=np.stack(images), pts_s=times - times[0],
                         captured_at=captured_at, fps=None)
    return DecodeOutcome(window, None, packets, timings_ms, "")


def _fill_missing(times: npt.NDArray[np.float64], fps: float | None) -> npt.NDArray[np.float64]:
    """Fill unknown timestamps (the first RTP packet often has none) from a known one and the rate.

    Falls back to the frame index over ``fps`` (or 25 fps) when no timestamp is known at all.
    """
    missing = np.isnan(times)
    if not missing.any():
        return times
    step = 1.0 / fps if fps else 1.0 / 25.0
    index = np.arange(len(times), dtype=np.float64)
    known = np.flatnonzero(~missing)
    anchor = int(known[0]) if known.size else 0
    base = float(times[anchor]) if known.size else 0.0
    return np.where(missing, base + (index - anchor) * step, times)


def _url_with_credentials(address: StreamAddress) -> str:
    """The URL FFmpeg needs (with credentials, percent-encoded); it never leaves this module."""
    if address.user is None:
        return address.request_url
    scheme, _, rest = address.request_url.partition("://")
    userinfo = quote(address.user, safe="")
    if address.password is not None:
        userinfo += ":" + quote(address.password, safe="")
    return f"{scheme}://{userinfo}@{rest}"


def _reason(error: BaseException) -> str:
    """An FFmpeg error for people, with any address in it redacted (FFmpeg quotes the URL)."""
    return redact_url(f"{type(error).__name__}: {error}")
