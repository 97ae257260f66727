"""What every ONNX detector backend shares: the class vocabulary, letterboxing, the onnxruntime
session, and turning raw boxes into validated ``supervision.Detections``.

Why one vocabulary: counting and scenarios downstream need the same six road-user classes
whichever model found them, so every backend maps its own labels onto :data:`CLASSES` and drops
the rest before non-maximum suppression.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import supervision as sv

from vidgov.errors import ConfigurationError

CLASSES: tuple[str, ...] = ("person", "bicycle", "car", "motorcycle", "bus", "truck")
"""The classes a detector reports; ``Detections.class_id`` indexes this tuple."""

COCO80: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich",
    "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote",
    "keyboard", "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book",
    "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
)
"""The 80 COCO labels in the order COCO-trained models (NanoDet, YOLO) number them."""

Frame = npt.NDArray[np.uint8]
"""A BGR picture, shape (height, width, 3), as OpenCV and PyAV's ``to_ndarray("bgr24")`` give."""
FloatArray = npt.NDArray[np.float32]


class ModelMissing(ConfigurationError):
    """The detector's model file is not there (the weights are installed at set-up, not here)."""


def class_columns(labels: tuple[str, ...]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Which of a model's label columns we keep, and the :data:`CLASSES` index of each."""
    columns = [i for i, label in enumerate(labels) if label in CLASSES]
    ours = [CLASSES.index(labels[i]) for i in columns]
    if not columns:
        raise ConfigurationError(f"the model's labels include none of {', '.join(CLASSES)}")
    return np.array(columns, dtype=np.intp), np.array(ours, dtype=np.intp)


def open_session(model_path: Path, threads: int, *, install_hint: str) -> Any:
    """An onnxruntime session on the GPU when onnxruntime has CUDA, else on ``threads`` CPUs.

    ``threads=0`` lets onnxruntime pick (one per physical core). Returns
    ``onnxruntime.InferenceSession``, typed Any because onnxruntime ships no type hints.
    """
    if not model_path.is_file():
        raise ModelMissing(f"detector model not found: {model_path} ({install_hint})")
    import onnxruntime as ort  # type: ignore[import-untyped]  # ships no type hints

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    providers = ["CPUExecutionProvider"]
    if "CUDAExecutionProvider" in ort.get_available_providers():
        providers.insert(0, "CUDAExecutionProvider")
    return ort.InferenceSession(str(model_path), options, providers=providers)


def square_input(session: Any, model_path: Path, input_size: int | None) -> tuple[str, int]:
    """The model's input name and square side: from the model, or ``input_size`` when the
    model was exported with a dynamic size (then it must be given)."""
    model_input = session.get_inputs()[0]
    side = model_input.shape[2] if len(model_input.shape) == 4 else None
    size = side if isinstance(side, int) else input_size
    if size is None:
        raise ConfigurationError(f"{model_path}: the input size is dynamic; set input_size "
                                 "(e.g. 640)")
    return str(model_input.name), size


@dataclass(frozen=True, slots=True)
class Letterbox:
    """How a frame was fitted into the model's square input: scale, then pad right and bottom."""

    scale: float
    frame_hw: tuple[int, int]

    def to_frame(self, xyxy: FloatArray) -> FloatArray:
        """Boxes in model-input pixels back to frame pixels, clipped to the frame."""
        out = xyxy / self.scale
        height, width = self.frame_hw
        np.clip(out[:, 0::2], 0, width, out=out[:, 0::2])
        np.clip(out[:, 1::2], 0, height, out=out[:, 1::2])
        return out


def letterbox(frame: Frame, size: int, pad_value: int) -> tuple[Frame, Letterbox]:
    """Resize keeping the aspect ratio so the long side is ``size``; pad to ``size``×``size``."""
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(f"expected a BGR uint8 frame (H, W, 3), got {frame.dtype} {frame.shape}")
    height, width = frame.shape[:2]
    scale = size / max(height, width)
    new_w, new_h = round(width * scale), round(height * scale)
    resized = cv2.resize(frame, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    canvas = np.full((size, size, 3), pad_value, dtype=np.uint8)
    canvas[:new_h, :new_w] = resized
    return canvas, Letterbox(scale=scale, frame_hw=(height, width))


def to_detections(xyxy: FloatArray, scores: FloatArray, class_ids: npt.NDArray[np.intp],
                  box: Letterbox, iou_threshold: float) -> sv.Detections:
    """Validated detections in frame pixels after class-agnostic non-maximum suppression.

    Class-agnostic because these models often score one object as two similar classes (a
    motorcycle as bicycle and motorcycle, a van as car and truck); keeping only the better box
    is what counting needs.
    """
    if len(xyxy) == 0:
        return empty_detections()
    detections = sv.Detections(
        xyxy=box.to_frame(xyxy.astype(np.float32)),
        confidence=scores.astype(np.float32),
        class_id=class_ids.astype(np.int64),
        data={"class_name": np.array([CLASSES[i] for i in class_ids])},
    )
    return detections.with_nms(threshold=iou_threshold, class_agnostic=True)


def empty_detections() -> sv.Detections:
    """No detections, with the same fields as a non-empty result."""
    return sv.Detections(xyxy=np.zeros((0, 4), dtype=np.float32),
                         confidence=np.zeros(0, dtype=np.float32),
                         class_id=np.zeros(0, dtype=np.int64),
                         data={"class_name": np.array([], dtype=str)})


def select(detections: sv.Detections, index: npt.NDArray[np.bool_] | npt.NDArray[np.intp],
           ) -> sv.Detections:
    """The detections picked by a boolean mask or an index array, typed as ``Detections``
    (supervision's ``__getitem__`` is typed to return lists and arrays too)."""
    picked = detections[index]
    if not isinstance(picked, sv.Detections):
        raise TypeError(f"expected Detections from a mask or index, got {type(picked)}")
    return picked
