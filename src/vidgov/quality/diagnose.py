"""Diagnose a window: run every check, keep only root causes, attach evidence snapshots.

Precedence (one root cause where faults overlap), as data in ``SUPPRESSES``:

1. ``no_signal`` hides everything: a blank screen says nothing about the picture or its clock.
   (A blank *white* screen is not "no signal" but a saturated sensor: ``overexposed``.)
2. ``overexposed`` hides frozen, occlusion, jitter, blur, noise and colour cast: a blown-out
   picture has lost the detail those measures need, and clipped pixels cannot show motion.
3. ``frozen`` hides everything below it: a stuck picture's measures describe a stale frame,
   and a stuck clock would read as drift.
4. ``underexposed`` hides occlusion, jitter, blur, noise and colour cast, as overexposure does
   (and gain noise is a consequence of the darkness).
5. ``occlusion`` hides blur, noise and colour cast: the blob dominates those measures.
6. ``jitter`` hides blur: a shaking camera smears its own picture.
7. ``blur``, ``noise``, ``colour_cast`` and ``clock_drift`` are independent and may co-occur.

A fault only ever hides faults below it, so the relation has no cycles and the outcome does not
depend on the order checks ran in. The result is listed in this order, so the first diagnosis is
the one to put in a work order's title.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Final

from vidgov.errors import InvalidInput
from vidgov.quality.checks import PICTURE_CHECKS, prepare
from vidgov.quality.checks.clock import read_clock_drift
from vidgov.quality.models import Diagnosis, FrameWindow, QualityFault
from vidgov.quality.osd import ClockReader
from vidgov.quality.snapshot import encode_snapshot
from vidgov.quality.thresholds import QualityThresholds

F = QualityFault
_PICTURE_DETAIL = frozenset({F.OCCLUSION, F.BLUR, F.NOISE, F.COLOUR_CAST, F.JITTER})

#: Which faults each fault hides when both are found (see the module docstring).
SUPPRESSES: Final[Mapping[QualityFault, frozenset[QualityFault]]] = MappingProxyType({
    F.NO_SIGNAL: frozenset(F) - {F.NO_SIGNAL},
    F.OVEREXPOSED: _PICTURE_DETAIL | {F.FROZEN},
    F.FROZEN: frozenset(F) - {F.NO_SIGNAL, F.OVEREXPOSED, F.FROZEN},
    F.UNDEREXPOSED: _PICTURE_DETAIL,
    F.OCCLUSION: frozenset({F.BLUR, F.NOISE, F.COLOUR_CAST}),
    F.JITTER: frozenset({F.BLUR}),
})

#: Report order: root causes first.
PRECEDENCE: Final[tuple[QualityFault, ...]] = (
    F.NO_SIGNAL, F.OVEREXPOSED, F.FROZEN, F.UNDEREXPOSED, F.OCCLUSION, F.JITTER, F.BLUR,
    F.NOISE, F.COLOUR_CAST, F.CLOCK_DRIFT)


def root_causes(found: Iterable[Diagnosis]) -> list[Diagnosis]:
    """Drop every diagnosis another one found in the same window hides; precedence order."""
    found = list(found)
    codes = {d.code for d in found}
    hidden = set().union(*(SUPPRESSES.get(code, frozenset()) for code in codes))
    kept = [d for d in found if d.code not in hidden]
    return sorted(kept, key=lambda d: PRECEDENCE.index(d.code))


def diagnose(window: FrameWindow, thresholds: QualityThresholds, now: datetime,
             clock: ClockReader | None = None) -> list[Diagnosis]:
    """The root-cause faults of one window, each with its evidence snapshot; [] when healthy.

    ``now``: the wall-clock time (tz-aware, from the probe's synchronised clock) at which the
    window's first frame was captured; frame i was captured at ``now + (t_i - t_0)``.
    ``clock``: reads the OSD clock of the middle frame for ``clock_drift`` (and of a second
    frame to confirm a drift). A read costs tens of milliseconds, so pass it only on the windows
    where the clock should be checked (e.g. every 10th); without it clock drift is not checked.
    It is skipped when the picture is blank or frozen, since those hide drift anyway.
    """
    if now.tzinfo is None:
        raise InvalidInput(f"now must be timezone-aware, got {now.isoformat()}")
    views = prepare(window, thresholds)
    found = [d for check in PICTURE_CHECKS.values()
             if (d := check(views, thresholds)) is not None]
    if clock is not None and not {d.code for d in found} & {F.NO_SIGNAL, F.FROZEN}:
        drift = read_clock_drift(window, clock, now, thresholds)
        if drift is not None:
            found.append(drift)
    return [d.model_copy(update={"snapshot_jpeg": encode_snapshot(
                window.frame_bgr(d.frame_index), thresholds.snapshot_max_width_px,
                thresholds.snapshot_jpeg_quality)})
            for d in root_causes(found)]
