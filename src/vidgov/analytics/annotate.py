"""An annotated copy of the analysed video: boxes, track ids, lines with their counts, zones.

Why a video and not only numbers: an operator checks a counting line by watching it count.
Written with PyAV (H.264 when FFmpeg has it, else MPEG-4 Part 2) at the source's size and rate;
frames between two detector passes show the last tracked boxes. Every frame passes through the
de-identifier (``redact``, required) before anything is drawn on it: an annotated video leaves
vidgov, so faces and licence plates in it are blurred like those of event snapshots.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import supervision as sv

from vidgov.analytics.detect import CLASSES
from vidgov.analytics.detectors.base import Frame
from vidgov.analytics.events import Redact
from vidgov.analytics.video import VideoFrame, VideoInfo
from vidgov.analytics.zones import LineCounter, ZoneCounter
from vidgov.errors import InvalidInput


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
                    zones: Sequence[ZoneCounter], *, redact: Redact) -> Iterator[Any]:
    """A frame hook (see :data:`vidgov.analytics.pipeline.FrameHook`) writing an MP4 to ``path``;
    each frame is de-identified by ``redact`` first."""
    if not path.parent.is_dir():
        raise InvalidInput(f"cannot write {path}: folder {path.parent} does not exist")
    annotator = Annotator(lines, zones)
    container = av.open(str(path), mode="w")
    try:
        stream: Any = container.add_stream(_codec(), rate=Fraction(info.fps).limit_denominator(
            1001))
        stream.width, stream.height = info.width // 2 * 2, info.height // 2 * 2
        stream.pix_fmt = "yuv420p"

        def write(frame: VideoFrame, tracked: sv.Detections) -> None:
            picture = annotator.annotate(redact(frame.bgr()), tracked)
            picture = picture[:stream.height, :stream.width]
            out = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="bgr24")
            container.mux(stream.encode(out))

        yield write
        container.mux(stream.encode(None))
    finally:
        container.close()
