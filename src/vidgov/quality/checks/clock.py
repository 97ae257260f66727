"""OSD clock drift: the time a camera burns into its picture against the wall clock.

Why it matters: footage is evidence, and a camera whose clock is minutes off puts an incident at
the wrong time; GB/T 28181 devices are meant to follow the platform's time. The OCR read that
produces the reading is separate (``vidgov.quality.osd``) because it costs tens of
milliseconds; this check is the cheap pure comparison.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from vidgov.quality.models import Diagnosis, FrameWindow, QualityFault
from vidgov.quality.osd import ClockReader, OsdReading
from vidgov.quality.thresholds import QualityThresholds

#: Two reads of one clock agree when their drifts differ by at most this: the OSD shows whole
#: seconds, so a correct read of a steady clock wobbles by up to one second.
AGREEMENT_S: Final = 1.5


def clock_drift_s(reading: OsdReading, expected: datetime) -> float:
    """Seconds the OSD clock is ahead of ``expected`` (negative: behind)."""
    return (reading.shown_at - expected).total_seconds()


def check_clock_drift(reading: OsdReading | None, expected: datetime, frame_index: int,
                      thresholds: QualityThresholds) -> Diagnosis | None:
    """``expected``: the wall-clock time (tz-aware) at which the read frame was captured.

    An unreadable clock (None) is no evidence of drift, so it gives no diagnosis.
    """
    if reading is None:
        return None
    drift = clock_drift_s(reading, expected)
    if abs(drift) <= thresholds.clock_drift_s:
        return None
    return Diagnosis(code=QualityFault.CLOCK_DRIFT, measured=drift,
                     threshold=thresholds.clock_drift_s, frame_index=frame_index)


def read_clock_drift(window: FrameWindow, clock: ClockReader, now: datetime,
                     thresholds: QualityThresholds) -> Diagnosis | None:
    """Read the middle frame's clock; confirm a drift on the last (or first) frame.

    ``now``: the wall-clock time (tz-aware) of the window's first frame. Why confirm: an OCR
    misread of one digit is a drift of hours, and misreads depend on the pixels around the
    glyphs, so a second frame rarely repeats one; a correct clock costs one read, a drifting
    one two. A one-frame window cannot be confirmed and is taken as read.
    """
    def expected(index: int) -> datetime:
        elapsed = float(window.timestamps_s[index] - window.timestamps_s[0])
        return now + timedelta(seconds=elapsed)

    first = len(window) // 2
    found = check_clock_drift(clock.read(window.frame_bgr(first)), expected(first), first,
                              thresholds)
    if found is None or len(window) == 1:
        return found
    other = len(window) - 1 if first != len(window) - 1 else 0
    again = clock.read(window.frame_bgr(other))
    if again is None or abs(clock_drift_s(again, expected(other)) - found.measured) > AGREEMENT_S:
        return None
    return found
