"""The values diagnosis passes around: a window of decoded frames in, diagnoses out.

Why validated types rather than bare arrays and dicts: a probe decodes frames on one machine and
diagnoses them on another (a Ray task), and the maintenance desk reads the result months later.
A window with a wrong dtype or timestamps out of order, or a diagnosis whose measured value does
not actually cross its threshold, must fail where it is built, with a message that gives the
expected and the actual value, not somewhere downstream as a wrong work order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final, Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from vidgov.errors import InvalidInput

Frames = npt.NDArray[np.uint8]
Seconds = npt.NDArray[np.float64]

#: Smallest frame side we diagnose: below this the measures have too few pixels to mean anything.
MIN_SIDE_PX: Final = 32


class InvalidFrames(InvalidInput, ValueError):
    """Frames or timestamps that cannot be diagnosed (shape, dtype, order)."""


class QualityFault(StrEnum):
    """The picture faults a probe can diagnose; the values are stored in work orders."""

    NO_SIGNAL = "no_signal"
    FROZEN = "frozen"
    BLUR = "blur"
    OCCLUSION = "occlusion"
    COLOUR_CAST = "colour_cast"
    NOISE = "noise"
    OVEREXPOSED = "overexposed"
    UNDEREXPOSED = "underexposed"
    JITTER = "jitter"
    CLOCK_DRIFT = "clock_drift"


Limit = Literal["max", "min", "abs_max"]


@dataclass(frozen=True)
class FaultInfo:
    """How one fault is described to people and which side of its threshold is a fault."""

    name_zh: str
    name_en: str
    measure_zh: str
    measure_en: str
    unit: str
    limit: Limit  # max: faulty above; min: faulty below; abs_max: faulty when |value| above


FAULT_INFO: Final[Mapping[QualityFault, FaultInfo]] = MappingProxyType({
    QualityFault.NO_SIGNAL: FaultInfo(
        "无信号", "no signal", "均匀画面占比", "uniform share of the picture", "fraction", "max"),
    QualityFault.FROZEN: FaultInfo(
        "画面冻结", "frozen picture", "帧间最大变化", "largest change between frames",
        "grey levels", "min"),
    QualityFault.BLUR: FaultInfo(
        "画面模糊", "blurred picture", "清晰度", "sharpness", "edge/contrast ratio", "min"),
    QualityFault.OCCLUSION: FaultInfo(
        "画面遮挡", "occluded view", "最大平坦区域占比", "largest flat region", "fraction", "max"),
    QualityFault.COLOUR_CAST: FaultInfo(
        "偏色", "colour cast", "偏色因子", "cast factor", "ratio", "max"),
    QualityFault.NOISE: FaultInfo(
        "噪声/雪花", "noise or snow", "噪声标准差", "noise sigma", "grey levels", "max"),
    QualityFault.OVEREXPOSED: FaultInfo(
        "画面过亮", "overexposed", "过曝像素占比", "clipped-white share", "fraction", "max"),
    QualityFault.UNDEREXPOSED: FaultInfo(
        "画面过暗", "underexposed", "平均亮度", "mean brightness", "grey levels", "min"),
    QualityFault.JITTER: FaultInfo(
        "画面抖动", "shaking picture", "帧间抖动", "frame-to-frame shake", "% of width",
        "max"),
    QualityFault.CLOCK_DRIFT: FaultInfo(
        "OSD时钟偏差", "OSD clock drift", "时钟偏差", "clock offset", "s", "abs_max"),
})


#: Limited ("video", 16-235) range luma and chroma to full range, and back: the decoder's YUV
#: is usually limited range, while grey levels and BGR here are full range (0-255) as OpenCV's
#: BGR-to-grey makes them, which is what the thresholds are set in.
_LEVELS = np.arange(256, dtype=np.float64)
LUMA_TO_FULL: Final = np.clip(np.round((_LEVELS - 16) * 255 / 219), 0, 255).astype(np.uint8)
CHROMA_TO_FULL: Final = np.clip(np.round((_LEVELS - 128) * 255 / 224 + 128), 0, 255
                                ).astype(np.uint8)
_LUMA_TO_LIMITED = np.round(16 + _LEVELS * 219 / 255).astype(np.uint8)
_CHROMA_TO_LIMITED = np.round(128 + (_LEVELS - 128) * 224 / 255).astype(np.uint8)


class FrameWindow:
    """A short run of decoded frames from one camera, the unit every check looks at.

    Two layouts, one window: BGR frames (``FrameWindow(frames, timestamps_s)``, N×H×W×3 uint8,
    what OpenCV and the simulator make), or the decoder's own planar YUV 4:2:0
    (:meth:`from_i420`). Why the second: a probe's decoder gives YUV, the checks mostly need
    grey (which is its Y plane) and colour only small, so converting every frame to BGR first
    cost more than the checks that used it. ``frames`` still gives BGR for either layout (an
    I420 window converts once, on first use); :meth:`frame_bgr` converts one frame.
    ``timestamps_s``: N capture times in seconds on any monotonic origin (stream PTS), strictly
    increasing. The window holds read-only views, so no check can alter the caller's pixels.
    """

    __slots__ = ("_bgr", "_full_range", "_i420", "_timestamps")

    def __init__(self, frames: Frames, timestamps_s: Seconds) -> None:
        frames = np.asarray(frames)
        if frames.ndim != 4 or frames.shape[-1] != 3:
            raise InvalidFrames(
                f"frames must be N×H×W×3 (BGR), got shape {frames.shape}")
        self._bgr: Frames | None = _read_only(_checked_pixels(frames, *frames.shape[:3]))
        self._i420: Frames | None = None
        self._full_range = True
        self._timestamps = _checked_stamps(timestamps_s, frames.shape[0])

    @classmethod
    def from_i420(cls, planes: Frames, timestamps_s: Seconds, *,
                  full_range: bool) -> FrameWindow:
        """A window of planar YUV 4:2:0 frames, N×(3H/2)×W uint8 as FFmpeg and OpenCV lay
        them out (Y, then U, then V; H and W even). ``full_range``: levels 0-255 (a JPEG-range
        ``yuvj420p`` stream) rather than the video range 16-235."""
        planes = np.asarray(planes)
        if planes.ndim != 3 or planes.shape[1] % 3 or planes.shape[2] % 2:
            raise InvalidFrames(f"I420 planes must be N×(3H/2)×W with H and W even, got shape "
                                f"{planes.shape}")
        n, rows, w = planes.shape
        window = cls.__new__(cls)
        window._bgr = None
        window._i420 = _read_only(_checked_pixels(planes, n, rows * 2 // 3, w))
        window._full_range = full_range
        window._timestamps = _checked_stamps(timestamps_s, n)
        return window

    @classmethod
    def at_fps(cls, frames: Frames, fps: float, start_s: float = 0.0) -> FrameWindow:
        """BGR frames sampled at a steady rate (the simulator, a probe that did not keep PTS)."""
        return cls(frames, steady_timestamps(len(frames), fps, start_s))

    @property
    def timestamps_s(self) -> Seconds:
        return self._timestamps

    @property
    def i420(self) -> Frames | None:
        """The planar YUV 4:2:0 frames of a window made by :meth:`from_i420`, else None."""
        return self._i420

    @property
    def full_range(self) -> bool:
        """Whether :attr:`i420` uses levels 0-255 (BGR frames always do)."""
        return self._full_range

    @property
    def frames(self) -> Frames:
        """N×H×W×3 BGR."""
        if self._bgr is None:
            self._bgr = _read_only(np.stack([self.frame_bgr(i) for i in range(len(self))]))
        return self._bgr

    def frame_bgr(self, index: int) -> Frames:
        """Frame ``index`` as H×W×3 BGR (an I420 frame is converted, the others untouched)."""
        if self._bgr is not None or self._i420 is None:
            return np.asarray(self.frames[index], dtype=np.uint8)
        planes = self._i420[index]
        if self._full_range:  # OpenCV converts the video range: map levels into it first
            h = planes.shape[0] * 2 // 3
            planes = np.concatenate([cv2.LUT(planes[:h], _LUMA_TO_LIMITED),
                                     cv2.LUT(planes[h:], _CHROMA_TO_LIMITED)])
        return np.asarray(cv2.cvtColor(planes, cv2.COLOR_YUV2BGR_I420), dtype=np.uint8)

    @property
    def size_wh(self) -> tuple[int, int]:
        """Frame width and height in pixels."""
        if self._i420 is not None:
            return int(self._i420.shape[2]), int(self._i420.shape[1] * 2 // 3)
        assert self._bgr is not None
        return int(self._bgr.shape[2]), int(self._bgr.shape[1])

    def __len__(self) -> int:
        return len(self._timestamps)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Unpickling (a Ray worker) validates again, so the frames arrive read-only too."""
        if self._i420 is not None:
            return (_i420_window, (self._i420, self._timestamps, self._full_range))
        return (FrameWindow, (self.frames, self._timestamps))


