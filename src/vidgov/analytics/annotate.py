"""An annotated copy of the analysed video: boxes, track ids, lines with their counts, zones.

Why a video and not only numbers: an operator checks a counting line by watching it count.
Written with PyAV (H.264 when FFmpeg has it, else MPEG-4 Part 2) at the source's size and rate;
frames between two detector passes show the last tracked boxes.

Every frame is de-identified (a required :class:`VideoDeidentifier`) before anything is drawn on
it: an annotated video leaves vidgov, so faces and licence plates in it are blurred like those
of event snapshots. It goes through ``deidentify_video``, not frame by frame, because a face the
detector misses for a frame or two stays hidden only when neighbouring frames lend their
regions; that runs in a thread of its own fed by a bounded queue, so de-identification overlaps
the analysis instead of adding to it, and the pipeline still pushes one frame at a time.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import av
import numpy as np
import supervision as sv

from vidgov.analytics.detect import CLASSES
from vidgov.analytics.detectors.base import Frame
from vidgov.analytics.video import VideoFrame, VideoInfo
from vidgov.analytics.zones import LineCounter, ZoneCounter
from vidgov.errors import InvalidInput


class Blurred(Protocol):
    """One de-identified frame (:class:`vidgov.analytics.deid.Deidentified`)."""

    @property
    def picture(self) -> Frame: ...


class VideoDeidentifier(Protocol):
    """Blurs the frames of one video in order (:class:`vidgov.analytics.deid.Deidentifier`)."""

    def deidentify_video(self, frames: Iterable[Frame]) -> Iterator[Blurred]: ...


def _codec() -> str:
    return next((c for c in ("libx264", "h264", "mpeg4") if c in av.codecs_available), "mpeg4")


class Annotator:
    """Draws one frame's tracked detections and the counting geometry onto its pixels."""

    def __init__(self, lines: Sequence[LineCounter], zones: Sequence[ZoneCounter]) -> None:
        self._lines = lines
        self._zones = zones
        self._boxes = sv.BoxAnnotator(thickness=2)
        self._labels = sv.LabelAnnotator(text_scale=0.4, text_padding=3)
        self._line_drawer = sv.LineZoneAnnotator(thickness=2, text_scale=0.5)
        self._zone_drawers = [sv.PolygonZoneAnnotator(zone=z.zone, thickness=2, text_scale=0.5)
                              for z in zones]

    def annotate(self, picture: Frame, tracked: sv.Detections) -> Frame:
        """The picture (modified in place and returned) with everything drawn on it."""
        for drawer in self._zone_drawers:
            picture = drawer.annotate(picture)
        for counter in self._lines:
            picture = self._line_drawer.annotate(picture, line_counter=counter.zone)
        if len(tracked):
            ids = tracked.tracker_id if tracked.tracker_id is not None else [0] * len(tracked)
            classes = tracked.class_id if tracked.class_id is not None else [0] * len(tracked)
            labels = [f"#{t} {CLASSES[int(c)]}" for t, c in zip(ids, classes, strict=True)]
            picture = self._boxes.annotate(picture, tracked)
            picture = self._labels.annotate(picture, tracked, labels=labels)
        return np.asarray(picture, dtype=np.uint8)


@contextmanager
def annotated_video(path: Path, info: VideoInfo, lines: Sequence[LineCounter],
                    zones: Sequence[ZoneCounter], *, deidentifier: VideoDeidentifier,
                    ) -> Iterator[Any]:
    """A frame hook (see :data:`vidgov.analytics.pipeline.FrameHook`) writing an MP4 to ``path``;
    frames are de-identified by ``deidentifier`` (in a thread of their own) before drawing.
    ``deidentifier`` must not be used by another thread meanwhile (OpenCV's face detector keeps
    state): give snapshots their own."""
    if not path.parent.is_dir():
        raise InvalidInput(f"cannot write {path}: folder {path.parent} does not exist")
    annotator = Annotator(lines, zones)
    container = av.open(str(path), mode="w")
    pictures: queue.Queue[Frame | None] = queue.Queue(maxsize=16)
    boxes: deque[sv.Detections] = deque()  # appended before its picture is queued
    failed: list[BaseException] = []
    try:
        stream: Any = container.add_stream(_codec(), rate=Fraction(info.fps).limit_denominator(
            1001))
        stream.width, stream.height = info.width // 2 * 2, info.height // 2 * 2
        stream.pix_fmt = "yuv420p"

        def incoming() -> Iterator[Frame]:
            while (picture := pictures.get()) is not None:
                yield picture

        def encode() -> None:
            try:
                for blurred in deidentifier.deidentify_video(incoming()):
                    picture = annotator.annotate(blurred.picture, boxes.popleft())
                    picture = picture[:stream.height, :stream.width]
                    out = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture),
                                                     format="bgr24")
                    container.mux(stream.encode(out))
            except BaseException as exc:  # handed to the caller's thread below
                failed.append(exc)
                while pictures.get() is not None:  # keep the producer from blocking
                    pass

        worker = threading.Thread(target=encode, name="annotated-video", daemon=True)
        worker.start()

        def write(frame: VideoFrame, tracked: sv.Detections) -> None:
            if failed:
                raise failed[0]
            boxes.append(tracked)
            pictures.put(frame.bgr())

        try:
            yield write
        finally:
            pictures.put(None)
            worker.join()
        if failed:
            raise failed[0]
        container.mux(stream.encode(None))
    finally:
        container.close()
