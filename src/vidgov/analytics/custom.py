"""The plug-in slot for a user-supplied model: objects vidgov has no model for.

Why a slot and not a feature: the regional wish list has garbage piles and parcels sorted on
the pavement (express-sorting violations), and no model for them ships with vidgov: none comes
inside a registry package we may redistribute, and a detector that only pretends would put
wrong events in front of city staff. A site that has trained one (a YOLO-family export to ONNX
with its own labels, e.g. ``["garbage_pile"]``) plugs it in here; the ``custom`` scenario then
tracks its objects and raises a ``presence`` event when one stays in a zone (see
:class:`vidgov.analytics.events.DwellWatch`).

Unlike :class:`vidgov.analytics.detectors.yolo.YoloOnnx`, which maps a model's labels onto
vidgov's six road-user classes and drops the rest, this keeps the model's own labels:
``Detections.class_id`` indexes ``class_names`` and ``data["class_name"]`` repeats them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import supervision as sv
from pydantic import BaseModel, ConfigDict, Field

from vidgov.analytics.detectors.base import (
    Frame,
    empty_detections,
    letterbox,
    open_session,
    square_input,
)
from vidgov.analytics.detectors.yolo import MAX_CANDIDATES, candidates

INSTALL_HINT = "train and export your own model; vidgov ships none for these objects"


class UserModelConfig(BaseModel):
    """A user's YOLO-family ONNX detector whose classes are the user's own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["user_onnx"] = "user_onnx"
    model_path: Path = Field(description="The exported .onnx file (no NMS inside).")
    class_names: tuple[str, ...] = Field(
        min_length=1, description="The model's labels in output order, e.g. ['garbage_pile'].")
    input_size: int | None = Field(
        None, ge=32, description="Square input side for models exported with a dynamic size.")
    score_threshold: float = Field(0.35, gt=0, lt=1, description="Lowest class score kept.")
    iou_threshold: float = Field(0.6, gt=0, le=1, description="Class-agnostic NMS overlap.")
    threads: int = Field(0, ge=0, description="CPU threads for onnxruntime; 0 lets it choose.")


class UserModelDetector:
    """Frames in, the user's objects out (their labels, boxes in frame pixels)."""

    def __init__(self, config: UserModelConfig) -> None:
        self.config = config
        self._session: Any = open_session(config.model_path, config.threads,
                                          install_hint=INSTALL_HINT)
        self._input_name, self.input_size = square_input(self._session, config.model_path,
                                                         config.input_size)

    def detect(self, frames: Sequence[Frame]) -> list[sv.Detections]:
        """ultralytics pre-processing (RGB, 0–1, grey letterbox), then class-agnostic NMS."""
        out = []
        for frame in frames:
            canvas, box = letterbox(frame, self.input_size, pad_value=114)
            tensor = canvas[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32) / 255.0
            raw = self._session.run(None, {self._input_name: np.ascontiguousarray(tensor)})[0]
            cxcywh, scores = candidates(raw[0], len(self.config.class_names))
            best = scores.argmax(axis=1)
            best_score = scores[np.arange(len(scores)), best]
            keep = np.flatnonzero(best_score >= self.config.score_threshold)
            if keep.size == 0:
                out.append(empty_detections())
                continue
            keep = keep[np.argsort(-best_score[keep])][:MAX_CANDIDATES]
            cx, cy, w, h = cxcywh[keep].T
            xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
            detections = sv.Detections(
                xyxy=box.to_frame(xyxy.astype(np.float32)),
                confidence=best_score[keep].astype(np.float32),
                class_id=best[keep].astype(np.int64),
                data={"class_name": np.array([self.config.class_names[i] for i in best[keep]])})
            out.append(detections.with_nms(threshold=self.config.iou_threshold,
                                           class_agnostic=True))
        return out