def _i420_window(planes: Frames, timestamps_s: Seconds, full_range: bool) -> FrameWindow:
    return FrameWindow.from_i420(planes, timestamps_s, full_range=full_range)


def steady_timestamps(count: int, fps: float, start_s: float = 0.0) -> Seconds:
    """``count`` capture times at a steady ``fps`` from ``start_s``."""
    if not (math.isfinite(fps) and fps > 0):
        raise InvalidFrames(f"fps must be a positive number, got {fps}")
    return start_s + np.arange(count, dtype=np.float64) / fps


def _checked_pixels(pixels: npt.NDArray[Any], n: int, h: int, w: int) -> Frames:
    if pixels.dtype != np.uint8:
        raise InvalidFrames(f"frames must be uint8, got {pixels.dtype}")
    if n < 1:
        raise InvalidFrames("frames must hold at least 1 frame, got 0")
    if min(h, w) < MIN_SIDE_PX:
        raise InvalidFrames(f"frames must be at least {MIN_SIDE_PX}×{MIN_SIDE_PX} px, "
                            f"got {w}×{h}")
    return pixels


def _checked_stamps(timestamps_s: Seconds, n: int) -> Seconds:
    stamps = np.asarray(timestamps_s, dtype=np.float64)
    if stamps.shape != (n,):
        raise InvalidFrames(
            f"timestamps_s must have one value per frame ({n},), got shape {stamps.shape}")
    if not np.all(np.isfinite(stamps)):
        raise InvalidFrames("timestamps_s must be finite, got NaN or infinity")
    if n > 1 and not np.all(np.diff(stamps) > 0):
        raise InvalidFrames(
            f"timestamps_s must be strictly increasing, got {stamps.tolist()}")
    return _read_only(stamps.copy())


