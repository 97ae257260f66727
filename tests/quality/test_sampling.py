"""Which frames the per-frame measures look at (``QualityThresholds.measured_frames``).

A window is diagnosed by what most of its measured frames show, and the evidence named is a
frame of the window itself, whichever subset was measured.
"""

from __future__ import annotations

import numpy as np
import pytest

from vidgov.quality import FrameWindow, QualityFault, QualityThresholds
from vidgov.quality.checks import PICTURE_CHECKS, prepare
from vidgov.quality.checks.views import measured_frames
from vidgov.simulate.pictures import Condition, make_window


@pytest.mark.parametrize(("count", "most", "expected"), [
    (5, 3, (0, 2, 4)),
    (4, 3, (0, 2, 3)),
    (10, 3, (0, 4, 9)),
    (2, 3, (0, 1)),
    (3, 5, (0, 1, 2)),
    (1, 3, (0,)),
    (5, 1, (2,)),
])
def test_measured_frames_spread_over_the_window(count: int, most: int,
                                                expected: tuple[int, ...]) -> None:
    assert measured_frames(count, most) == expected


def _with_black(black: set[int]) -> FrameWindow:
    """A healthy five-frame window with the frames at ``black`` replaced by blank ones."""
    normal = make_window(Condition.NORMAL, 0, (320, 180), frames=5)
    blank = make_window(Condition.NO_SIGNAL, 0, (320, 180), frames=5)
    frames = np.stack([blank.frames[i] if i in black else normal.frames[i] for i in range(5)])
    return FrameWindow(frames, normal.timestamps_s)


@pytest.mark.parametrize(("black", "measured", "found"), [
    ({1, 2, 3}, 3, False),  # measured 0, 2, 4: two of three live
    ({1, 2, 3}, 5, True),  # every frame measured: three of five blank
    ({1, 2, 3}, 1, True),  # only the middle frame, which is blank
    ({2, 4}, 3, True),  # measured 0, 2, 4: two of three blank
    ({1, 3}, 3, False),  # the blank frames are not measured
])
def test_no_signal_goes_by_the_measured_frames(black: set[int], measured: int,
                                                found: bool) -> None:
    window = _with_black(black)
    limits = QualityThresholds(measured_frames=measured)
    diagnosis = PICTURE_CHECKS[QualityFault.NO_SIGNAL](prepare(window, limits), limits)
    assert (diagnosis is not None) is found
    if diagnosis is not None:
        assert diagnosis.frame_index in black  # evidence is a frame that shows the fault
