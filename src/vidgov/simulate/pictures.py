"""Synthetic camera pictures, healthy or with one known fault, for diagnosis and the RTSP fleet.

Why synthetic: real clips of each fault with a known truth do not exist in any package we may
use, and a test must know which fault it injected. The pictures imitate what a street camera
sends: a textured street scene (sky with clouds, buildings with windows, trees, asphalt with
lane markings), cars and pedestrians moving across it, sensor noise, and a burned-in OSD clock
line in the top-left corner. The clock is drawn with OpenCV's Hershey font in the ASCII form
``2024-05-17 14:32:07``: Hershey fonts have no Chinese glyphs and no pip package we use ships a
CJK font, so the Chinese form (``2024年05月17日 星期五 14:32:07``) is covered by parser tests.

Faults are applied where they happen in a camera: lens and sensor faults (blur, occlusion,
exposure, colour cast, noise) to the scene before the OSD is overlaid, so the clock text stays
crisp as it does on a real encoder; a frozen picture keeps its clock ticking on odd seeds, as
many encoders do. Everything is a pure function of its arguments: the same seed gives the same
pixels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt

from vidgov.quality.models import FrameWindow, InvalidFrames, QualityFault

Image = npt.NDArray[np.uint8]
FloatImage = npt.NDArray[np.float32]

#: The cameras burn in Beijing time, whatever the probe's clock zone.
OSD_TIMEZONE: Final = timezone(timedelta(hours=8))
#: A fixed default wall clock (tz-aware) so that make_window stays pure when none is given.
DEFAULT_WALL_CLOCK: Final = datetime(2024, 5, 17, 6, 32, 7, tzinfo=UTC)
SENSOR_NOISE_LEVELS: Final = 2.0


class Condition(StrEnum):
    """What a synthetic window shows: a healthy picture or exactly one fault."""

    NORMAL = "normal"
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

    @property
    def fault(self) -> QualityFault | None:
        """The fault diagnosis should find, None for a healthy picture."""
        return None if self is Condition.NORMAL else QualityFault(self.value)


def clock_offset_s(condition: Condition, seed: int) -> float:
    """How far the burned-in clock is from the wall clock (seconds; + = clock runs ahead)."""
    if condition is not Condition.CLOCK_DRIFT:
        return 0.0
    rng = np.random.default_rng([seed, 7])
    return float(rng.choice([-1, 1]) * round(rng.uniform(120.0, 6 * 3600.0)))


def make_window(condition: Condition | str, seed: int, size_wh: tuple[int, int] = (640, 360),
                frames: int = 4, fps: float = 4.0,
                wall_clock: datetime = DEFAULT_WALL_CLOCK) -> FrameWindow:
    """A window of ``frames`` BGR frames of ``size_wh`` (width, height) at ``fps``.

    ``wall_clock`` (tz-aware) is the true time of frame 0; the OSD shows it in Beijing time
    (plus ``clock_offset_s`` for a drifting clock), frame i at ``wall_clock + i / fps``. The
    street depends on the seed only, so one seed gives the same street healthy and faulty.
    """
    condition = Condition(condition)
    width, height = size_wh
    if wall_clock.tzinfo is None:
        raise InvalidFrames(f"wall_clock must be timezone-aware, got {wall_clock.isoformat()}")
    if frames < 1 or min(width, height) < 32:
        raise InvalidFrames(f"need ≥ 1 frame of ≥ 32×32 px, got {frames} of {width}×{height}")
    street_rng = np.random.default_rng([seed])  # one street per seed, healthy or not
    margin = math.ceil(0.05 * width)
    scene = _street(street_rng, width + 2 * margin, height + 2 * margin)
    movers = _movers(street_rng, width + 2 * margin, height + 2 * margin)
    rng = np.random.default_rng([seed, list(Condition).index(condition)])
    offsets = _shake(rng, frames, width) if condition is Condition.JITTER else np.zeros((frames, 2))
    stamps = np.arange(frames, dtype=np.float64) / fps
    fault = _fault_parameters(condition, rng, width, height)
    clock_offset = clock_offset_s(condition, seed)
    out = np.empty((frames, height, width, 3), dtype=np.uint8)
    for i, t in enumerate(stamps):
        shown_t = 0.0 if condition is Condition.FROZEN else t
        world = _draw_movers(scene, movers, shown_t)
        dx, dy = (round(v) for v in offsets[i])
        view = world[margin + dy: margin + dy + height, margin + dx: margin + dx + width]
        noise_rng = np.random.default_rng([seed, 1000 if condition is Condition.FROZEN else i])
        picture = _apply_fault(condition, fault, view, noise_rng)
        frozen_clock = condition is Condition.FROZEN and seed % 2 == 0
        osd_time = wall_clock + timedelta(seconds=clock_offset + (0.0 if frozen_clock else t))
        if not (condition is Condition.NO_SIGNAL and seed % 2 == 0):
            _draw_osd(picture, osd_time)
        out[i] = picture
    return FrameWindow(out, stamps)


def _street(rng: np.random.Generator, w: int, h: int) -> Image:
    """A static street: sky with clouds, buildings, trees, road with lane markings."""
    horizon = int(h * rng.uniform(0.34, 0.42))
    img = np.empty((h, w, 3), dtype=np.float32)
    t = np.linspace(0.0, 1.0, horizon, dtype=np.float32)[:, None, None]
    img[:horizon] = (np.array([200, 150, 105], np.float32) * (1 - t)
                     + np.array([225, 205, 185], np.float32) * t)
    clouds = cv2.resize(rng.normal(0, 1, (3, 6)).astype(np.float32), (w, horizon),
                        interpolation=cv2.INTER_CUBIC)
    img[:horizon] += 30.0 * np.clip(clouds - 0.2, 0, None)[..., None]
    grain = cv2.GaussianBlur(rng.normal(0, 9, (h - horizon, w)).astype(np.float32), (0, 0), 0.8)
    img[horizon:] = 92.0 + grain[..., None]
    frame = np.clip(img, 0, 255).astype(np.uint8)
    walk = int(horizon + 0.08 * h)
    cv2.rectangle(frame, (0, horizon), (w, walk), (150, 155, 160), -1)
    for x in range(0, w, max(w // 24, 4)):
        cv2.line(frame, (x, horizon), (x, walk), (120, 125, 130), 1)
    x = 0
    while x < w:
        bw = int(w * rng.uniform(0.08, 0.18))
        top = int(horizon - h * rng.uniform(0.12, 0.32))
        colour = tuple(int(c) for c in rng.choice(
            [(170, 180, 190), (120, 140, 170), (150, 150, 150), (90, 100, 150), (200, 200, 205)]))
        cv2.rectangle(frame, (x, top), (x + bw - 2, horizon), colour, -1)
        step = max(h // 40, 3)
        for wy in range(top + step, horizon - step, 2 * step):
            for wx in range(x + step, x + bw - 2 * step, 2 * step):
                lit = (60, 70, 80) if rng.random() < 0.7 else (150, 210, 230)
                cv2.rectangle(frame, (wx, wy), (wx + step - 1, wy + step - 1), lit, -1)
        x += bw
    for _ in range(int(rng.integers(3, 6))):
        cx, r = int(rng.uniform(0, w)), int(h * rng.uniform(0.05, 0.1))
        cv2.line(frame, (cx, horizon), (cx, horizon - r), (40, 60, 80), max(w // 200, 1))
        cv2.circle(frame, (cx, horizon - r), r, (50, 110, 60), -1)
        leaves = rng.normal(0, 18, (2 * r + 1, 2 * r + 1)).astype(np.float32)
        y0, x0 = max(horizon - 2 * r, 0), max(cx - r, 0)
        patch = frame[y0:horizon, x0:cx + r + 1].astype(np.float32)
        is_leaf = patch[..., 1] > patch[..., 0] + 30
        patch[is_leaf] += leaves[: patch.shape[0], : patch.shape[1]][is_leaf][:, None]
        frame[y0:horizon, x0:cx + r + 1] = np.clip(patch, 0, 255).astype(np.uint8)
    vanish = (w // 2, horizon)
    for lane in (-0.6, -0.2, 0.2, 0.6):
        for k in range(6):
            f0, f1 = 0.12 + k * 0.15, 0.19 + k * 0.15
            p0 = (int(vanish[0] + lane * w * f0), int(walk + (h - walk) * f0))
            p1 = (int(vanish[0] + lane * w * f1), int(walk + (h - walk) * f1))
            cv2.line(frame, p0, p1, (230, 230, 230), max(int(3 * f1 * w / 320), 1))
    return frame


Movers = npt.NDArray[np.float64]  # rows: x0, y, speed (px/s), width, height, b, g, r, kind


def _movers(rng: np.random.Generator, w: int, h: int) -> Movers:
    rows = []
    for _ in range(int(rng.integers(3, 6))):
        car = rng.random() < 0.6
        bw, bh = (w * rng.uniform(0.1, 0.16), h * rng.uniform(0.07, 0.1)) if car else (
            w * 0.015, h * rng.uniform(0.08, 0.11))
        y = h * (rng.uniform(0.62, 0.9) if car else rng.uniform(0.45, 0.52))
        speed = w * rng.uniform(0.08, 0.25) * rng.choice([-1, 1]) * (1 if car else 0.2)
        colour = rng.integers(20, 235, 3)
        rows.append([rng.uniform(0, w), y, speed, bw, bh, *colour, float(car)])
    return np.array(rows, dtype=np.float64)


def _draw_movers(scene: Image, movers: Movers, t: float) -> Image:
    world = scene.copy()
    w = scene.shape[1]
    for x0, y, speed, bw, bh, b, g, r, car in movers:
        x = (x0 + speed * t) % (w + bw) - bw
        p0, p1 = (int(x), int(y - bh)), (int(x + bw), int(y))
        cv2.rectangle(world, p0, p1, (int(b), int(g), int(r)), -1)
        if car:
            cv2.rectangle(world, (int(x + bw * 0.2), int(y - bh)),
                          (int(x + bw * 0.75), int(y - bh * 0.55)), (70, 60, 50), -1)
            for wx in (x + bw * 0.2, x + bw * 0.8):
                cv2.circle(world, (int(wx), int(y)), max(int(bh * 0.22), 1), (20, 20, 20), -1)
        else:
            cv2.circle(world, (int(x + bw / 2), int(y - bh)), max(int(bw * 0.6), 1),
                       (90, 120, 160), -1)
    return world


def _shake(rng: np.random.Generator, frames: int, width: int) -> npt.NDArray[np.float64]:
    """Per-frame camera offsets (px): back and forth, 2-4 % of the width, never a steady pan."""
    amplitude = width * rng.uniform(0.02, 0.04)
    signs = np.where(np.arange(frames) % 2 == 0, 1.0, -1.0) * rng.choice([-1, 1])
    return np.column_stack([signs * amplitude * rng.uniform(0.6, 1.0, frames),
                            -signs * amplitude * rng.uniform(0.2, 0.6, frames)])


@dataclass(frozen=True)
class _Fault:
    """The seed-drawn strength of a window's fault, drawn once per window."""

    sigma: float = 0.0  # blur sigma (px) or noise sigma (grey levels)
    snow: float = 0.0  # share of pixels hit by snow
    gain: tuple[float, float, float] = (1.0, 1.0, 1.0)  # B, G, R
    colour: tuple[float, float, float] = (0.0, 0.0, 0.0)  # BGR of an occluder or blank screen
    mask: FloatImage | None = None  # occluder alpha, H×W in 0..1
    shade: FloatImage | None = None  # occluder's soft shading, H×W grey levels


