"""Structured records in the spirit of GA/T 1400 (公安视频图像信息应用系统, the 视图库): one
object per tracked person or vehicle, and one per event, as JSON Lines.

Why this shape: the regional video-image libraries that consume analytics speak GA/T 1400's
objects (``PersonObject``, ``MotorVehicleObject``, ``NonMotorVehicleObject``) with its field
names (``PersonID``, ``DeviceID``, ``LeftTopX``…). vidgov writes its tracks under those names so
that mapping onto a real 视图库 interface is a rename away, not a redesign. It is **in the
spirit of** GA/T 1400, not a certified implementation: ids are ours (camera, kind, track), not
the standard's 48-digit ones; class names are our six, not GA 24.4 vehicle type codes; times
are ISO 8601 (the standard's ``YYYYMMDDhhmmss`` differs) and also given as seconds from the
first frame; attributes the detector cannot know (plate, colour, clothing) are absent, never
guessed. ``docs/analytics.md`` gives the field mapping.

One record per track, not per frame: a track is one person or vehicle seen for a while, and
its best box (the highest detector score) is the one a person would pick as its picture.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import supervision as sv

from vidgov.analytics.episodes import class_names
from vidgov.analytics.events import (
    Event,
)
from vidgov.analytics.zones import LineSpec
from vidgov.errors import InvalidInput

Record = dict[str, Any]
"""One JSON-safe object: a person, a vehicle or an event (``ObjectType`` says which)."""

OBJECT_TYPES: dict[str, tuple[str, str]] = {
    "person": ("Person", "PersonID"),
    "bicycle": ("NonMotorVehicle", "NonMotorVehicleID"),
    "car": ("MotorVehicle", "MotorVehicleID"),
    "motorcycle": ("MotorVehicle", "MotorVehicleID"),
    "bus": ("MotorVehicle", "MotorVehicleID"),
    "truck": ("MotorVehicle", "MotorVehicleID"),
}
"""Our class → GA/T 1400 object type and its id field (a motorcycle is a motor vehicle in
Chinese traffic law; a bicycle is not). A user model's classes are filed as ``Object``."""


@dataclass
class TrackSummary:
    """What was seen of one track over the run (boxes in source pixels, times in seconds)."""

    track_id: int
    first_s: float
    last_s: float
    frames: int = 0
    score_sum: float = 0.0
    best_score: float = -1.0
    best_s: float = 0.0
    best_xyxy: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    classes: Counter[str] = field(default_factory=Counter)
    crossings: list[tuple[str, str, float]] = field(default_factory=list)  # line, in|out, s

    @property
    def class_name(self) -> str:
        """The class it was most often given (detectors waver between car and truck)."""
        return self.classes.most_common(1)[0][0]


class TrackLog:
    """Watches the tracked detections (an :class:`~vidgov.analytics.zones.Observer` without
    rows) and keeps a :class:`TrackSummary` per track, line crossings included: its own
    ``LineZone`` per line gives the same crossings as the counters, per track id."""

    def __init__(self, lines: Sequence[LineSpec] = ()) -> None:
        self._lines = [(spec.id, sv.LineZone(start=sv.Point(*spec.start),
                                             end=sv.Point(*spec.end))) for spec in lines]
        self._tracks: dict[int, TrackSummary] = {}

    def observe(self, t_s: float, tracked: sv.Detections) -> None:
        if not len(tracked) or tracked.tracker_id is None:
            return
        names = class_names(tracked)
        scores = (tracked.confidence if tracked.confidence is not None
                  else np.ones(len(tracked)))
        for i, track_id in enumerate(int(t) for t in tracked.tracker_id):
            summary = self._tracks.setdefault(track_id, TrackSummary(track_id, t_s, t_s))
            summary.last_s = t_s
            summary.frames += 1
            summary.classes[names[i]] += 1
            score = float(scores[i])
            summary.score_sum += score
            if score > summary.best_score:
                summary.best_score, summary.best_s = score, t_s
                x1, y1, x2, y2 = (float(v) for v in tracked.xyxy[i])
                summary.best_xyxy = (x1, y1, x2, y2)
        for line_id, zone in self._lines:
            crossed_in, crossed_out = zone.trigger(tracked)
            for mask, direction in ((crossed_in, "in"), (crossed_out, "out")):
                for j in np.flatnonzero(mask):
                    self._tracks[int(tracked.tracker_id[j])].crossings.append(
                        (line_id, direction, t_s))

    def tracks(self) -> list[TrackSummary]:
        """Every track seen, by id."""
        return [self._tracks[k] for k in sorted(self._tracks)]


