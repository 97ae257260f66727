"""Is there a live picture at all: a blank screen (no signal) and a picture that stopped moving.

These come first in precedence: when either holds, nothing else about the picture means much.
"""

from __future__ import annotations

import cv2
import numpy as np

from vidgov.quality.checks.views import Floats, WindowViews
from vidgov.quality.models import Diagnosis, QualityFault
from vidgov.quality.thresholds import QualityThresholds

#: Frozen is judged on cells this many per frame width, so that any moving object counts.
FROZEN_GRID_COLUMNS = 8


def measure_uniform_fraction(views: WindowViews, thresholds: QualityThresholds) -> Floats:
    """Per measured frame, the share of (non-OSD) pixels within the tolerance of the commonest
    grey level.

    Why the commonest level and not the standard deviation: a DVR's blue "no video" screen
    carries a caption, which spreads the deviation, but nearly all its pixels still share a
    single level; a real scene never does. A frame whose commonest level is clipped white
    counts 0: a white screen is a saturated sensor (overexposed), not a missing signal.
    """
    tol = thresholds.no_signal_tolerance_levels
    hist = views.grey_hist
    cumulative = np.concatenate([np.zeros((len(hist), 1)), np.cumsum(hist, axis=1)], axis=1)
    mode = np.argmax(hist, axis=1)
    low = np.clip(mode - tol, 0, 256)
    high = np.clip(mode + tol + 1, 0, 256)
    rows = np.arange(len(hist))
    inside = cumulative[rows, high] - cumulative[rows, low]
    fraction = inside / np.maximum(cumulative[:, -1], 1.0)
    return np.asarray(np.where(mode >= thresholds.overexposed_level, 0.0, fraction),
                      dtype=np.float64)


def check_no_signal(views: WindowViews, thresholds: QualityThresholds) -> Diagnosis | None:
    value, index = views.median_measured(measure_uniform_fraction(views, thresholds))
    if value <= thresholds.no_signal_uniform_fraction:
        return None
    return Diagnosis(code=QualityFault.NO_SIGNAL, measured=value,
                     threshold=thresholds.no_signal_uniform_fraction, frame_index=index)


def measure_frame_change(views: WindowViews) -> Floats:
    """Per consecutive pair, the largest mean absolute grey difference of any cell (N-1 values).

    The largest cell, so that one car crossing an otherwise still street proves the picture
    live; the OSD region is blanked first, because many cameras keep ticking their clock over a
    stuck picture.
    """
    grey = views.grey
    h, w = grey.shape[1:]
    cell = max(w // FROZEN_GRID_COLUMNS, 1)
    rows, cols = max(h // cell, 1), max(w // cell, 1)
    values = np.empty(len(grey) - 1, dtype=np.float64)
    for i in range(len(grey) - 1):
        diff = cv2.absdiff(grey[i], grey[i + 1])
        diff = cv2.bitwise_and(diff, views.content_mask)
        cells = cv2.resize(diff[: rows * cell, : cols * cell].astype(np.float32), (cols, rows),
                           interpolation=cv2.INTER_AREA)
        values[i] = float(np.max(cells))
    return values


def check_frozen(views: WindowViews, thresholds: QualityThresholds) -> Diagnosis | None:
    """Needs two frames or more; a single frame can never prove a picture frozen."""
    if len(views.grey) < 2:
        return None
    changes = measure_frame_change(views)
    largest = int(np.argmax(changes))
    value = float(changes[largest])
    if value >= thresholds.frozen_change_levels:
        return None
    return Diagnosis(code=QualityFault.FROZEN, measured=value,
                     threshold=thresholds.frozen_change_levels, frame_index=largest + 1)
