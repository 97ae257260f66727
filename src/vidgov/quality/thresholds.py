"""Every number diagnosis compares against, with what it means, its unit and a sane default.

Why one strict model: operators tune thresholds per estate (a harbour at night is darker than a
square at noon), and a typo in a key or a percentage written as 30 instead of 0.3 must be refused
with the key's name, not silently ignored. Defaults were set on the synthetic pictures of
``vidgov.simulate.pictures`` with a wide margin on both sides (the tests' confusion matrix) and
checked against real clips (a fixed plaza camera, compressed street footage) for false alarms;
they are a starting point for real cameras, not a calibration.

Measures are taken on an *analysis image*: each frame halved (exact 2×2 averages) until it is at
most ``analysis_max_width_px`` wide, so that 1080p and D1 cameras give comparable numbers and
diagnosis stays cheap. With the default 480 the analysis images are 320-480 pixels wide whatever
the camera sends (1080p 480, 720p and 640×360 320, D1 352); at 640 a 640×360 sub-stream was
measured at full size, at twice the cost of the rest of its diagnosis together (7.2 against
3.5 ms a 5-frame window, one core), and its confusion matrix over 30 seeds was no better (four
windows off the diagonal at 640, none at 480). Noise is the exception: it is measured on
native-resolution tiles, since averaging pixels averages noise away.
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: The OSD region is hidden from the picture checks, so it must leave them most of the picture.
MAX_OSD_AREA: Final = 0.25


class OsdRegion(BaseModel):
    """Where the camera burns its date-time line in, as fractions of the frame (0..1)."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    left: float = Field(default=0.0, ge=0.0, lt=1.0, description="Left edge, fraction of width.")
    top: float = Field(default=0.0, ge=0.0, lt=1.0, description="Top edge, fraction of height.")
    right: float = Field(default=0.6, gt=0.0, le=1.0,
                         description="Right edge, fraction of width.")
    bottom: float = Field(default=0.12, gt=0.0, le=1.0,
                          description="Bottom edge, fraction of height.")

    @model_validator(mode="after")
    def _ordered(self) -> OsdRegion:
        if not (self.left < self.right and self.top < self.bottom):
            raise ValueError(f"the OSD region needs left < right and top < bottom, got "
                             f"left={self.left}, right={self.right}, "
                             f"top={self.top}, bottom={self.bottom}")
        area = (self.right - self.left) * (self.bottom - self.top)
        if area > MAX_OSD_AREA:
            raise ValueError(f"the OSD region may cover at most {MAX_OSD_AREA:.0%} of the "
                             f"picture (the checks ignore it), got {area:.0%}")
        return self

    def box_xyxy(self, width_px: int, height_px: int) -> tuple[int, int, int, int]:
        """The region in pixels of a ``width_px``×``height_px`` image (x0, y0, x1, y1)."""
        return (int(self.left * width_px), int(self.top * height_px),
                max(round(self.right * width_px), 1),
                max(round(self.bottom * height_px), 1))


class QualityThresholds(BaseModel):
    """The thresholds of the ten checks, and the few settings that shape what they measure."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    analysis_max_width_px: int = Field(
        default=480, ge=64, le=4096,
        description="Frames are halved until at most this wide before measuring (pixels).")
    measured_frames: int = Field(
        default=3, ge=1, le=64,
        description="The per-frame measures (no signal, exposure, blur, occlusion, noise, "
                    "colour cast) are taken on at most this many frames spread evenly over the "
                    "window, and the median kept; frozen and jitter compare every frame "
                    "(frames).")
    osd_region: OsdRegion = Field(
        default_factory=OsdRegion,
        description="The burned-in clock: read for clock drift, ignored by the picture checks "
                    "(a ticking clock is not motion, crisp text is not sharpness).")

    no_signal_uniform_fraction: float = Field(
        default=0.9, gt=0.0, lt=1.0,
        description="A blank (black/blue/grey) screen: more than this share of the picture lies "
                    "within no_signal_tolerance_levels of its commonest grey level (fraction).")
    no_signal_tolerance_levels: int = Field(
        default=5, ge=1, le=64,
        description="How far from the commonest grey level a pixel still counts as blank "
                    "(grey levels, 0-255).")

    frozen_change_levels: float = Field(
        # An encoder refining a still picture moves a cell by up to ~0.45 levels (x264) and
        # ~0.7 (x265, measured on the simulated fleet); anything that moves, by tens.
        default=1.0, gt=0.0, le=50.0,
        description="Frozen when no cell of the picture (outside the OSD) changes by more than "
                    "this mean absolute difference between consecutive frames (grey levels).")

    blur_sharpness: float = Field(
        default=0.25, gt=0.0, le=4.0,
        description="Blurred below this sharpness: the 99th percentile of the absolute "
                    "Laplacian divided by the picture's grey-level spread (1st-99th percentile); "
                    "independent of exposure (ratio).")

    occlusion_fraction: float = Field(
        default=0.3, gt=0.0, lt=1.0,
        description="Occluded when the largest connected flat region covers more than this "
                    "share of the picture (fraction).")
    occlusion_grid_columns: int = Field(
        default=16, ge=4, le=64,
        description="The picture is cut into this many block columns (rows follow the aspect "
                    "ratio) to find flat regions.")
    occlusion_flat_std_levels: float = Field(
        default=3.5, gt=0.0, le=50.0,
        description="A block is flat when its grey-level standard deviation is below this "
                    "(grey levels, on the analysis image).")

    colour_cast_factor: float = Field(
        default=1.3, gt=0.0, le=20.0,
        description="Colour cast above this factor: the mean chroma offset from neutral grey "
                    "divided by the chroma spread (CIELAB a*b*, 'equivalent circle' method).")
    colour_cast_min_spread: float = Field(
        default=6.0, gt=0.0, le=50.0,
        description="Floor on the chroma spread, so that a nearly grey scene with a faint tint "
                    "is not a cast (CIELAB a*b* units).")

    noise_sigma_levels: float = Field(
        default=8.0, gt=0.0, le=128.0,
        description="Noisy above this noise standard deviation, estimated on the smoothest "
                    "native-resolution tiles (grey levels).")

    overexposed_fraction: float = Field(
        default=0.3, gt=0.0, lt=1.0,
        description="Overexposed when more than this share of the picture is at or above "
                    "overexposed_level (fraction).")
    overexposed_level: int = Field(
        default=245, ge=128, le=255,
        description="A pixel at or above this grey level is clipped white (grey levels).")
    underexposed_mean_levels: float = Field(
        default=45.0, gt=0.0, lt=255.0,
        description="Underexposed when the mean grey level is below this (grey levels).")

    jitter_shift_pct: float = Field(
        default=1.0, gt=0.0, le=50.0,
        description="Shaking when the frame-to-frame global shift, about its mean (a steady "
                    "pan is not shake), has an RMS above this (percent of frame width).")

    clock_drift_s: float = Field(
        default=30.0, gt=0.0,
        description="The OSD clock is wrong when it differs from the wall clock by more than "
                    "this (seconds).")

    snapshot_max_width_px: int = Field(
        default=320, ge=32, le=4096,
        description="Evidence snapshots are downscaled to at most this width (pixels).")
    snapshot_jpeg_quality: int = Field(
        default=80, ge=10, le=100, description="JPEG quality of evidence snapshots (10-100).")
