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
#: ... on images at most this wide: a cell is still 40 pixels across there, anything that
#: moves changes it by tens of grey levels, and the encoder's flicker on a still picture
#: (what the threshold must stay above) only averages down; a quarter of the pixels to compare.
FROZEN_MAX_WIDTH_PX = 320


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


def measure_frame_change(views: WindowViews, thresholds: QualityThresholds) -> Floats:
    """Per consecutive pair, the largest mean absolute grey difference of any cell (N-1 values).

    The largest cell, so that one car crossing an otherwise still street proves the picture
    live; the OSD region is blanked first, because many cameras keep ticking their clock over a
    stuck picture. All pairs are compared in one call each (the frames are stacked rows of one
    image, and a cell never straddles two frames).
    """
    grey = views.grey_at_most(FROZEN_MAX_WIDTH_PX)
    n, h, w = grey.shape
    cell = max(w // FROZEN_GRID_COLUMNS, 1)
    rows, cols = max(h // cell, 1), max(w // cell, 1)
    diff = cv2.absdiff(grey[:-1].reshape(-1, w), grey[1:].reshape(-1, w)).reshape(n - 1, h, w)
    x0, y0, x1, y1 = thresholds.osd_region.box_xyxy(w, h)
    diff[:, y0:y1, x0:x1] = 0
    blocks = diff[:, : rows * cell, : cols * cell].reshape(-1, cols * cell).astype(np.float32)
    cells = cv2.resize(blocks, (cols, (n - 1) * rows), interpolation=cv2.INTER_AREA)
    return np.asarray(cells.reshape(n - 1, -1).max(axis=1), dtype=np.float64)


def check_frozen(views: WindowViews, thresholds: QualityThresholds) -> Diagnosis | None:
    """Needs two frames or more; a single frame can never prove a picture frozen."""
    if len(views.grey) < 2:
        return None
    changes = measure_frame_change(views, thresholds)
    largest = int(np.argmax(changes))
    value = float(changes[largest])
    if value >= thresholds.frozen_change_levels:
        return None
    return Diagnosis(code=QualityFault.FROZEN, measured=value,
                     threshold=thresholds.frozen_change_levels, frame_index=largest + 1)
