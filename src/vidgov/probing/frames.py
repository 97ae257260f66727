"""The decode stage: the first decodable frame and a short window of frames, with PyAV (FFmpeg).

Only a decoded frame proves a camera playable: FFmpeg's own probing (``ffprobe``) reports success
for a stream that never sends a keyframe and for one that sends no packets at all. So this stage
counts packets and decoded frames itself:

* no packet before the first-frame deadline: ``no_packets``;
* packets but no keyframe decoded before the deadline: ``no_keyframe`` (frames before the first
  keyframe are skipped, as a viewer joining a live stream mid-GOP would see grey garbage);
* then up to ``frames`` frames for diagnosis, within ``window_s``, kept as the decoder gives
  them (planar YUV 4:2:0, copied once into the window's array): diagnosis reads grey from the
  Y plane and colour from U and V, and a BGR copy of every frame cost more than the checks.

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
from vidgov.quality.models import FrameWindow as Pictures
from vidgov.quality.models import steady_timestamps

#: FFmpeg options for a fast first frame: no stream analysis beyond the SDP, a tiny probe,
#: RTSP over TCP (no UDP ports to open, works through NAT), socket timeout in microseconds.
_RTSP_OPTIONS = {"rtsp_transport": "tcp", "analyzeduration": "0", "probesize": "500"}


#: The frame rate assumed for a stream that gives neither timestamps nor a nominal rate.
FALLBACK_FPS = 25.0


@dataclass(frozen=True)
class DecodedWindow:
    """Consecutive decoded frames of one camera, for picture diagnosis.

    ``pictures``: the frames with their capture times in seconds from the first, as diagnosis
    takes them (:class:`vidgov.quality.FrameWindow`: the decoder's YUV, or BGR). ``captured_at``:
    UTC wall-clock time at which the first frame was decoded (what an OSD clock in it should
    read, give or take the camera's latency). ``fps``: the stream's nominal rate, when it
    declares one. Build it with :meth:`of_i420` or :meth:`of_bgr`, which repair the times.
    """

    pictures: Pictures
    captured_at: dt.datetime
    fps: float | None = None

    def __post_init__(self) -> None:
        if self.captured_at.tzinfo is None:
            raise ValueError("captured_at must carry a time zone (UTC)")

    @classmethod
    def of_i420(cls, planes: npt.NDArray[np.uint8], full_range: bool,
                pts_s: npt.NDArray[np.float64], captured_at: dt.datetime,
                fps: float | None = None) -> DecodedWindow:
        """Frames as planar YUV 4:2:0, N×(3H/2)×W; presentation times in seconds (NaN: unknown)."""
        times = window_times(pts_s, fps)
        return cls(Pictures.from_i420(planes, times, full_range=full_range), captured_at, fps)

    @classmethod
    def of_bgr(cls, frames: npt.NDArray[np.uint8], pts_s: npt.NDArray[np.float64],
               captured_at: dt.datetime, fps: float | None = None) -> DecodedWindow:
        """Frames as N×H×W×3 BGR; presentation times in seconds (NaN: unknown)."""
        return cls(Pictures(frames, window_times(pts_s, fps)), captured_at, fps)

    @property
    def frames_bgr(self) -> npt.NDArray[np.uint8]:
        """N×H×W×3 BGR (converted once, on first use, from the decoder's YUV)."""
        return self.pictures.frames

    @property
    def pts_s(self) -> npt.NDArray[np.float64]:
        """Capture time of each frame in seconds, relative to the first; strictly increasing."""
        return self.pictures.timestamps_s


def window_times(pts_s: npt.NDArray[np.float64], fps: float | None) -> npt.NDArray[np.float64]:
    """Frame times from the first, strictly increasing, from presentation times that may have
    gaps (NaN: the first RTP packet often has none) or go backwards (a broken muxer): gaps are
    filled from the rate, and times out of order are replaced by the steady rate."""
    times = _fill_missing(np.asarray(pts_s, dtype=np.float64), fps)
    times = times - times[0]
    if len(times) > 1 and not (times[1:] > times[:-1]).all():
        times = steady_timestamps(len(times), fps or FALLBACK_FPS)
    return times


class _Planes:
    """Decoded frames copied straight into one window-sized array of planar YUV 4:2:0.

    One copy a frame, no conversion: a frame the decoder gives in another layout (4:2:2, 10
    bits, odd sides) is converted to 8-bit 4:2:0 first, which video range then describes.
    A frame of another size than the first (a stream changing resolution) ends the window.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.array: npt.NDArray[np.uint8] | None = None
        self.count = 0
        self.full_range = False
        self.reformatter: VideoReformatter | None = None

    def add(self, frame: av.VideoFrame) -> bool:
        """Copy ``frame`` in; False when it cannot join the window (full, or resized)."""
        if frame.format.name not in _I420_FORMATS or frame.width % 2 or frame.height % 2:
            self.reformatter = self.reformatter or VideoReformatter()
            frame = self.reformatter.reformat(frame, format="yuv420p", width=frame.width // 2 * 2,
                                              height=frame.height // 2 * 2)
        w, h = frame.width, frame.height
        if self.array is None:
            self.array = np.empty((self.capacity, h * 3 // 2, w), dtype=np.uint8)
            self.full_range = (frame.format.name == "yuvj420p"
                               or int(frame.color_range) == _JPEG_RANGE)
        if self.count >= self.capacity or self.array.shape[1:] != (h * 3 // 2, w):
            return False
        out = self.array[self.count]
        out[:h] = _plane(frame, 0, w, h)
        out[h: h + h // 4].reshape(h // 2, w // 2)[:] = _plane(frame, 1, w // 2, h // 2)
        out[h + h // 4:].reshape(h // 2, w // 2)[:] = _plane(frame, 2, w // 2, h // 2)
        self.count += 1
        return True

    @property
    def planes(self) -> npt.NDArray[np.uint8]:
        assert self.array is not None
        return self.array[: self.count]


_I420_FORMATS = frozenset({"yuv420p", "yuvj420p"})
_JPEG_RANGE = 2  # AVCOL_RANGE_JPEG


def _plane(frame: av.VideoFrame, index: int, width: int, height: int) -> npt.NDArray[np.uint8]:
    """One plane of ``frame`` as height×width, a view of the decoder's buffer (rows padded)."""
    plane = frame.planes[index]
    rows = np.frombuffer(memoryview(plane), dtype=np.uint8)[: plane.line_size * height]
    return rows.reshape(height, plane.line_size)[:, :width]


@dataclass(frozen=True)
class DecodeOutcome:
    """What the decode stage found: a window of frames, or the fault that prevented one."""

    window: DecodedWindow | None
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
            if not collector.images.count:
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
        self.images = _Planes(frames)
        self.pts: list[float] = []
        self.captured_at: dt.datetime | None = None
        self.first_ms = 0.0

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
            if skipping and self.images.count:
                codec.skip_frame, skipping = "DEFAULT", False

    def _keep(self, frame: av.VideoFrame) -> bool:
        """Add ``frame`` (from the first keyframe on); True when the window is full."""
        if not self.images.count:
            if not frame.key_frame:
                return False
            self.captured_at = dt.datetime.now(dt.UTC)
            self.first_ms = (time.perf_counter() - self.started) * 1000.0
            self.deadline = time.perf_counter() + self.window_s
        if not self.images.add(frame):
            return True
        self.pts.append(float(frame.time) if frame.time is not None else float("nan"))
        return self.images.count >= self.frames

    def fault(self) -> FaultCode:
        return FaultCode.NO_KEYFRAME if self.packets else FaultCode.NO_PACKETS

    def outcome(self, fps: float | None, timeouts: ProbeTimeouts) -> DecodeOutcome:
        if not self.images.count or self.captured_at is None:
            detail = (
                f"{self.packets} packets and no keyframe in {timeouts.first_frame_s:g} s"
                if self.packets
                else f"no packet in {timeouts.first_frame_s:g} s"
            )
            return DecodeOutcome(None, self.fault(), self.packets, {}, detail)
        window = DecodedWindow.of_i420(self.images.planes, self.images.full_range,
                                       np.array(self.pts, dtype=np.float64),
                                       self.captured_at, fps)
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
    images = _Planes(len(units))
    pts: list[float] = []
    first = units[0].timestamp if units else 0

    def keep(decoded: Sequence[av.VideoFrame]) -> None:
        for frame in decoded:
            if images.add(frame):
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
    if not images.count:
        return DecodeOutcome(None, FaultCode.NO_KEYFRAME, packets, {},
                             f"{packets} packets and no decodable keyframe")
    window = DecodedWindow.of_i420(images.planes, images.full_range,
                                   np.array(pts, dtype=np.float64), captured_at)
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
