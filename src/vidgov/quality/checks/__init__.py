"""The picture checks: one pure function per fault over a prepared window.

Each check is ``(views, thresholds) -> Diagnosis | None``: no state, no I/O, so the local
executor, a Ray task and a test call it the same way. Clock drift is not in this table: it needs
the OCR model and the wall clock, and ``diagnose`` runs it only when given a clock reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Protocol

from vidgov.quality.checks.detail import check_blur, check_noise, check_occlusion
from vidgov.quality.checks.exposure import (
    check_colour_cast,
    check_overexposed,
    check_underexposed,
)
from vidgov.quality.checks.motion import check_jitter
from vidgov.quality.checks.signal import check_frozen, check_no_signal
from vidgov.quality.checks.views import WindowViews, prepare
from vidgov.quality.models import Diagnosis, QualityFault
from vidgov.quality.thresholds import QualityThresholds


class QualityCheck(Protocol):
    """One fault's check: a diagnosis with its evidence, or None when the picture is fine."""

    def __call__(self, views: WindowViews, thresholds: QualityThresholds, /
                 ) -> Diagnosis | None: ...


#: Every picture check, by the fault it finds, in precedence order.
PICTURE_CHECKS: Final[Mapping[QualityFault, QualityCheck]] = MappingProxyType({
    QualityFault.NO_SIGNAL: check_no_signal,
    QualityFault.OVEREXPOSED: check_overexposed,
    QualityFault.FROZEN: check_frozen,
    QualityFault.UNDEREXPOSED: check_underexposed,
    QualityFault.OCCLUSION: check_occlusion,
    QualityFault.JITTER: check_jitter,
    QualityFault.BLUR: check_blur,
    QualityFault.NOISE: check_noise,
    QualityFault.COLOUR_CAST: check_colour_cast,
})

__all__ = ["PICTURE_CHECKS", "QualityCheck", "WindowViews", "prepare"]
