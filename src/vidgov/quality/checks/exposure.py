"""Brightness and colour of the picture as a whole: over- and underexposure, colour cast."""

from __future__ import annotations

import cv2
import numpy as np

from vidgov.quality.checks.views import Floats, WindowViews
from vidgov.quality.models import Diagnosis, QualityFault
from vidgov.quality.thresholds import QualityThresholds


def measure_clipped_fraction(views: WindowViews, thresholds: QualityThresholds) -> Floats:
    """Per measured frame, the share of (non-OSD) pixels at or above the clipping level.

    Clipped pixels rather than mean brightness: a sunlit concrete square is bright but keeps
    its detail, a blown-out picture loses it.
    """
    hist = views.grey_hist
    clipped = hist[:, thresholds.overexposed_level:].sum(axis=1)
    return np.asarray(clipped / np.maximum(hist.sum(axis=1), 1.0), dtype=np.float64)


def check_overexposed(views: WindowViews, thresholds: QualityThresholds) -> Diagnosis | None:
    value, index = views.median_measured(measure_clipped_fraction(views, thresholds))
    if value <= thresholds.overexposed_fraction:
        return None
    return Diagnosis(code=QualityFault.OVEREXPOSED, measured=value,
                     threshold=thresholds.overexposed_fraction, frame_index=index)


def measure_mean_level(views: WindowViews) -> Floats:
    """Per measured frame, the mean grey level outside the OSD (0-255)."""
    hist = views.grey_hist
    levels = np.arange(hist.shape[1], dtype=np.float64)
    return np.asarray(hist @ levels / np.maximum(hist.sum(axis=1), 1.0), dtype=np.float64)


def check_underexposed(views: WindowViews, thresholds: QualityThresholds) -> Diagnosis | None:
    value, index = views.median_measured(measure_mean_level(views))
    if value >= thresholds.underexposed_mean_levels:
        return None
    return Diagnosis(code=QualityFault.UNDEREXPOSED, measured=value,
                     threshold=thresholds.underexposed_mean_levels, frame_index=index)


#: Colour cast is measured on images at most this wide (after one halving at least). A cast
#: is the whole picture's, and a mean and a spread of chroma need few pixels: over 20 seeds
#: of every simulated condition at three sizes, and windows of two real clips (a plaza, a
#: street), the cast factor at 80 px moves little from its value at 160 (cast cameras 1.46
#: -> 1.53 at the least; the others at most 0.23 -> 0.24, leaving out no signal and
#: occlusion, which hide a cast; the real clips at most 1.11 -> 1.13),
#: for half of the check's time (0.38 -> 0.19 ms a window: the Lab conversion is the cost).
COLOUR_MAX_WIDTH_PX = 80


def measure_cast_factor(views: WindowViews, thresholds: QualityThresholds) -> Floats:
    """Per measured frame, the 'equivalent circle' cast factor K = D / max(S, floor).

    D is the distance of the mean chroma (CIELAB a*, b*) from neutral grey, S the radius of the
    chroma spread around that mean (the standard deviations of a* and b*, combined). A green
    park has a green mean but also a wide spread; a colour cast shifts every pixel the same way,
    so K (not D) tells them apart. Measured on the analysis image shrunk to at most
    :data:`COLOUR_MAX_WIDTH_PX` wide: colour is smooth (a cast is the whole picture's), and the
    Lab conversion is the costly part.
    """
    values = np.empty(len(views.measured), dtype=np.float64)
    for i, frame in enumerate(views.measured):
        lab = cv2.cvtColor(views.colour_at_most(frame, COLOUR_MAX_WIDTH_PX), cv2.COLOR_BGR2LAB)
        mean, std = (np.asarray(v, dtype=np.float64).reshape(-1) for v in cv2.meanStdDev(lab))
        offset = float(np.hypot(mean[1] - 128.0, mean[2] - 128.0))
        spread = float(np.hypot(std[1], std[2]))
        values[i] = offset / max(spread, thresholds.colour_cast_min_spread)
    return values


def check_colour_cast(views: WindowViews, thresholds: QualityThresholds) -> Diagnosis | None:
    value, index = views.median_measured(measure_cast_factor(views, thresholds))
    if value <= thresholds.colour_cast_factor:
        return None
    return Diagnosis(code=QualityFault.COLOUR_CAST, measured=value,
                     threshold=thresholds.colour_cast_factor, frame_index=index)
