"""Evidence snapshots: the frame that shows a fault, small enough to keep with every diagnosis.

A 1080p frame is 6 MB raw; downscaled to 320 px wide and JPEG-encoded it is 10-30 kB, which a
work order can carry and a maintenance engineer's phone can show.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from vidgov.quality.models import InvalidFrames

Image = npt.NDArray[np.uint8]


def encode_snapshot(frame: Image, max_width_px: int = 320, jpeg_quality: int = 80) -> bytes:
    """One H×W×3 BGR uint8 frame as JPEG bytes, at most ``max_width_px`` wide (aspect kept)."""
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise InvalidFrames(f"a snapshot needs one H×W×3 uint8 frame, got shape {frame.shape} "
                            f"and dtype {frame.dtype}")
    while frame.shape[1] >= 2 * max_width_px:  # exact 2×2 averages: OpenCV's fast path
        h, w = frame.shape[0] // 2, frame.shape[1] // 2
        frame = np.asarray(cv2.resize(frame[: 2 * h, : 2 * w], (w, h),
                                      interpolation=cv2.INTER_AREA), dtype=np.uint8)
    h, w = frame.shape[:2]
    if w > max_width_px:
        size = (max_width_px, max(round(h * max_width_px / w), 1))
        frame = np.asarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
    if not ok:  # pragma: no cover - OpenCV fails only without a JPEG codec
        raise RuntimeError("OpenCV could not encode a JPEG")
    return bytes(np.asarray(encoded).tobytes())
