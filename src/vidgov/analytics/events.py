"""Events: moments worth a person's attention (a crowd gathering, congestion, a stopped vehicle).

Why events beside the per-minute series: the series answers "how many", events answer "look
now": each has a start and end on the pipeline's clock (seconds from the first frame), the
value at its worst, the threshold it crossed and, when captured, a de-identified evidence
picture. The store turns the relative seconds into wall-clock time with the run's start time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Protocol

import cv2
import numpy as np
import numpy.typing as npt
import supervision as sv
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from vidgov.analytics.detectors.base import CLASSES


class EventKind(StrEnum):
    """What happened."""

    CROWD = "crowd"            # people in a zone above a threshold for N seconds, or sudden growth
    CONGESTION = "congestion"  # vehicles in a zone that barely move
    STOPPED = "stopped"        # a vehicle dwelling in a no-stop zone
    PRESENCE = "presence"      # a user model's object (garbage pile…) staying in a zone


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


Frame = npt.NDArray[np.uint8]
"""A BGR picture (H, W, 3) uint8."""

Redact = Callable[[Frame], Frame]
"""The de-identifier: a BGR picture in, a copy with faces and licence plates blurred out
(:class:`vidgov.analytics.deid.Deidentifier`). Every evidence snapshot passes through one."""

Picture = Callable[[], Frame]
"""The analysed frame's pixels at source size, converted only when called: a watcher asks for
them only when a new peak is reached (the pipeline moves frame handles, not pixels)."""

VEHICLES: tuple[str, ...] = ("car", "motorcycle", "bus", "truck")
"""The classes that congestion and stopped-vehicle events look at by default."""

SNAPSHOT_SIDE = 640
"""Evidence snapshots are scaled down (never up) to this many pixels on their long side."""


def snapshot(picture: Frame, redact: Redact, max_side: int = SNAPSHOT_SIDE,
             quality: int = 80) -> bytes:
    """The evidence JPEG of ``picture``: de-identified first, at full size (faces and plates
    are found best there), then scaled down and encoded. ``redact`` is required on purpose:
    there is no way to make a snapshot that skips it."""
    blurred = redact(picture)
    if blurred is picture:
        raise ValueError("the de-identifier must return a copy, not its input")
    height, width = blurred.shape[:2]
    scale = min(1.0, max_side / max(height, width))
    if scale < 1.0:
        blurred = np.asarray(cv2.resize(blurred, (round(width * scale), round(height * scale)),
                                        interpolation=cv2.INTER_AREA), dtype=np.uint8)
    ok, encoded = cv2.imencode(".jpg", blurred, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"cannot encode a {blurred.shape} picture as JPEG")
    return bytes(encoded.tobytes())


class _Strict(BaseModel):
    """No unknown keys, no numbers from strings or floats for counts; lists are accepted
    where a tuple is meant (a YAML or JSON config writes lists)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _known_classes(names: tuple[str, ...]) -> tuple[str, ...]:
    if unknown := [n for n in names if n not in CLASSES]:
        raise ValueError(f"unknown classes {unknown}: use {', '.join(CLASSES)}")
    return names


RoadClasses = Annotated[tuple[str, ...], AfterValidator(_known_classes)]


class CrowdConfig(_Strict):
    """When people in a zone make a crowd event."""

    people: int = Field(10, ge=1, description=(
        "Sustained crowd: at least this many people (person boxes whose bottom centre is in "
        "the zone) …"))
    seconds: float = Field(5.0, ge=0, description=(
        "… for at least this many seconds (s)."))
    growth_people: int | None = Field(8, ge=1, description=(
        "Sudden growth: the count rises by at least this many people … (None: off)."))
    growth_window_s: float = Field(10.0, gt=0, description=(
        "… within this many seconds (s), measured from the lowest count in that window."))
    smooth_s: float = Field(1.0, ge=0, description=(
        "Counts are the median over the last this-many seconds (s), so one missed or extra "
        "detection neither starts nor ends an event."))
    clear_s: float = Field(3.0, ge=0, description=(
        "Hysteresis: an event ends only when the count has stayed below its trigger level "
        "for more than this many seconds (s); a dip shorter than that is the same crowd."))


class CongestionConfig(_Strict):
    """When vehicles in a zone are congested: many of them, barely moving."""

    vehicles: int = Field(5, ge=1, description=(
        "At least this many vehicles in the zone (box bottom centre inside) …"))
    max_speed_h_s: float = Field(0.2, gt=0, description=(
        "… whose median speed is below this, in box heights per second (h/s): the bottom "
        "centre's displacement per second divided by the box's height, so the same value holds "
        "near the camera and far from it (a car ~1.5 m tall at 0.2 h/s moves ~1 km/h) …"))
    seconds: float = Field(10.0, ge=0, description="… for at least this many seconds (s).")
    speed_window_s: float = Field(1.0, gt=0, description=(
        "Each vehicle's speed is measured over this many seconds (s) of its track."))
    clear_s: float = Field(5.0, ge=0, description=(
        "Hysteresis: the event ends when the condition has failed for more than this many "
        "seconds (s)."))
    classes: RoadClasses = Field(VEHICLES, min_length=1, strict=False, description=(
        "The classes counted as vehicles."))


class StoppedConfig(_Strict):
    """When a vehicle stopped in a no-stop zone makes an event."""

    seconds: float = Field(30.0, ge=0, description=(
        "A vehicle inside the zone that has not moved for at least this many seconds (s) …"))
    max_move_h: float = Field(0.5, gt=0, description=(
        "… where 'not moved' is: its box's bottom centre stays within this many box heights "
        "(h) of where it stopped (tracking jitter is well under this)."))
    gap_s: float = Field(3.0, ge=0, description=(
        "A stay ends when the track has been outside the zone or unseen for more than this "
        "many seconds (s); one stay gives at most one event."))
    classes: RoadClasses = Field(VEHICLES, min_length=1, strict=False, description=(
        "The classes watched."))


class PresenceConfig(_Strict):
    """When an object of a user-supplied model's class staying in a zone makes an event
    (the ``custom`` scenario: garbage piles, parcels sorted on the street)."""

    seconds: float = Field(10.0, ge=0, description=(
        "An object of one of ``classes`` present in the zone for at least this many "
        "seconds (s)."))
    gap_s: float = Field(3.0, ge=0, description=(
        "It is the same presence while it is not missing for more than this many seconds (s)."))
    classes: tuple[str, ...] = Field((), strict=False, description=(
        "The model's classes that count; empty: all of them."))


class Watch(Protocol):
    """Something that watches a zone's tracked detections and reports :class:`Event` s (a
    sibling of :class:`vidgov.analytics.zones.Observer`, which reports per-minute rows)."""

    def observe(self, t_s: float, tracked: sv.Detections, picture: Picture) -> None:
        """One analysed frame at ``t_s`` seconds, boxes in source pixels."""
        ...

    def events(self) -> list[Event]:
        """Its events so far; call after the last frame (open events are closed then)."""
        ...

    def take_ended(self) -> list[Event]:
        """Events that have ended since the last call, open ones left open: what a live
        stream, which has no last frame, stores as it goes."""
        ...

    def ongoing(self) -> list[Event]:
        """The open events as they stand (``details["ongoing"]`` true), left open: a live
        stream raises the alarm when a crowd forms, not when it has gone home. The store
        updates them in place (same camera, kind, zone and start) until they end."""
        ...
