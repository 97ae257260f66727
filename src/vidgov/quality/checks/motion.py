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


def consensus_shift(shifts: Floats, tolerance: float) -> Floats:
    """The shift most quadrants agree on (within ``tolerance``), the mean of that group.

    A shaking camera moves all quadrants alike; a car or a crowd moves one or two, and a
    textureless quadrant (sky, a wall) returns noise that agrees with nothing. With no two
    quadrants agreeing there is no evidence of global motion: zero. Ties go to the smaller
    shift, so that two quadrants of traffic cannot outvote two of still street.
    """
    agree = np.linalg.norm(shifts[:, None, :] - shifts[None, :, :], axis=2) <= tolerance
    support = agree.sum(axis=1)
    if support.max() < 2:
        return np.zeros(2, dtype=np.float64)
    best = min(np.flatnonzero(support == support.max()),
               key=lambda k: float(np.hypot(*shifts[k])))
    return np.asarray(shifts[agree[best]].mean(axis=0), dtype=np.float64)


def measure_shifts(views: WindowViews) -> Floats:
    """Global translation between consecutive frames, (N-1)×2, in percent of the frame width.

    Phase correlation finds the shift that best aligns two images; it runs on each quadrant
    and the quadrants vote (``consensus_shift``), so that local motion and the fixed OSD do not
    pass for a moving camera.
    """
    small = views.grey_at_most(MOTION_MAX_WIDTH_PX).astype(np.float32)
    h, w = small.shape[1:]
    qw = w // 2
    qh = h // 2 // DFT_ROWS * DFT_ROWS or h // 2  # a tiny image keeps all its rows
    top = (h // 2 - qh) // 2  # the quadrants' middle rows
    window = cv2.createHanningWindow((qw, qh), cv2.CV_32F)
    quadrants = [(y + top, x) for y in (0, h // 2) for x in (0, qw)]
    shifts = np.zeros((len(small) - 1, 2), dtype=np.float64)
    for i in range(len(small) - 1):
        found = np.array([cv2.phaseCorrelate(small[i][y:y + qh, x:x + qw],
                                             small[i + 1][y:y + qh, x:x + qw], window)[0]
                          for y, x in quadrants], dtype=np.float64)
        shifts[i] = consensus_shift(100.0 * found / w, QUADRANT_AGREEMENT_PCT)
    return shifts


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
