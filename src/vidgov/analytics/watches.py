"""The watches that raise events: each follows one zone's tracked detections, frame by frame.

Why apart from :mod:`vidgov.analytics.events`: that module is the vocabulary every layer shares
(an :class:`~vidgov.analytics.events.Event`, its kinds, the thresholds and the evidence
snapshot); this one is the machinery only the pipeline runs: smoothing, hysteresis, speeds
and stays, one class per kind of event, each an :class:`~vidgov.analytics.events.Watch`,
built of the zones and episodes of :mod:`vidgov.analytics.episodes`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np
import supervision as sv

from vidgov.analytics.episodes import (
    Episode,
    EpisodeWatch,
    Zone,
    bottom_centres,
    class_names,
    close_episode,
    ongoing,
    track_ids,
)
from vidgov.analytics.events import (
    CongestionConfig,
    CrowdConfig,
    Event,
    EventKind,
    Picture,
    PresenceConfig,
    Redact,
    StoppedConfig,
)
from vidgov.analytics.zones import ZoneSpec


class CrowdWatch(EpisodeWatch):
    """Crowd gathering in one zone: a sustained count, or a sudden rise.

    Per analysed frame the people inside are counted, then smoothed (median over ``smooth_s``).
    An episode opens when the smoothed count has stayed ≥ ``people`` for ``seconds`` (reason
    ``sustained``, started when it first reached the level) or has risen by ``growth_people``
    within ``growth_window_s`` (reason ``growth``, started at that frame). It stays one event
    until the count has been below the level that opened it for more than ``clear_s``.
    """

    def __init__(self, spec: ZoneSpec, config: CrowdConfig, *, camera_id: str,
                 redact: Redact | None) -> None:
        self._zone, self.config, self._camera_id, self._redact = (
            Zone(spec), config, camera_id, redact)
        self._raw: deque[tuple[float, int]] = deque()
        self._smoothed: deque[tuple[float, float]] = deque()
        self._above_since: float | None = None
        self._below_since: float | None = None
        self._open: Episode | None = None
        self._done: list[Event] = []

    def observe(self, t_s: float, tracked: sv.Detections, picture: Picture) -> None:
        cfg = self.config
        names = class_names(tracked)
        inside = self._zone.inside(tracked, names, frozenset({"person"}))
        count = self._smooth(t_s, len(inside))
        if count >= cfg.people:
            self._above_since = t_s if self._above_since is None else self._above_since
        else:
            self._above_since = None
        episode = self._open
        if episode is None:
            episode = self._open = self._trigger(t_s, count)
        if episode is None:
            return
        if count >= episode.level:
            self._below_since = None
            episode.see(t_s, count, picture)
            ids = track_ids(tracked)
            episode.tracks.update(ids[i] for i in inside)
            episode.classes.add("person")
        else:
            self._below_since = t_s if self._below_since is None else self._below_since
            if t_s - self._below_since > cfg.clear_s:
                self._finish()

    def _smooth(self, t_s: float, count: int) -> float:
        self._raw.append((t_s, count))
        while self._raw and t_s - self._raw[0][0] > self.config.smooth_s:
            self._raw.popleft()
        smoothed = float(np.median([c for _, c in self._raw]))
        self._smoothed.append((t_s, smoothed))
        while self._smoothed and t_s - self._smoothed[0][0] > self.config.growth_window_s:
            self._smoothed.popleft()
        return smoothed

    def _trigger(self, t_s: float, count: float) -> Episode | None:
        cfg = self.config
        if self._above_since is not None and t_s - self._above_since >= cfg.seconds:
            return Episode(self._above_since, t_s, cfg.people, "sustained",
                            details={"seconds": cfg.seconds})
        if cfg.growth_people is not None:
            low = min(c for _, c in self._smoothed)
            if count - low >= cfg.growth_people:
                return Episode(t_s, t_s, low + cfg.growth_people, "growth",
                                details={"from_people": low,
                                         "window_s": cfg.growth_window_s})
        return None

    def _threshold(self, episode: Episode) -> float:
        return (self.config.people if episode.reason == "sustained"
                else self.config.growth_people or 0)

    def _finish(self) -> None:
        if self._open is not None:
            self._done.append(close_episode(self._open, EventKind.CROWD, self._camera_id,
                                            self._zone.spec.id, self._threshold(self._open),
                                            self._redact))
        self._open = None
        self._below_since = None
        self._smoothed.clear()

    def ongoing(self) -> list[Event]:
        if self._open is None:
            return []
        return [ongoing(close_episode(self._open, EventKind.CROWD, self._camera_id,
                                      self._zone.spec.id, self._threshold(self._open),
                                      self._redact))]

@dataclass
class _Trail:
    """A track's recent bottom centres and heights, to measure its speed."""

    points: deque[tuple[float, float, float, float]] = field(default_factory=deque)

    def add(self, t_s: float, x: float, y: float, h: float, window_s: float) -> float | None:
        """Speed in box heights per second over the last ``window_s`` seconds, once the trail
        spans at least half of it; None before that."""
        self.points.append((t_s, x, y, h))
        while len(self.points) > 1 and t_s - self.points[1][0] >= window_s:
            self.points.popleft()
        t0, x0, y0, _ = self.points[0]
        if t_s - t0 < window_s / 2:
            return None
        heights = float(np.mean([p[3] for p in self.points]))
        return float(np.hypot(x - x0, y - y0)) / max(heights, 1.0) / (t_s - t0)