def _time(started_at: datetime | None, seconds: float) -> str | None:
    if started_at is None:
        return None
    return (started_at + timedelta(seconds=seconds)).isoformat(timespec="milliseconds")


def track_record(track: TrackSummary, camera_id: str, started_at: datetime | None) -> Record:
    """One GA/T 1400-style object for a track (see the module's notes on what differs)."""
    object_type, id_field = OBJECT_TYPES.get(track.class_name, ("Object", "ObjectID"))
    x1, y1, x2, y2 = track.best_xyxy
    return {
        "ObjectType": object_type,
        id_field: f"{camera_id}-{track.track_id:06d}",
        "InfoKind": 1,  # GA/T 1400: 1 = automatically collected
        "DeviceID": camera_id,
        "TrackID": track.track_id,
        "ClassName": track.class_name,
        "AppearTime": _time(started_at, track.first_s),
        "DisappearTime": _time(started_at, track.last_s),
        "ShotTime": _time(started_at, track.best_s),
        "AppearSeconds": round(track.first_s, 3),
        "DisappearSeconds": round(track.last_s, 3),
        "ShotSeconds": round(track.best_s, 3),
        "LeftTopX": round(x1), "LeftTopY": round(y1),
        "RightBtmX": round(x2), "RightBtmY": round(y2),
        "Attributes": {
            "BestScore": round(track.best_score, 4),
            "MeanScore": round(track.score_sum / track.frames, 4),
            "FramesSeen": track.frames,
            "LineCrossings": [{"LineID": line, "Direction": direction,
                               "Seconds": round(t_s, 3)}
                              for line, direction, t_s in track.crossings],
        },
    }


def event_record(event: Event, started_at: datetime | None) -> Record:
    """One event object; its evidence snapshot travels separately (``HasSnapshot``)."""
    return {
        "ObjectType": "Event",
        "EventID": f"{event.camera_id}-{event.kind}-{event.region_id}-"
                   f"{round(event.started_s * 1000):09d}",
        "EventType": str(event.kind),
        "InfoKind": 1,
        "DeviceID": event.camera_id,
        "RegionID": event.region_id,
        "BeginTime": _time(started_at, event.started_s),
        "EndTime": _time(started_at, event.ended_s),
        "BeginSeconds": round(event.started_s, 3),
        "EndSeconds": round(event.ended_s, 3),
        "PeakValue": event.peak,
        "Threshold": event.threshold,
        "ClassNames": list(event.class_names),
        "TrackIDList": list(event.track_ids),
        "Details": event.details,
        "HasSnapshot": event.snapshot_jpeg is not None,
    }


def stored_event_record(event: Event, started_at: datetime, event_id: int,
                        snapshot_url: str | None) -> Record:
    """An event kept in the store as the same object: its times are wall-clock (``event``'s
    seconds count from ``started_at``, the event's own start), its ID the store's, and its
    picture an address to fetch, in scope, rather than a flag."""
    record = event_record(event, started_at)
    del record["BeginSeconds"], record["EndSeconds"]  # seconds into a run: none here
    record["EventID"] = f"{event.camera_id}-{event.kind}-{event_id:09d}"
    record["HasSnapshot"] = snapshot_url is not None
    record["SnapshotURL"] = snapshot_url
    return record


def build_records(tracks: Iterable[TrackSummary], events: Iterable[Event], camera_id: str,
                  started_at: datetime | None = None) -> list[Record]:
    """Every track's object, then every event's, for one run of one camera."""
    return ([track_record(t, camera_id, started_at) for t in tracks]
            + [event_record(e, started_at) for e in events])


def write_jsonl(records: Iterable[Record], path: Path) -> int:
    """Write one JSON object per line (UTF-8, Chinese kept readable); returns how many."""
    if not path.parent.is_dir():
        raise InvalidInput(f"cannot write {path}: folder {path.parent} does not exist")
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n")
            count += 1
    return count
