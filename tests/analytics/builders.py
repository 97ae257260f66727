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


def write_brightness_model(path: Path, box_cxcywh: tuple[float, float, float, float],
                           gain: float, side: int = 64) -> Path:
    """A real (tiny) one-class YOLO-layout ONNX model, standing in for a user's own: one
    candidate box, fixed, whose score is ``gain`` × the picture's mean brightness (0–1).

    Output ``[1, 5, 1]`` (cx, cy, w, h in input pixels, then the score), so a clip where a
    bright patch appears makes the "object" appear: enough to test the plug-in slot without
    pretending to detect anything real.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    base = np.array([*box_cxcywh, 0.0], np.float32).reshape(1, 5, 1)
    mask = np.array([0, 0, 0, 0, 1], np.float32).reshape(1, 5, 1)
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
        helper.make_node("Mul", ["mean", "gain"], ["score"]),
        helper.make_node("Mul", ["score", "mask"], ["scores"]),
        helper.make_node("Add", ["scores", "base"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes, "brightness", [helper.make_tensor_value_info("images", TensorProto.FLOAT,
                                                            [1, 3, side, side])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 5, 1])],
        [numpy_helper.from_array(np.array(gain, np.float32), "gain"),
         numpy_helper.from_array(mask, "mask"), numpy_helper.from_array(base, "base")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def pile_appears(index: int, picture: np.ndarray) -> None:
    """From frame 20 on, a white square covering a quarter of a 240×240 picture."""
    if index >= 20:
        picture[60:180, 60:180] = 255


def two_walkers(index: int, picture: np.ndarray) -> None:
    """A walks right along y 100-180, B walks left along y 400-480; both cross x = 640.

    6 px a frame: at every=3 a 40 px box moves 18 px between analysed frames, under half its
    width, as people do at 25 fps (ByteTrack matches by overlap)."""
    a, b = 460 + 6 * index, 820 - 6 * index
    picture[100:180, a - 20:a + 20] = 255
    picture[400:480, b - 20:b + 20] = 255
