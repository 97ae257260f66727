"""How much detail the picture holds: blur (too little), noise (false detail), occlusion.

All three are relative to the picture itself rather than to a reference frame of the camera,
because a probe usually sees a camera for the first time; a per-camera reference would sharpen
occlusion most (a flat wall is not a tarp) and is the next step once history is kept.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from vidgov.quality.checks.views import (
    Floats,
    WindowViews,
    hist_outside,
    hist_percentile,
)
from vidgov.quality.models import Diagnosis, QualityFault
from vidgov.quality.thresholds import QualityThresholds

#: Noise tiles: a COLUMNS×ROWS grid of square tiles, side about a tenth of the short frame side.
NOISE_TILE_COLUMNS, NOISE_TILE_ROWS = 6, 4
#: The estimate is the noise of the smoothest quarter of the tiles (texture only adds to it).
NOISE_TILE_QUANTILE = 0.25
#: Immerkær's kernel is the outer product of this second difference with itself.
_SECOND_DIFF = np.array([1, -2, 1], dtype=np.float32)
_IMMERKAER_SCALE = math.sqrt(math.pi / 2) / 6


def measure_sharpness(views: WindowViews) -> Floats:
    """Per measured frame, the 99th percentile of |Laplacian| over the grey-level spread.

    Dividing by the spread (1st to 99th percentile) makes a dark but sharp picture as sharp
    as a bright one; the OSD is masked out, since its text stays crisp on a blurred picture.
    """
    values = np.empty(len(views.measured), dtype=np.float64)
    spread = np.maximum(views.percentile(0.99) - views.percentile(0.01), 1.0)
    for i, frame in enumerate(views.measured):
        image = views.grey[frame]
        edges = cv2.convertScaleAbs(cv2.Laplacian(image, cv2.CV_16S, ksize=1))
        hist = hist_outside(edges, views.osd_box_xyxy)
        values[i] = hist_percentile(hist[None, :], 0.99)[0] / spread[i]
    return values


def check_blur(views: WindowViews, thresholds: QualityThresholds) -> Diagnosis | None:
    value, index = views.median_measured(measure_sharpness(views))
    if value >= thresholds.blur_sharpness:
        return None
    return Diagnosis(code=QualityFault.BLUR, measured=value,
                     threshold=thresholds.blur_sharpness, frame_index=index)


def _noise_tiles(width: int, height: int, thresholds: QualityThresholds) -> list[tuple[int, int]]:
    side = _tile_side(width, height)
    x0, y0, x1, y1 = thresholds.osd_region.box_xyxy(width, height)
    corners = [(int(x), int(y))
               for y in np.linspace(0, height - side, NOISE_TILE_ROWS)
               for x in np.linspace(0, width - side, NOISE_TILE_COLUMNS)]
    clear = [(x, y) for x, y in corners
             if x >= x1 or x + side <= x0 or y >= y1 or y + side <= y0]
    return clear or corners


def _tile_side(width: int, height: int) -> int:
    return int(np.clip(min(width, height) // 10, 16, 64))


def measure_noise_sigma(views: WindowViews, thresholds: QualityThresholds) -> Floats:
    """Per measured frame, the noise standard deviation in grey levels (Immerkær's estimator).

    The 3×3 kernel [1 -2 1; -2 4 -2; 1 -2 1] cancels flat areas and straight gradients and
    leaves noise; σ = √(π/2)/6 · mean |response|. Taken on native-resolution tiles (a
    downscaled frame would average the noise away) and summarised by the smoothest tiles.
    The tiles are stacked into one column image so that OpenCV converts and filters them in
    one call each; the rows where tiles meet are dropped.
    """
    width, height = views.window.size_wh
    side = _tile_side(width, height)
    boxes = [(x, y, x + side, y + side) for x, y in _noise_tiles(width, height, thresholds)]
    values = np.empty(len(views.measured), dtype=np.float64)
    for i, index in enumerate(views.measured):
        grey = views.native_grey(index, boxes)
        response = np.abs(np.asarray(
            cv2.sepFilter2D(grey, cv2.CV_32F, _SECOND_DIFF, _SECOND_DIFF), dtype=np.float32))
        inner = response.reshape(len(boxes), side, side)[:, 1:-1, 1:-1]
        sigmas = _IMMERKAER_SCALE * inner.mean(axis=(1, 2))
        values[i] = quantile(sigmas, NOISE_TILE_QUANTILE)
    return values


def quantile(values: Floats, fraction: float) -> float:
    """``np.quantile(values, fraction)`` (linear interpolation), a tenth of its time on the
    few dozen values of a frame's tiles: numpy's general version is built for big arrays."""
    ordered = np.sort(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def check_noise(views: WindowViews, thresholds: QualityThresholds) -> Diagnosis | None:
    value, index = views.median_measured(measure_noise_sigma(views, thresholds))
    if value <= thresholds.noise_sigma_levels:
        return None
    return Diagnosis(code=QualityFault.NOISE, measured=value,
                     threshold=thresholds.noise_sigma_levels, frame_index=index)


def measure_flat_region(views: WindowViews, thresholds: QualityThresholds) -> Floats:
    """Per measured frame, the share of the picture covered by the largest connected run of
    flat blocks.

    Connected, because an occluder (a leaf, a tarp, mud on the dome) is one blob, while a
    scene's flat patches (sky, a wall) are broken up by what stands in front of them. Blocks
    are large (a sixteenth of the width) so that blur, which removes fine texture, does not
    make a scene look flat.
    """
    grey = views.grey
    h, w = grey.shape[1:]
    cols = thresholds.occlusion_grid_columns
    block = max(w // cols, 1)
    rows = max(min(round(cols * h / w), h // block), 1)
    values = np.empty(len(views.measured), dtype=np.float64)
    for i, frame in enumerate(views.measured):
        g = grey[frame][: rows * block, : cols * block].astype(np.float32)
        mean = cv2.resize(g, (cols, rows), interpolation=cv2.INTER_AREA)
        mean_sq = cv2.resize(g * g, (cols, rows), interpolation=cv2.INTER_AREA)
        std = np.sqrt(np.maximum(mean_sq - mean * mean, 0.0))
        flat = (std < thresholds.occlusion_flat_std_levels).astype(np.uint8)
        count, _, stats, _ = cv2.connectedComponentsWithStats(flat, connectivity=4)
        largest = int(stats[1:, cv2.CC_STAT_AREA].max()) if count > 1 else 0
        values[i] = largest / (rows * cols)
    return values


def check_occlusion(views: WindowViews, thresholds: QualityThresholds) -> Diagnosis | None:
    value, index = views.median_measured(measure_flat_region(views, thresholds))
    if value <= thresholds.occlusion_fraction:
        return None
    return Diagnosis(code=QualityFault.OCCLUSION, measured=value,
                     threshold=thresholds.occlusion_fraction, frame_index=index)
