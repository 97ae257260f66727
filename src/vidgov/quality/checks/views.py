"""The derived images every check shares, computed once per window.

Why a separate stage: ten checks each converting and downscaling a 1080p frame would cost ten
times the 1-2 ms that one conversion costs, and diagnosis has 5 ms per frame per core. So a
window is *prepared* once (halved to the analysis width, grey, grey histogram outside the OSD)
and each check is a pure function of these views and the thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from vidgov.quality.models import FrameWindow
from vidgov.quality.thresholds import QualityThresholds

Image = npt.NDArray[np.uint8]
Floats = npt.NDArray[np.float64]


def halve(image: Image) -> Image:
    """Exact 2×2 averaging (OpenCV's fast path for INTER_AREA at a factor of 2); odd edges drop."""
    h, w = image.shape[0] // 2, image.shape[1] // 2
    even = image[: 2 * h, : 2 * w]
    return np.asarray(cv2.resize(even, (w, h), interpolation=cv2.INTER_AREA), dtype=np.uint8)


def shrink_to(image: Image, max_width_px: int) -> Image:
    """Halve until at most ``max_width_px`` wide; a frame already narrow enough is kept as is."""
    while image.shape[1] > max_width_px:
        image = halve(image)
    return image


@dataclass(frozen=True, eq=False)
class WindowViews:
    """A window's frames as the checks look at them.

    ``small``: N×h×w×3 BGR analysis images; ``grey``: N×h×w; ``content_mask``: h×w, 255 outside
    the OSD region, 0 inside; ``grey_hist``: N×256 pixel counts of ``grey`` under the mask;
    ``window``: the original frames (noise is measured at native resolution).
    """

    window: FrameWindow
    small: Image
    grey: Image
    content_mask: Image
    grey_hist: Floats

    @property
    def size_wh(self) -> tuple[int, int]:
        """Analysis image width and height in pixels."""
        return int(self.grey.shape[2]), int(self.grey.shape[1])

    def percentile(self, fraction: float) -> Floats:
        """Per-frame grey level below which ``fraction`` of the (non-OSD) pixels lie, shape N."""
        return hist_percentile(self.grey_hist, fraction)


def hist_percentile(hist: Floats, fraction: float) -> Floats:
    """Percentile from N×B histograms (bin index ≈ value): linear time, no sort."""
    cumulative = np.cumsum(hist, axis=1)
    target = fraction * cumulative[:, -1:]
    return np.asarray(np.argmax(cumulative >= target, axis=1), dtype=np.float64)


def median_frame(values: Floats) -> tuple[float, int]:
    """The window's value of a per-frame measure, and the frame that shows it.

    The median frame, not the worst: one passing lorry must not make a camera "occluded", and a
    window is diagnosed by what it mostly shows.
    """
    index = int(np.argsort(values, kind="stable")[(len(values) - 1) // 2])
    return float(values[index]), index


def prepare(window: FrameWindow, thresholds: QualityThresholds) -> WindowViews:
    """Analysis views of a window; the only place frames are converted."""
    small = np.stack([shrink_to(frame, thresholds.analysis_max_width_px)
                      for frame in window.frames])
    grey = np.stack([np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
                     for image in small])
    h, w = grey.shape[1:]
    mask = np.full((h, w), 255, dtype=np.uint8)
    x0, y0, x1, y1 = thresholds.osd_region.box_xyxy(w, h)
    mask[y0:y1, x0:x1] = 0
    hist = np.stack([
        np.asarray(cv2.calcHist([image], [0], mask, [256], [0, 256]), dtype=np.float64).reshape(-1)
        for image in grey])
    return WindowViews(window=window, small=small, grey=grey, content_mask=mask, grey_hist=hist)
