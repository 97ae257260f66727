"""Frames from a file or a live stream (PyAV), converted to pixels only when someone needs them.

Why lazy: at 1080p, turning a decoded YUV picture into a BGR array costs about as much as
decoding it, and when the detector samples every Nth frame the others only need decoding
(inter-frames depend on them). So :func:`read_frames` yields :class:`VideoFrame` handles whose
:meth:`VideoFrame.bgr` converts on demand, optionally straight to a smaller size in the same
swscale pass: the detector letterboxes to 416 pixels anyway.
"""

from __future__ import annotations

import logging
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
    fps: float
    frames: int | None  # None for live streams and files that do not say


@dataclass(frozen=True, slots=True)
class VideoFrame:
    """One decoded frame: its index from 0, its time in seconds from the first frame."""

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
def open_video(source: str) -> Iterator[tuple[VideoInfo, Iterator[VideoFrame]]]:
    """Open a file or stream URL; yields its :class:`VideoInfo` and an iterator of frames.

    Raises :class:`InvalidInput` naming the source (credentials removed) when it is missing,
    unreadable or has no video.
    """
    shown = redact_url(source)
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
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        info = VideoInfo(source=shown, width=stream.codec_context.width,
                         height=stream.codec_context.height, fps=float(rate),
                         frames=stream.frames or None if not is_stream(source) else None)
        yield info, _frames(container, stream, float(rate))
    finally:
        container.close()


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
        if index == 0:
            raise InvalidInput(f"cannot decode {redact_url(container.name)}: "
                               f"{redact_url(str(exc))}") from None
        # a stream that breaks after frames were analysed ends the run with what was seen
        logging.getLogger(__name__).warning("%s stopped after %d frames: %s",
                                            redact_url(container.name), index,
                                            redact_url(str(exc)))
