"""Events: moments worth a person's attention (a crowd gathering, congestion, a stopped vehicle).

Why events beside the per-minute series: the series answers "how many", events answer "look
now": each has a start and end on the pipeline's clock (seconds from the first frame), the
value at its worst, the threshold it crossed and, when captured, a de-identified evidence
picture. The store turns the relative seconds into wall-clock time with the run's start time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    """What happened."""

    CROWD = "crowd"            # people in a zone above a threshold for N seconds, or sudden growth
    CONGESTION = "congestion"  # vehicles in a zone that barely move
    STOPPED = "stopped"        # a vehicle dwelling in a no-stop zone


@dataclass(frozen=True)
class Event:
    """One event of one camera and zone; times are seconds from the stream's first frame."""

    kind: EventKind
    camera_id: str
    region_id: str            # the zone's id
    started_s: float          # seconds from the stream's first frame (the pipeline's clock)
    ended_s: float            # last analysed frame at which the condition still held
    peak: float               # the measured value at its worst (people, vehicles, seconds)
    threshold: float          # the configured threshold it crossed
    class_names: tuple[str, ...]   # classes involved, e.g. ("person",)
    track_ids: tuple[int, ...]     # tracks involved (ByteTrack ids)
    details: dict[str, Any]        # JSON-safe measured values
    snapshot_jpeg: bytes | None = None   # de-identified evidence frame (downscaled JPEG)

    def to_json(self) -> dict[str, Any]:
        """JSON-safe; the snapshot is not inlined, only whether there is one."""
        return {"kind": str(self.kind), "camera_id": self.camera_id,
                "region_id": self.region_id, "started_s": round(self.started_s, 3),
                "ended_s": round(self.ended_s, 3), "peak": self.peak,
                "threshold": self.threshold, "class_names": list(self.class_names),
                "track_ids": list(self.track_ids), "details": self.details,
                "has_snapshot": self.snapshot_jpeg is not None}
