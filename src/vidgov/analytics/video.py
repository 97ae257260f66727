"""Frames from a file or a live stream (PyAV), converted to pixels only when someone needs them.

Why lazy: at 1080p, turning a decoded YUV picture into a BGR array costs about as much as
decoding it, and when the detector samples every Nth frame the others only need decoding
(inter-frames depend on them). So :func:`read_frames` yields :class:`VideoFrame` handles whose
:meth:`VideoFrame.bgr` converts on demand, optionally straight to a smaller size in the same
swscale pass: the detector letterboxes to 416 pixels anyway.

Sampling (``sample_fps``): a city counts people at one analysed frame per second, while its
cameras send 25. Decoding all 25 to keep one makes decoding the cost of the whole system, so
:func:`open_video` can yield one frame per sample interval and, with ``keyframes_only``, hand
the decoder nothing but the keyframes it will yield (non-key packets are dropped after
demuxing, before the decoder sees them). Cameras send a keyframe every 1–2 s, so at ≤ 1 fps a
keyframe is the sample at a fraction of the cost; when keyframes are further apart than the
interval, the samples follow the keyframes (a warning says so) and ``keyframes_only=False``
keeps the exact rate by decoding every frame and converting only the sampled ones.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from vidgov.analytics.detectors.base import Frame
from vidgov.domain.urls import redact_url
from vidgov.errors import InvalidInput

STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "srt://", "udp://")
_LIVE_OPTIONS = {"rtsp_transport": "tcp", "timeout": "5000000"}  # µs; FFmpeg ≥ 5 has no stimeout


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What is known of a source before its first frame: picture size, rate, length if a file."""

    source: str  # credentials removed: safe to log and show
    width: int
    height: int
    fps: float  # of the frames yielded: the stream's rate, or the sample rate when sampling
    frames: int | None  # frames to be yielded; None for live streams and files that do not say
    source_fps: float | None = None  # the stream's own rate, when it differs from ``fps``