def _pick(rng: np.random.Generator, options: Sequence[tuple[float, float, float]]
          ) -> tuple[float, float, float]:
    return options[int(rng.integers(len(options)))]


def _fault_parameters(condition: Condition, rng: np.random.Generator, w: int, h: int) -> _Fault:
    c = Condition
    if condition is c.BLUR:
        return _Fault(sigma=w * rng.uniform(0.006, 0.01))
    if condition is c.OCCLUSION:
        colours = [(40, 90, 50), (150, 100, 50), (50, 70, 90), (125, 125, 120)]
        shade = cv2.resize(rng.normal(0, 4, (2, 3)).astype(np.float32), (w, h),
                           interpolation=cv2.INTER_CUBIC)
        return _Fault(mask=_occluder(rng, w, h), colour=_pick(rng, colours),
                      shade=np.asarray(shade, dtype=np.float32))
    if condition is c.COLOUR_CAST:
        return _Fault(gain=_pick(rng, [(0.55, 0.8, 1.35), (0.6, 1.3, 0.6), (1.5, 0.9, 0.5),
                                       (0.5, 1.1, 1.2), (1.25, 0.6, 1.25)]))
    if condition is c.NOISE:
        return _Fault(sigma=rng.uniform(22.0, 35.0), snow=rng.uniform(0.0, 0.04))
    if condition in (c.OVEREXPOSED, c.UNDEREXPOSED):
        gain = rng.uniform(2.7, 3.4) if condition is c.OVEREXPOSED else rng.uniform(0.12, 0.22)
        return _Fault(gain=(gain, gain, gain))
    if condition is c.NO_SIGNAL:
        return _Fault(colour=_pick(rng, [(12, 12, 12), (170, 40, 20)]))
    return _Fault()


