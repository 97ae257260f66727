"""What every watch is built of: who stands in a zone, and an episode held open until the
condition lapses.

Why apart from :mod:`vidgov.analytics.watches`: the crowd, congestion and dwell watches differ
in what they measure but share how they see (a detection is in a zone when its bottom centre
is, class names from the user's model or ours) and how an event lives (opened, its worst
moment kept as pixels, closed into an :class:`~vidgov.analytics.events.Event`, reported as
ongoing while still open). Change those here and every watch follows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import supervision as sv

from vidgov.analytics.detectors.base import CLASSES
from vidgov.analytics.events import Event, EventKind, Frame, Picture, Redact, snapshot
from vidgov.analytics.zones import ZoneSpec


def class_names(tracked: sv.Detections) -> list[str]:
    """Each detection's class name (``data["class_name"]``, which a user model's detector
    fills with its own labels; else :data:`CLASSES` by ``class_id``)."""
    names = tracked.data.get("class_name") if tracked.data else None
    if names is not None and len(names) == len(tracked):
        return [str(n) for n in names]
    ids = tracked.class_id if tracked.class_id is not None else np.zeros(len(tracked), int)
    return [CLASSES[int(i)] for i in ids]


def track_ids(tracked: sv.Detections) -> list[int]:
    if tracked.tracker_id is None:
        return [-1] * len(tracked)
    return [int(i) for i in tracked.tracker_id]


def bottom_centres(tracked: sv.Detections) -> npt.NDArray[np.float64]:
    xyxy = tracked.xyxy.astype(np.float64)
    return np.stack([(xyxy[:, 0] + xyxy[:, 2]) / 2, xyxy[:, 3]], axis=1)


class Zone:
    """Which detections stand in a polygon (bottom centre inside), as the zone counter says."""

    def __init__(self, spec: ZoneSpec) -> None:
        self.spec = spec
        self._polygon = sv.PolygonZone(polygon=np.array(spec.points, dtype=np.int64))

    def inside(self, tracked: sv.Detections, names: list[str],
               classes: frozenset[str] | None) -> npt.NDArray[np.intp]:
        if not len(tracked):
            return np.zeros(0, dtype=np.intp)
        mask = self._polygon.trigger(tracked)
        if classes is not None:
            mask &= np.array([n in classes for n in names], dtype=bool)
        return np.flatnonzero(mask)


@dataclass
class Episode:
    """An open event: a condition held, with its worst moment kept as pixels until it closes."""

    started_s: float
    last_held_s: float
    level: float
    reason: str
    peak: float = -1.0
    peak_s: float = 0.0
    picture: Frame | None = None
    tracks: set[int] = field(default_factory=set)
    classes: set[str] = field(default_factory=set)
    details: dict[str, Any] = field(default_factory=dict)

    def see(self, t_s: float, value: float, picture: Picture | None) -> None:
        """A frame where the condition holds; keeps the picture of the highest value."""
        self.last_held_s = t_s
        if value > self.peak:
            self.peak, self.peak_s = value, t_s
            if picture is not None:
                self.picture = picture().copy()


def close_episode(episode: Episode, kind: EventKind, camera_id: str, region_id: str,
           threshold: float, redact: Redact | None) -> Event:
    jpeg = (snapshot(episode.picture, redact)
            if redact is not None and episode.picture is not None else None)
    return Event(kind=kind, camera_id=camera_id, region_id=region_id,
                 started_s=episode.started_s, ended_s=episode.last_held_s,
                 peak=float(episode.peak), threshold=float(threshold),
                 class_names=tuple(sorted(episode.classes)),
                 track_ids=tuple(sorted(episode.tracks)),
                 details={"reason": episode.reason, "peak_s": round(episode.peak_s, 3),
                          **episode.details},
                 snapshot_jpeg=jpeg)


def ongoing(event: Event) -> Event:
    return replace(event, details={**event.details, "ongoing": True})


class EpisodeWatch:
    """What the one-episode-at-a-time watches share: ended events kept until handed out."""

    _done: list[Event]

    def _finish(self) -> None:
        """Close the open episode, if any, into ``_done``."""
        raise NotImplementedError

    def events(self) -> list[Event]:
        self._finish()
        return list(self._done)

    def take_ended(self) -> list[Event]:
        ended, self._done = self._done, []
        return ended
