"""Video quality diagnosis (视频质量诊断) on decoded frames.

A probe hands a ``FrameWindow`` (a few decoded frames with their timestamps) to ``diagnose``,
which returns the root-cause faults, each with its measured value, threshold and a snapshot of
the evidence frame. Every check is a pure function with a described threshold in
``QualityThresholds``; the OSD clock reader (``vidgov.quality.osd``) is the only part that needs
a model, and it loads it on first use.
"""

from __future__ import annotations

from vidgov.quality.diagnose import PRECEDENCE, SUPPRESSES, diagnose, root_causes
from vidgov.quality.models import (
    FAULT_INFO,
    Diagnosis,
    FrameWindow,
    InvalidFrames,
    QualityFault,
)
from vidgov.quality.thresholds import OsdRegion, QualityThresholds

__all__ = [
    "FAULT_INFO",
    "PRECEDENCE",
    "SUPPRESSES",
    "Diagnosis",
    "FrameWindow",
    "InvalidFrames",
    "OsdRegion",
    "QualityFault",
    "QualityThresholds",
    "diagnose",
    "root_causes",
]