def _occluder(rng: np.random.Generator, w: int, h: int) -> FloatImage:
    """A soft-edged blob (leaf, tarp, mud) covering 50-75 % of the view, as an alpha mask."""
    target = rng.uniform(0.5, 0.75)
    cx, cy = w * rng.uniform(0.3, 0.7), h * rng.uniform(0.35, 0.75)
    angle, ratio = rng.uniform(0, 180), rng.uniform(0.5, 0.9)
    mask = np.zeros((h, w), dtype=np.float32)
    for scale in np.linspace(0.2, 2.0, 60):
        mask[:] = 0
        axes = (int(w * scale / 2), int(w * scale * ratio / 2))
        cv2.ellipse(mask, (int(cx), int(cy)), axes, angle, 0, 360, 1.0, -1)
        if mask.mean() >= target:
            break
    return np.asarray(cv2.GaussianBlur(mask, (0, 0), 0.02 * w), dtype=np.float32)


def _apply_fault(condition: Condition, fault: _Fault, view: Image,
                 rng: np.random.Generator) -> Image:
    h, w = view.shape[:2]
    img = view.astype(np.float32)
    sensor = SENSOR_NOISE_LEVELS
    if condition is Condition.NO_SIGNAL:
        img[:] = np.array(fault.colour, dtype=np.float32)
        caption = np.zeros((h, w, 3), dtype=np.uint8)
        scale = h / 300
        cv2.putText(caption, "NO VIDEO", (int(w * 0.38), h // 2), cv2.FONT_HERSHEY_SIMPLEX,
                    scale, (255, 255, 255), max(int(scale * 2), 1), cv2.LINE_AA)
        img = np.maximum(img, caption.astype(np.float32))
        sensor = 0.5
    elif condition is Condition.BLUR:
        img = np.asarray(cv2.GaussianBlur(img, (0, 0), fault.sigma), dtype=np.float32)
    elif fault.mask is not None and fault.shade is not None:
        alpha = fault.mask[..., None]
        blob = np.array(fault.colour, dtype=np.float32) + fault.shade[..., None]
        img = img * (1 - alpha) + blob * alpha
    elif condition is Condition.NOISE:
        sensor = fault.sigma
    img *= np.array(fault.gain, dtype=np.float32)
    img += rng.normal(0, sensor, img.shape).astype(np.float32)
    if fault.snow > 0:
        snow = rng.random((h, w)) < fault.snow
        img[snow] = rng.choice([0.0, 255.0], size=(int(snow.sum()), 1))
    return np.clip(img, 0, 255).astype(np.uint8)


def _draw_osd(picture: Image, at: datetime) -> None:
    """The camera's date-time line, white with a dark drop shadow, about 1/24 of the height."""
    h, w = picture.shape[:2]
    text = at.astimezone(OSD_TIMEZONE).strftime("%Y-%m-%d %H:%M:%S")
    (_, unit_h), _ = cv2.getTextSize("0", cv2.FONT_HERSHEY_DUPLEX, 1.0, 1)
    scale = h / 24 / unit_h
    thickness = max(round(scale * 1.2), 1)
    org = (int(w * 0.02), int(h * 0.03 + h / 24))
    shadow = (org[0] + thickness, org[1] + thickness)
    cv2.putText(picture, text, shadow, cv2.FONT_HERSHEY_DUPLEX, scale, (0, 0, 0), thickness,
                cv2.LINE_AA)
    cv2.putText(picture, text, org, cv2.FONT_HERSHEY_DUPLEX, scale, (255, 255, 255), thickness,
                cv2.LINE_AA)