@dataclass(frozen=True, slots=True)
class VideoFrame:
    """One decoded frame: its index in the source from 0 (sampled frames keep theirs), its
    time in seconds from the first frame."""

    index: int
    t_s: float
    _frame: Any  # av.VideoFrame; PyAV's stubs type it loosely

    def bgr(self, max_side: int | None = None) -> Frame:
        """BGR pixels (H, W, 3) uint8, scaled down (never up) so the long side ≤ ``max_side``."""
        width, height = self._frame.width, self._frame.height
        scale = 1.0 if max_side is None else min(1.0, max_side / max(width, height))
        if scale == 1.0:
            return np.asarray(self._frame.to_ndarray(format="bgr24"), dtype=np.uint8)
        size = {"width": round(width * scale) // 2 * 2, "height": round(height * scale) // 2 * 2}
        return np.asarray(self._frame.reformat(format="bgr24", **size).to_ndarray(),
                          dtype=np.uint8)


def is_stream(source: str) -> bool:
    """Whether ``source`` is a network address rather than a file path."""
    return source.lower().startswith(STREAM_SCHEMES)


@contextmanager
def open_video(source: str, *, sample_fps: float | None = None, keyframes_only: bool = False,
               ) -> Iterator[tuple[VideoInfo, Iterator[VideoFrame]]]:
    """Open a file or stream URL; yields its :class:`VideoInfo` and an iterator of frames.

    ``sample_fps``: yield the frame nearest each multiple of ``1 / sample_fps``
    seconds instead of every frame (``info.fps`` is then the sample rate, so a tracker fed these
    frames is told their real spacing). ``keyframes_only`` (needs ``sample_fps``): decode only
    the keyframes that will be yielded.

    Raises :class:`InvalidInput` naming the source (credentials removed) when it is missing,
    unreadable or has no video, or when the sampling options make no sense.
    """
    shown = redact_url(source)
    if sample_fps is not None and not sample_fps > 0:
        raise InvalidInput(f"sample_fps must be above 0, got {sample_fps}")
    if keyframes_only and sample_fps is None:
        raise InvalidInput("keyframes_only needs sample_fps (how often to take a keyframe)")
    if not is_stream(source) and not Path(source).is_file():
        raise InvalidInput(f"video not found: {shown}")
    try:
        container = av.open(source, options=_LIVE_OPTIONS if is_stream(source) else None)
    except (av.FFmpegError, OSError) as exc:
        # FFmpeg's message repeats the address, password included
        raise InvalidInput(f"cannot open video {shown}: {redact_url(str(exc))}") from None
    try:
        if not container.streams.video:
            raise InvalidInput(f"no video stream in {shown}")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if keyframes_only:
            # Only keyframes reach the decoder, and none of them is a reference for another
            # decoded frame: the deblocking filter would only polish pictures the detector does
            # not need polished (about a tenth of a 1080p keyframe's decoding; pixels move by
            # half a grey level on average).
            stream.codec_context.options = {"skip_loop_filter": "all"}
        rate = float(stream.average_rate or stream.guessed_rate or Fraction(25))
        total = stream.frames or None if not is_stream(source) else None
        width, height = stream.codec_context.width, stream.codec_context.height
        if sample_fps is None or (sample_fps >= rate and not keyframes_only):
            info = VideoInfo(source=shown, width=width, height=height, fps=rate, frames=total)
            yield info, _frames(container, stream, rate)
            return
        sampled = None if total is None else math.ceil(total * min(1.0, sample_fps / rate))
        info = VideoInfo(source=shown, width=width, height=height, fps=sample_fps,
                         frames=sampled, source_fps=rate)
        yield info, _sampled(container, stream, rate, 1 / sample_fps, keyframes_only)
    finally:
        container.close()


def _decode_failed(container: Any, index: int, exc: av.FFmpegError) -> None:
    """Nothing decoded is bad input; a stream that breaks later ends the run with what was
    seen (the frames before were analysed)."""
    if index == 0:
        raise InvalidInput(f"cannot decode {redact_url(container.name)}: "
                           f"{redact_url(str(exc))}") from None
    logging.getLogger(__name__).warning("%s stopped after %d frames: %s",
                                        redact_url(container.name), index,
                                        redact_url(str(exc)))


def _frames(container: Any, stream: Any, fps: float) -> Iterator[VideoFrame]:
    first: float | None = None
    index = 0
    try:
        for frame in container.decode(stream):
            t = frame.time if frame.time is not None else index / fps
            first = t if first is None else first
            yield VideoFrame(index, float(t - first), frame)
            index += 1
    except av.FFmpegError as exc:
        _decode_failed(container, index, exc)


def _sampled(container: Any, stream: Any, fps: float, interval_s: float,
             keyframes_only: bool) -> Iterator[VideoFrame]:
    """Frames at ``interval_s`` steps; with ``keyframes_only`` the decoder gets only the
    keyframe packets that will be samples (and the final empty packet that flushes it)."""
    # Decoding all frames, the sample is the frame nearest its time; decoding keyframes only,
    # it is the keyframe nearest its time (within half an interval), so a GOP of 0.96 s
    # sampled at 1 fps gives 0, 0.96, 1.92 s, not 0, 1.44, 2.88 s.
    slack_s = 0.5 * interval_s if keyframes_only else 0.5 / fps
    time_base = stream.time_base
    first: float | None = None
    due_s = 0.0
    yielded = 0
    # keyframe packets are chosen on their own clock: with frame threads, decoded frames come
    # out a few packets behind the demuxer
    key_origin_s: float | None = None
    key_due_s = 0.0
    last_key_s: float | None = None
    warned = False
    try:
        for packet in container.demux(stream):
            if keyframes_only and packet.size:
                if not packet.is_keyframe:
                    continue
                if packet.pts is not None and time_base is not None:
                    key_s = float(packet.pts * time_base)
                    key_origin_s = key_s if key_origin_s is None else key_origin_s
                    key_s -= key_origin_s
                    if last_key_s is not None and key_s - last_key_s > 1.5 * interval_s \
                            and not warned:
                        warned = True
                        logging.getLogger(__name__).warning(
                            "%s has keyframes %.1f s apart: keyframe samples are that far "
                            "apart too, not %.1f s", redact_url(container.name),
                            key_s - last_key_s, interval_s)
                    last_key_s = key_s
                    if key_s + slack_s < key_due_s:
                        continue  # a keyframe before the next sample is due
                    key_due_s = (math.floor((key_s + slack_s) / interval_s) + 1) * interval_s
            for frame in packet.decode():
                t = float(frame.time) if frame.time is not None else yielded * interval_s
                first = t if first is None else first
                t_s = t - first
                if t_s + slack_s < due_s:
                    continue
                yield VideoFrame(round(t_s * fps), t_s, frame)
                yielded += 1
                due_s = (math.floor((t_s + slack_s) / interval_s) + 1) * interval_s
    except av.FFmpegError as exc:
        _decode_failed(container, yielded, exc)
