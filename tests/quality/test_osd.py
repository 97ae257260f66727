"""OSD clock: the parser's forms, the real PP-OCR model reading a rendered clock, drift signs."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from vidgov.errors import ConfigurationError
from vidgov.quality import QualityFault, QualityThresholds, diagnose
from vidgov.quality.checks.clock import check_clock_drift, read_clock_drift
from vidgov.quality.models import FrameWindow
from vidgov.quality.osd import OsdReading, RapidOcrClockReader, parse_osd_datetime
from vidgov.simulate.pictures import DEFAULT_WALL_CLOCK, Condition, clock_offset_s, make_window

BEIJING = timedelta(hours=8)
SHOWN = datetime(2024, 5, 17, 14, 32, 7)


@pytest.mark.parametrize("text", [
    "2024年05月17日 星期五 14:32:07",
    "2024年5月17日 周五 14:32:07",
    "2024-05-17 14:32:07",
    "2024/05/17 Fri 14:32:07",
    "2024.05.17 14:32:07",
    "２０２４年０５月１７日　星期五　１４：３２：０７",  # full-width, as some encoders write it
    "2024-05-1714:32:07",  # OCR dropped the space
    "CAM-07 2024-05-17 14:32:07 南宁市青秀区",
])
def test_parses_the_forms_cameras_write(text: str) -> None:
    parsed = parse_osd_datetime(text)
    assert parsed is not None
    assert parsed.replace(tzinfo=None) == SHOWN
    assert parsed.utcoffset() == BEIJING


@pytest.mark.parametrize("text", [
    "2024-13-17 14:32:07",  # no 13th month
    "2024-05-17",  # a date without a time
    "14:32:07",  # a time without a date
    "2024-05-17714:32:077",  # a misread line must not become a wrong time
    "",
])
def test_refuses_what_is_not_a_whole_date_time(text: str) -> None:
    assert parse_osd_datetime(text) is None


def test_the_camera_time_zone_is_configurable() -> None:
    parsed = parse_osd_datetime("2024-05-17 14:32:07", utc_offset=timedelta(0))
    assert parsed == datetime(2024, 5, 17, 14, 32, 7, tzinfo=UTC)


@pytest.mark.parametrize("size_wh", [(640, 360), (1280, 720)])
def test_reads_a_rendered_clock_line(clock_reader: RapidOcrClockReader,
                                     size_wh: tuple[int, int]) -> None:
    wall = DEFAULT_WALL_CLOCK + timedelta(hours=3, minutes=17, seconds=41)
    frame = make_window(Condition.NORMAL, 5, size_wh, frames=1, wall_clock=wall).frames[0]
    reading = clock_reader.read(frame)
    assert reading is not None
    assert reading.shown_at == wall.replace(microsecond=0)
    assert reading.score > 0.8


def _seed_with_sign(sign: int) -> int:
    return next(s for s in range(100) if np.sign(clock_offset_s(Condition.CLOCK_DRIFT, s)) == sign)


@pytest.mark.parametrize("sign", [1, -1], ids=["ahead", "behind"])
def test_drift_sign_and_size(clock_reader: RapidOcrClockReader, sign: int) -> None:
    seed = _seed_with_sign(sign)
    offset = clock_offset_s(Condition.CLOCK_DRIFT, seed)
    window = make_window(Condition.CLOCK_DRIFT, seed, (640, 360), frames=4, fps=4.0)
    reading = clock_reader.read(window.frames[2])
    expected = DEFAULT_WALL_CLOCK + timedelta(seconds=float(window.timestamps_s[2]))
    found = check_clock_drift(reading, expected, 2, QualityThresholds())
    assert found is not None
    assert found.code is QualityFault.CLOCK_DRIFT
    assert np.sign(found.measured) == sign
    assert abs(found.measured - offset) <= 1.0  # the OSD shows whole seconds


def test_a_correct_clock_is_no_fault(clock_reader: RapidOcrClockReader) -> None:
    window = make_window(Condition.NORMAL, 2, (640, 360), frames=4, fps=4.0)
    assert diagnose(window, QualityThresholds(), DEFAULT_WALL_CLOCK, clock_reader) == []
    late = DEFAULT_WALL_CLOCK + timedelta(minutes=5)  # the probe's clock says 5 min later
    [found] = diagnose(window, QualityThresholds(), late, clock_reader)
    assert found.code is QualityFault.CLOCK_DRIFT
    assert -301.0 <= found.measured <= -299.0


class ScriptedClock:
    """A clock reader that shows the given offsets from the true time, one per read."""

    def __init__(self, window_start: datetime, offsets_s: list[float], fps: float) -> None:
        self.start, self.offsets, self.fps, self.reads = window_start, list(offsets_s), fps, 0

    def read(self, frame: np.ndarray, /) -> OsdReading | None:
        index = int(frame[0, 0, 0])  # the test marks each frame with its index
        self.reads += 1
        shown = self.start + timedelta(seconds=index / self.fps + self.offsets.pop(0))
        return OsdReading(text=shown.isoformat(), shown_at=shown, score=1.0)


@pytest.mark.parametrize(("offsets", "reads", "drift"), [
    ([0.0], 1, None),  # a correct clock costs one read
    ([600.0, 600.4], 2, 600.0),  # a drift is confirmed on a second frame
    ([-36000.0, 0.0], 2, None),  # one misread digit is not a drift of ten hours
])
def test_a_drift_is_confirmed_on_a_second_frame(offsets: list[float], reads: int,
                                                drift: float | None) -> None:
    frames = np.zeros((4, 64, 64, 3), np.uint8)
    frames[:, 0, 0, 0] = np.arange(4)
    window = FrameWindow.at_fps(frames, fps=4.0)
    clock = ScriptedClock(DEFAULT_WALL_CLOCK, offsets, fps=4.0)
    found = read_clock_drift(window, clock, DEFAULT_WALL_CLOCK, QualityThresholds())
    assert clock.reads == reads
    assert (found.measured if found else None) == drift


def test_no_clock_on_the_screen_reads_as_none(clock_reader: RapidOcrClockReader) -> None:
    blank = make_window(Condition.NO_SIGNAL, 0, (640, 360), frames=1)  # even seed: no OSD
    assert clock_reader.read(blank.frames[0]) is None
    assert check_clock_drift(None, DEFAULT_WALL_CLOCK, 0, QualityThresholds()) is None


def test_the_crop_is_the_osd_region_shrunk() -> None:
    reader = RapidOcrClockReader(max_crop_width_px=480)
    crop = reader.crop(np.zeros((1080, 1920, 3), np.uint8))
    assert crop.shape == (54, 480, 3)  # 0.6 × 1920 = 1152 px wide, 0.12 × 1080 = 130 px high


def test_nothing_heavy_happens_at_import() -> None:
    code = ("import sys, vidgov.quality, vidgov.quality.osd; "
            "from vidgov.quality.osd import RapidOcrClockReader; RapidOcrClockReader(); "
            "print(sorted(m for m in ('rapidocr.main', 'onnxruntime') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_a_missing_ocr_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wiring only: pretend rapidocr is not installed."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "rapidocr" else real(name, *a))
    with pytest.raises(ConfigurationError, match="pip install rapidocr onnxruntime"):
        RapidOcrClockReader()
