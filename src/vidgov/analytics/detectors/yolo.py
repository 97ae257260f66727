"""A user-supplied YOLO-family ONNX model (ultralytics YOLOv5/v8/v11 exports and their kin).

Why it exists: we may not ship YOLO weights (none come inside a registry package, and the
ultralytics weights are AGPL), but a site that has exported one can select it in config and get
the same ``Detections`` as from NanoDet. ``docs/analytics.md`` says how to export one.

Layouts read: ``[1, 4 + C, N]`` (ultralytics v8/v11 default export: cx, cy, w, h in input
pixels, then C sigmoid class scores per candidate), its transpose ``[1, N, 4 + C]``, and
``[1, N, 5 + C]`` (YOLOv5: an objectness column before the class scores). Pre-processing is
ultralytics': RGB, 0–1, letterboxed with grey (114) padding, NCHW.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import supervision as sv
from pydantic import BaseModel, ConfigDict, Field

from vidgov.analytics.detectors.base import (
    COCO80,
    FloatArray,
    Frame,
    Letterbox,
    class_columns,
    empty_detections,
    letterbox,
    open_session,
    square_input,
    to_detections,
)
from vidgov.errors import ConfigurationError

MAX_CANDIDATES = 1000
INSTALL_HINT = "export one as described in docs/analytics.md and set its path in config"


class YoloOnnxConfig(BaseModel):
    """A YOLO-family ONNX file of the user's; only its path is required."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["yolo_onnx"] = "yolo_onnx"
    model_path: Path = Field(description="The exported .onnx file.")
    class_names: tuple[str, ...] = Field(
        COCO80, min_length=1,
        description="The model's labels in output order (default: the 80 COCO labels).")
    input_size: int | None = Field(
        None, ge=32, description="Square input side for models exported with a dynamic size; "
        "read from the model otherwise.")
    score_threshold: float = Field(0.35, gt=0, lt=1, description="Lowest class score kept.")
    iou_threshold: float = Field(0.6, gt=0, le=1, description="Class-agnostic NMS overlap.")
    threads: int = Field(0, ge=0, description="CPU threads for onnxruntime; 0 lets it choose.")


def candidates(output: FloatArray, num_classes: int) -> tuple[FloatArray, FloatArray]:
    """Split one image's raw output into boxes (N, 4: cx, cy, w, h) and class scores (N, C).

    Which axis holds the candidates is told by which one has 4 + C (or 5 + C) entries; a model
    whose output fits neither is refused with both shapes named.
    """
    if output.ndim != 2:
        raise ConfigurationError(f"YOLO output per image must be 2-D, got shape {output.shape}")
    fits = (4 + num_classes, 5 + num_classes)
    channels_first = output.shape[0] in fits and (
        output.shape[1] not in fits or output.shape[0] == 4 + num_classes)
    rows = output.T if channels_first else output
    if rows.shape[1] == 4 + num_classes:
        return rows[:, :4], rows[:, 4:]
    if rows.shape[1] == 5 + num_classes:
        return rows[:, :4], rows[:, 5:] * rows[:, 4:5]
    raise ConfigurationError(
        f"YOLO output of shape {output.shape} does not fit {num_classes} classes: expected "
        f"[{4 + num_classes}, N], [N, {4 + num_classes}] or [N, {5 + num_classes}]; is "
        "class_names right, and was the model exported without NMS?")


class YoloOnnx:
    """A YOLO-family ONNX detector: frames in, people and vehicles out."""

    def __init__(self, config: YoloOnnxConfig) -> None:
        self.config = config
        self._session: Any = open_session(config.model_path, config.threads,
                                          install_hint=INSTALL_HINT)
        self._input_name, self.input_size = square_input(self._session, config.model_path,
                                                         config.input_size)
        self._columns, self._class_ids = class_columns(config.class_names)

    def preprocess(self, frame: Frame) -> tuple[FloatArray, Letterbox]:
        """Letterbox with grey padding, BGR to RGB, scale to 0–1, NCHW float32."""
        canvas, box = letterbox(frame, self.input_size, pad_value=114)
        rgb = canvas[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32) / 255.0
        return np.ascontiguousarray(rgb), box

    def detect(self, frames: Sequence[Frame]) -> list[sv.Detections]:
        """Detections for each BGR frame, in frame pixels, classes from ``CLASSES``."""
        results = []
        for frame in frames:
            tensor, box = self.preprocess(frame)
            output = self._session.run(None, {self._input_name: tensor})[0]
            results.append(self.decode(output[0], box))
        return results

    def decode(self, output: FloatArray, box: Letterbox) -> sv.Detections:
        """One image's raw output to detections after class-agnostic NMS."""
        cxcywh, scores = candidates(output, len(self.config.class_names))
        ours = scores[:, self._columns]
        best = ours.argmax(axis=1)
        best_score = ours[np.arange(len(ours)), best]
        keep = np.flatnonzero(best_score >= self.config.score_threshold)
        if keep.size == 0:
            return empty_detections()
        keep = keep[np.argsort(-best_score[keep])][:MAX_CANDIDATES]
        cx, cy, w, h = cxcywh[keep].T
        xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        return to_detections(xyxy.astype(np.float32), best_score[keep].astype(np.float32),
                             self._class_ids[best[keep]], box, self.config.iou_threshold)