def _read_only(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    view = array.view()
    view.flags.writeable = False
    return view


_DERIVED: Final = frozenset({"unit", "description_zh", "description_en"})


class Diagnosis(BaseModel):
    """One fault found in one window, with the number that proves it.

    ``measured`` and ``threshold`` are in ``unit``; ``frame_index`` points at the evidence frame
    in the window, and ``snapshot_jpeg`` holds that frame downscaled, for the work order.
    It round-trips through JSON (the snapshot as base64; the derived unit and descriptions are
    written out for readers and dropped when read back).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_bytes="base64",
                              val_json_bytes="base64")

    code: QualityFault
    measured: float = Field(description="The measured value that crossed the threshold.")
    threshold: float = Field(description="The configured threshold it was compared with.")
    frame_index: int = Field(ge=0, description="Index of the evidence frame in the window.")
    snapshot_jpeg: bytes | None = Field(
        default=None, repr=False, description="The evidence frame, downscaled, as JPEG.")

    @model_validator(mode="before")
    @classmethod
    def _drop_derived(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k not in _DERIVED}
        return data

    @model_validator(mode="after")
    def _crosses_threshold(self) -> Diagnosis:
        if not (math.isfinite(self.measured) and math.isfinite(self.threshold)):
            raise ValueError(f"measured and threshold must be finite, got {self.measured} "
                             f"and {self.threshold}")
        limit = FAULT_INFO[self.code].limit
        crossed = {
            "max": self.measured > self.threshold,
            "min": self.measured < self.threshold,
            "abs_max": abs(self.measured) > self.threshold,
        }[limit]
        if not crossed:
            side = "below" if limit == "min" else "above"
            raise ValueError(f"{self.code} needs a measured value {side} its threshold "
                             f"{self.threshold}, got {self.measured}")
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unit(self) -> str:
        return FAULT_INFO[self.code].unit

    @computed_field  # type: ignore[prop-decorator]
    @property
    def description_zh(self) -> str:
        info = FAULT_INFO[self.code]
        side = "低于" if info.limit == "min" else "超过"
        return (f"{info.name_zh}：{info.measure_zh} {self.measured:.4g}（{info.unit}）"
                f"{side}阈值 {self.threshold:.4g}，见第 {self.frame_index} 帧")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def description_en(self) -> str:
        info = FAULT_INFO[self.code]
        side = "below" if info.limit == "min" else "above"
        return (f"{info.name_en}: {info.measure_en} {self.measured:.4g} {info.unit} "
                f"{side} the threshold {self.threshold:.4g} (frame {self.frame_index})")
