"""Picture jitter: the whole view shaking between frames (a loose mount, a pole in the wind)."""

from __future__ import annotations

import cv2
import numpy as np

from vidgov.quality.checks.views import Floats, WindowViews
from vidgov.quality.models import Diagnosis, QualityFault
from vidgov.quality.thresholds import QualityThresholds

#: Global motion is estimated on images at most this wide: a shake of a percent of the width
#: (the default threshold) is still 1.6 pixels there, against a few hundredths of a pixel of
#: phase-correlation noise on a still textured quadrant, and the FFTs cost a sixteenth of what
#: they do at 640 (they were a third of the whole diagnosis at 320).
MOTION_MAX_WIDTH_PX = 160
#: Quadrants are cut this many rows at a time (their middle rows; 40 of 45 for 16:9): the
#: FFT of a row count with factors 3 and 5 in it cost a third more (80×45: 46 µs a phase
#: correlation, 80×40: 34 µs), and jitter runs 16 of them a window.
DFT_ROWS = 8
#: Quadrant shifts this close (percent of width) count as the same motion.
QUADRANT_AGREEMENT_PCT = 0.3


def consensus_shifts(shifts: Floats, tolerance: float) -> Floats:
    """Per frame pair, the shift most quadrants agree on (within ``tolerance``), the mean of
    that group: P×Q×2 quadrant shifts in, P×2 out.

    A shaking camera moves all quadrants alike; a car or a crowd moves one or two, and a
    textureless quadrant (sky, a wall) returns noise that agrees with nothing. With no two
    quadrants agreeing there is no evidence of global motion: zero. Ties go to the smaller
    shift, so that two quadrants of traffic cannot outvote two of still street.
    """
    gaps = np.linalg.norm(shifts[:, :, None, :] - shifts[:, None, :, :], axis=-1)
    agree = gaps <= tolerance
    support = agree.sum(axis=-1)
    most = support.max(axis=-1, keepdims=True)
    size = np.where(support == most, np.hypot(shifts[..., 0], shifts[..., 1]), np.inf)
    group = agree[np.arange(len(shifts)), size.argmin(axis=-1)]
    mean = (shifts * group[..., None]).sum(axis=1) / np.maximum(group.sum(axis=1), 1)[:, None]
    return np.asarray(np.where(most >= 2, mean, 0.0), dtype=np.float64)


def measure_shifts(views: WindowViews) -> Floats:
    """Global translation between consecutive frames, (N-1)×2, in percent of the frame width.

    Phase correlation finds the shift that best aligns two images; it runs on each quadrant
    and the quadrants vote (``consensus_shifts``), so that local motion and the fixed OSD do
    not pass for a moving camera. Each quadrant is windowed once here and handed to OpenCV
    without a window: ``phaseCorrelate`` (OpenCV 5.0) writes the windowed image back into the
    arrays it is given, so with a window frame i+1 was windowed twice by the time it was the
    first image of pair i+1, and a slice of a shared image came back altered.
    """
    small = views.grey_at_most(MOTION_MAX_WIDTH_PX)
    n, h, w = small.shape
    qw = w // 2
    qh = h // 2 // DFT_ROWS * DFT_ROWS or h // 2  # a tiny image keeps all its rows
    top = (h // 2 - qh) // 2  # the quadrants' middle rows
    window = cv2.createHanningWindow((qw, qh), cv2.CV_32F)
    quadrants = np.stack([small[:, y + top:y + top + qh, x:x + qw]
                          for y in (0, h // 2) for x in (0, qw)], axis=1) * window
    found = np.array([[cv2.phaseCorrelate(before, after)[0]
                       for before, after in zip(quadrants[i], quadrants[i + 1], strict=True)]
                      for i in range(n - 1)], dtype=np.float64).reshape(n - 1, -1, 2)
    return consensus_shifts(100.0 * found / w, QUADRANT_AGREEMENT_PCT)


def measure_jitter(views: WindowViews) -> tuple[float, int]:
    """RMS of the frame-to-frame shifts about their mean (percent of width), and the frame
    where the shift strays most; a steady pan moves every frame alike and scores zero."""
    shifts = measure_shifts(views)
    deviation = np.hypot(*(shifts - shifts.mean(axis=0)).T)
    return float(np.sqrt(np.mean(deviation**2))), int(np.argmax(deviation)) + 1


def check_jitter(views: WindowViews, thresholds: QualityThresholds) -> Diagnosis | None:
    """Needs three frames or more: with two, a shake and a pan look the same."""
    if len(views.grey) < 3:
        return None
    value, index = measure_jitter(views)
    if value <= thresholds.jitter_shift_pct:
        return None
    return Diagnosis(code=QualityFault.JITTER, measured=value,
                     threshold=thresholds.jitter_shift_pct, frame_index=index)