class CongestionWatch(EpisodeWatch):
    """Congestion in one zone: at least ``vehicles`` vehicles inside whose median speed (box
    heights per second) stays under ``max_speed_h_s`` for ``seconds``; one event until the
    condition has failed for more than ``clear_s``. A vehicle counts towards the median once
    its track is long enough to have a speed (half of ``speed_window_s``)."""

    def __init__(self, spec: ZoneSpec, config: CongestionConfig, *, camera_id: str,
                 redact: Redact | None) -> None:
        self._zone, self.config, self._camera_id, self._redact = (
            Zone(spec), config, camera_id, redact)
        self._classes = frozenset(config.classes)
        self._trails: dict[int, _Trail] = {}
        self._held_since: float | None = None
        self._failed_since: float | None = None
        self._open: Episode | None = None
        self._speeds: list[float] = []
        self._done: list[Event] = []

    def observe(self, t_s: float, tracked: sv.Detections, picture: Picture) -> None:
        cfg = self.config
        names = class_names(tracked)
        inside = self._zone.inside(tracked, names, self._classes)
        ids, feet = track_ids(tracked), bottom_centres(tracked)
        heights = tracked.xyxy[:, 3] - tracked.xyxy[:, 1] if len(tracked) else np.zeros(0)
        speeds = []
        for i in inside:
            trail = self._trails.setdefault(ids[i], _Trail())
            speed = trail.add(t_s, feet[i, 0], feet[i, 1], float(heights[i]), cfg.speed_window_s)
            if speed is not None:
                speeds.append(speed)
        seen = {ids[i] for i in inside}
        for track_id in [k for k, trail in self._trails.items()
                         if k not in seen and t_s - trail.points[-1][0] > cfg.speed_window_s]:
            del self._trails[track_id]
        median = float(np.median(speeds)) if speeds else None
        holds = (len(inside) >= cfg.vehicles and median is not None
                 and median < cfg.max_speed_h_s)
        if holds:
            self._failed_since = None
            self._held_since = t_s if self._held_since is None else self._held_since
            if self._open is None and t_s - self._held_since >= cfg.seconds:
                self._open = Episode(self._held_since, t_s, cfg.vehicles, "slow")
                self._speeds = []
            if self._open is not None and median is not None:
                self._open.see(t_s, len(inside), picture)
                self._open.tracks.update(ids[i] for i in inside)
                self._open.classes.update(names[i] for i in inside)
                self._speeds.append(median)
        else:
            self._failed_since = t_s if self._failed_since is None else self._failed_since
            if t_s - self._failed_since > cfg.clear_s:
                self._held_since = None
                self._finish()

    def _finish(self) -> None:
        if self._open is not None:
            self._open.details.update(self._speed_details())
            self._done.append(close_episode(self._open, EventKind.CONGESTION, self._camera_id,
                                            self._zone.spec.id, self.config.vehicles, self._redact))
        self._open = None

    def _speed_details(self) -> dict[str, float]:
        return {"median_speed_h_s": round(float(np.median(self._speeds)), 4),
                "max_speed_h_s": self.config.max_speed_h_s}

    def ongoing(self) -> list[Event]:
        if self._open is None:
            return []
        event = close_episode(self._open, EventKind.CONGESTION, self._camera_id, self._zone.spec.id,
                              self.config.vehicles, self._redact)
        return [ongoing(replace(event, details={**event.details, **self._speed_details()}))]

@dataclass
class _Stay:
    """One track's stay in a zone: where it last came to rest, and whether it was reported."""

    anchor: tuple[float, float]
    still_since: float
    last_in_s: float
    class_name: str
    episode: Episode | None = None
    reported: bool = False


