"""Small builders for the tracking tests: detections from boxes, synthetic clips with PyAV."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import supervision as sv

from vidgov.analytics.detectors.base import CLASSES

Box = tuple[float, float, float, float]


def detections(boxes: Sequence[Box], scores: Sequence[float] | None = None,
               classes: Sequence[int] | None = None,
               tracker_ids: Sequence[int] | None = None) -> sv.Detections:
    """``sv.Detections`` from plain lists (scores default to 0.9, classes to person)."""
    n = len(boxes)
    class_id = np.array(classes if classes is not None else [0] * n, dtype=np.int64)
    return sv.Detections(
        xyxy=np.array(boxes, dtype=np.float32).reshape(n, 4),
        confidence=np.array(scores if scores is not None else [0.9] * n, dtype=np.float32),
        class_id=class_id,
        tracker_id=None if tracker_ids is None else np.array(tracker_ids, dtype=np.int64),
        data={"class_name": np.array([CLASSES[i] for i in class_id], dtype=str)})


def write_clip(path: Path, frames: int, size_wh: tuple[int, int], fps: int,
               draw: Callable[[int, np.ndarray], None]) -> Path:
    """An H.264 MP4 of ``frames`` black BGR frames on which ``draw(index, picture)`` paints."""
    width, height = size_wh
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "18"}
        for index in range(frames):
            picture = np.zeros((height, width, 3), dtype=np.uint8)
            draw(index, picture)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="bgr24")))
        container.mux(stream.encode(None))
    return path


class BrightBlobDetector:
    """A real (tiny) detector for synthetic clips: each bright square is a ``person``.

    It finds connected regions brighter than 128 with OpenCV; the pipeline tests use it to
    check decoding, sampling, scaling and counting without the cost of a neural network.
    """

    def __init__(self) -> None:
        self.calls: list[int] = []  # batch sizes, to check the pipeline batches

    def detect(self, frames: Sequence[np.ndarray]) -> list[sv.Detections]:
        import cv2

        self.calls.append(len(frames))
        out = []
        for frame in frames:
            mask = (frame.max(axis=2) > 128).astype(np.uint8)
            count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
            boxes = [(x, y, x + w, y + h) for x, y, w, h, area in stats[1:count] if area > 4]
            out.append(detections(boxes))
        return out
