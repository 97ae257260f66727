"""The derived images every check shares, computed once per window.

Why a separate stage: ten checks each converting and downscaling a 1080p frame would cost ten
times the 1-2 ms that one conversion costs, and diagnosis has 5 ms per frame per core. So a
window is *prepared* once (halved to the analysis width, grey, grey histogram outside the OSD)
and each check is a pure function of these views and the thresholds. A window of the decoder's
YUV (``FrameWindow.from_i420``) is prepared without ever making a BGR frame: grey is its Y plane
(mapped to full range), colour comes from its U and V planes, already half the size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from vidgov.quality.models import CHROMA_TO_FULL, LUMA_TO_FULL, FrameWindow
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

    ``grey``: N×h×w analysis images (full-range grey levels); ``measured``: the indices of the
    M frames the per-frame measures look at (see ``QualityThresholds.measured_frames``),
    ascending; ``grey_hist``: M×256 pixel counts of those frames' ``grey`` outside the OSD;
    ``window``: the original frames (noise is measured at native resolution);
    ``osd_box_xyxy``: the OSD region on the analysis images (pixels, exclusive end);
    ``small``: N×h×w×3 BGR analysis images of a BGR window (None for an I420 one).
    Smaller copies of ``grey`` come from :meth:`grey_at_most`, each made once a window, and
    small colour images from :meth:`colour_at_most`.
    """

    window: FrameWindow
    small: Image | None
    grey: Image
    measured: tuple[int, ...]
    grey_hist: Floats
    osd_box_xyxy: tuple[int, int, int, int]
    _pyramid: list[Image] = field(default_factory=list, repr=False)

    def grey_at_most(self, max_width_px: int) -> Image:
        """``grey`` halved until at most ``max_width_px`` wide (N×h×w), as :func:`shrink_to`
        would make it frame by frame. Checks that look at coarse structure (motion between
        frames) share the halvings: each level is made once, from the one above it."""
        if not self._pyramid:
            self._pyramid.append(self.grey)
        while (level := self._pyramid[-1]).shape[2] > max_width_px:
            n, h, w = level.shape
            if h % 2 == 0:  # row pairs never straddle two frames: one call for them all
                self._pyramid.append(halve(level.reshape(n * h, w)).reshape(n, h // 2, w // 2))
            else:
                self._pyramid.append(np.stack([halve(frame) for frame in level]))
        return next(level for level in self._pyramid if level.shape[2] <= max_width_px)

    def colour_at_most(self, index: int, max_width_px: int) -> Image:
        """Frame ``index`` in BGR, halved at least once below the analysis image and then until
        at most ``max_width_px`` wide (colour is smooth: a cast belongs to the whole picture).

        An I420 window's chroma planes are half its size already; its luma at their size is
        a level of the grey pyramid, so only the small image is ever converted to BGR.
        """
        planes = self.window.i420
        if planes is None:
            assert self.small is not None
            return shrink_to(halve(self.small[index]), max_width_px)
        h, w = planes.shape[1] * 2 // 3, planes.shape[2]
        limit = min(max_width_px, self.grey.shape[2] // 2)
        cr, cb = (shrink_to(plane.reshape(h // 2, w // 2), limit)  # V, then U
                  for plane in (planes[index, h + h // 4:], planes[index, h: h + h // 4]))
        if not self.window.full_range:
            cr, cb = (np.asarray(cv2.LUT(c, CHROMA_TO_FULL), dtype=np.uint8) for c in (cr, cb))
        luma = self.grey_at_most(cr.shape[1])[index]
        ycrcb = cv2.merge([luma, cr, cb])
        return np.asarray(cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2BGR), dtype=np.uint8)

    def native_grey(self, index: int, boxes_xyxy: list[tuple[int, int, int, int]]) -> Image:
        """The regions ``boxes_xyxy`` of frame ``index`` at native resolution, grey, stacked
        top to bottom in one image (all boxes the same width): what a measure that a
        downscale would spoil (noise) looks at, converted alone."""
        planes = self.window.i420
        source = self.window.frames[index] if planes is None else planes[index]
        column = np.concatenate([source[y0:y1, x0:x1] for x0, y0, x1, y1 in boxes_xyxy])
        if planes is None:
            return np.asarray(cv2.cvtColor(column, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
        return column if self.window.full_range else np.asarray(cv2.LUT(column, LUMA_TO_FULL))

    @property
    def size_wh(self) -> tuple[int, int]:
        """Analysis image width and height in pixels."""
        return int(self.grey.shape[2]), int(self.grey.shape[1])

    def percentile(self, fraction: float) -> Floats:
        """Per measured frame, the grey level below which ``fraction`` of the (non-OSD) pixels
        lie, shape M."""
        return hist_percentile(self.grey_hist, fraction)

    def median_measured(self, values: Floats) -> tuple[float, int]:
        """:func:`median_frame` over per-measured-frame ``values`` (shape M), with the index of
        the frame that shows it in the window."""
        value, index = median_frame(values)
        return value, self.measured[index]


def measured_frames(count: int, most: int) -> tuple[int, ...]:
    """At most ``most`` frame indices spread evenly over ``count`` frames, first and last
    included (one: the middle frame). Why a sample: the per-frame measures are a median, and
    a camera's blur, colour or exposure does not change within a second, so three frames
    vote as well as ten for a third of the cost; motion is measured on every frame."""
    if most == 1 or count == 1:
        return ((count - 1) // 2,)
    return tuple(sorted({int(i) for i in np.linspace(0, count - 1, min(most, count)).round()}))


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
    small: Image | None = None
    planes = window.i420
    if planes is None:
        frames = window.frames
        small = frames  # already narrow enough: a read-only view, no copy
        if frames.shape[2] > thresholds.analysis_max_width_px:
            small = np.stack([shrink_to(frame, thresholds.analysis_max_width_px)
                              for frame in frames])
        grey: Image = np.empty(small.shape[:3], dtype=np.uint8)
        for image, out in zip(small, grey, strict=True):
            cv2.cvtColor(image, cv2.COLOR_BGR2GRAY, dst=out)
    else:
        luma = [shrink_to(y, thresholds.analysis_max_width_px)
                for y in planes[:, : planes.shape[1] * 2 // 3]]
        if window.full_range:
            grey = np.stack(luma)
        else:  # mapped straight into the stack: no copy of the video-range planes
            grey = np.empty((len(luma), *luma[0].shape), dtype=np.uint8)
            for y, out in zip(luma, grey, strict=True):
                cv2.LUT(y, LUMA_TO_FULL, dst=out)
    n, h, w = grey.shape
    box = thresholds.osd_region.box_xyxy(w, h)
    measured = measured_frames(n, thresholds.measured_frames)
    hist = np.stack([hist_outside(grey[i], box) for i in measured])
    return WindowViews(window=window, small=small, grey=grey,
                       measured=measured, grey_hist=hist, osd_box_xyxy=box)


#: Histograms count every ``HIST_ROW_STEP``-th row. The measures taken from them are shares
#: and percentiles of a picture's levels, which every other row gives to a fraction of a
#: grey level (the rows of a scene are not independent samples: neighbours look alike), for
#: half of the histograms' cost, which was a fifth of the whole diagnosis.
HIST_ROW_STEP = 2


def hist_outside(image: Image, box_xyxy: tuple[int, int, int, int]) -> Floats:
    """The 256-bin histogram of a uint8 image outside a box: the whole image's less the box's,
    over every :data:`HIST_ROW_STEP`-th row.

    The same counts as ``calcHist`` under a mask, for two thirds of its time: OpenCV's masked
    histogram tests the mask at every pixel, the unmasked one runs a tight loop.
    """
    x0, y0, x1, y1 = box_xyxy
    step = HIST_ROW_STEP
    whole = cv2.calcHist([np.ascontiguousarray(image[::step])], [0], None, [256], [0, 256])
    first = -(-y0 // step) * step  # the box's first counted row
    if x1 > x0 and y1 > first:
        box = np.ascontiguousarray(image[first:y1:step, x0:x1])
        whole = whole - cv2.calcHist([box], [0], None, [256], [0, 256])
    return np.asarray(whole, dtype=np.float64).reshape(-1)