class DwellWatch:
    """An object that stays put in a zone: a stopped vehicle in a no-stop zone, or (for the
    ``custom`` scenario) a user model's object that appears and stays, such as a garbage pile.

    Per track: 'still' since the frame its bottom centre came within ``max_move_h`` box heights
    of where it is now; when still for ``seconds``, an event opens (started when it came to
    rest), and it ends when the object moves off or its stay ends (outside or unseen for more
    than ``gap_s``). One stay gives at most one event.
    """

    def __init__(self, spec: ZoneSpec, *, kind: EventKind, seconds: float, max_move_h: float,
                 gap_s: float, classes: tuple[str, ...], camera_id: str,
                 redact: Redact | None) -> None:
        self._zone, self._kind, self._camera_id, self._redact = (
            Zone(spec), kind, camera_id, redact)
        self.seconds, self.max_move_h, self.gap_s = seconds, max_move_h, gap_s
        self._classes = frozenset(classes) if classes else None
        self._stays: dict[int, _Stay] = {}
        self._done: list[Event] = []

    @classmethod
    def stopped(cls, spec: ZoneSpec, config: StoppedConfig, *, camera_id: str,
                redact: Redact | None) -> DwellWatch:
        return cls(spec, kind=EventKind.STOPPED, seconds=config.seconds,
                   max_move_h=config.max_move_h, gap_s=config.gap_s, classes=config.classes,
                   camera_id=camera_id, redact=redact)

    @classmethod
    def presence(cls, spec: ZoneSpec, config: PresenceConfig, *, camera_id: str,
                 redact: Redact | None) -> DwellWatch:
        return cls(spec, kind=EventKind.PRESENCE, seconds=config.seconds,
                   max_move_h=1.0, gap_s=config.gap_s, classes=config.classes,
                   camera_id=camera_id, redact=redact)

    def observe(self, t_s: float, tracked: sv.Detections, picture: Picture) -> None:
        names = class_names(tracked)
        inside = self._zone.inside(tracked, names, self._classes)
        ids, feet = track_ids(tracked), bottom_centres(tracked)
        heights = tracked.xyxy[:, 3] - tracked.xyxy[:, 1] if len(tracked) else np.zeros(0)
        for i in inside:
            here = (float(feet[i, 0]), float(feet[i, 1]))
            stay = self._stays.get(ids[i])
            if stay is None:
                self._stays[ids[i]] = _Stay(here, t_s, t_s, names[i])
                continue
            stay.last_in_s = t_s
            moved = np.hypot(here[0] - stay.anchor[0], here[1] - stay.anchor[1])
            if moved > self.max_move_h * max(float(heights[i]), 1.0):
                self._end(ids[i], stay)
                stay.anchor, stay.still_since = here, t_s
                continue
            still_s = t_s - stay.still_since
            if stay.episode is None and not stay.reported and still_s >= self.seconds:
                stay.episode = Episode(stay.still_since, t_s, self.seconds, "dwell")
                stay.episode.tracks.add(ids[i])
                stay.episode.classes.add(names[i])
                stay.reported = True
            if stay.episode is not None:  # one picture: the moment it became an event
                stay.episode.see(t_s, still_s,
                                 picture if stay.episode.picture is None else None)
        for track_id, stay in list(self._stays.items()):
            if t_s - stay.last_in_s > self.gap_s:
                self._end(track_id, stay)
                del self._stays[track_id]

    def _end(self, track_id: int, stay: _Stay) -> None:
        if stay.episode is not None:
            stay.episode.details["track_id"] = track_id
            self._done.append(close_episode(stay.episode, self._kind, self._camera_id,
                                            self._zone.spec.id, self.seconds, self._redact))
            stay.episode = None

    def events(self) -> list[Event]:
        for track_id, stay in list(self._stays.items()):
            self._end(track_id, stay)
        return sorted(self._done, key=lambda e: (e.started_s, e.track_ids))

    def take_ended(self) -> list[Event]:
        ended, self._done = self._done, []
        return sorted(ended, key=lambda e: (e.started_s, e.track_ids))

    def ongoing(self) -> list[Event]:
        found = []
        for track_id, stay in self._stays.items():
            if stay.episode is not None:
                event = close_episode(stay.episode, self._kind, self._camera_id, self._zone.spec.id,
                                      self.seconds, self._redact)
                found.append(ongoing(replace(event, details={**event.details,
                                                                "track_id": track_id})))
        return sorted(found, key=lambda e: (e.started_s, e.track_ids))
