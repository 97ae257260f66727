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


@dataclass(frozen=True, eq=False)
class FrameWindow:
    """A short run of decoded frames from one camera, the unit every check looks at.

    ``frames``: N×H×W×3 uint8, BGR (what OpenCV and PyAV's ``bgr24`` give), N ≥ 1.
    ``timestamps_s``: N capture times in seconds on any monotonic origin (stream PTS), strictly
    increasing. The window holds a read-only view, so no check can alter the caller's pixels.
    """

    frames: Frames
    timestamps_s: Seconds

    def __post_init__(self) -> None:
        frames = np.asarray(self.frames)
        if frames.ndim != 4 or frames.shape[-1] != 3:
            raise InvalidFrames(
                f"frames must be N×H×W×3 (BGR), got shape {frames.shape}")
        if frames.dtype != np.uint8:
            raise InvalidFrames(f"frames must be uint8, got {frames.dtype}")
        n, h, w, _ = frames.shape
        if n < 1:
            raise InvalidFrames("frames must hold at least 1 frame, got 0")
        if min(h, w) < MIN_SIDE_PX:
            raise InvalidFrames(f"frames must be at least {MIN_SIDE_PX}×{MIN_SIDE_PX} px, "
                                f"got {w}×{h}")
        stamps = np.asarray(self.timestamps_s, dtype=np.float64)
        if stamps.shape != (n,):
            raise InvalidFrames(
                f"timestamps_s must have one value per frame ({n},), got shape {stamps.shape}")
        if not np.all(np.isfinite(stamps)):
            raise InvalidFrames("timestamps_s must be finite, got NaN or infinity")
        if n > 1 and not np.all(np.diff(stamps) > 0):
            raise InvalidFrames(
                f"timestamps_s must be strictly increasing, got {stamps.tolist()}")
        view = frames.view()
        view.flags.writeable = False
        stamps = stamps.copy()
        stamps.flags.writeable = False
        object.__setattr__(self, "frames", view)
        object.__setattr__(self, "timestamps_s", stamps)

    def __reduce__(self) -> tuple[type[FrameWindow], tuple[Frames, Seconds]]:
        """Unpickling (a Ray worker) validates again, so the frames arrive read-only too."""
        return (FrameWindow, (self.frames, self.timestamps_s))

    @classmethod
    def at_fps(cls, frames: Frames, fps: float, start_s: float = 0.0) -> FrameWindow:
        """Frames sampled at a steady rate (the simulator, a probe that did not keep PTS)."""
        if not (math.isfinite(fps) and fps > 0):
            raise InvalidFrames(f"fps must be a positive number, got {fps}")
        stamps = start_s + np.arange(np.asarray(frames).shape[0], dtype=np.float64) / fps
        return cls(frames, stamps)

    @property
    def size_wh(self) -> tuple[int, int]:
        """Frame width and height in pixels."""
        return int(self.frames.shape[2]), int(self.frames.shape[1])

    def __len__(self) -> int:
        return int(self.frames.shape[0])


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
