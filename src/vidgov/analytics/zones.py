"""Counting lines and occupancy zones over tracked detections, kept as per-minute buckets.

Why buckets and not only totals: what the platform stores and forecasts is a time series per
camera per minute (people crossing a gate, occupancy of a square), so each counter records
*when* things happened and :meth:`rows` hands out one row per minute, region and class. The
totals are the sums of those rows, and a test keeps it so.

Both counters implement :class:`Observer` (``observe`` a frame's tracked detections, then
``rows``); the scenarios that follow (crowding, congestion, stopped vehicles) are more
observers of the same stream, fed by the same pipeline.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import supervision as sv

from vidgov.analytics.detectors.base import CLASSES
from vidgov.errors import InvalidInput

Row = dict[str, Any]
"""One bucket: see :data:`SERIES_SCHEMA` in :mod:`vidgov.analytics.pipeline` for the columns."""

_ID = re.compile(r"^[A-Za-z0-9_\-\u4e00-\u9fff]+$")


@dataclass(frozen=True, slots=True)
class LineSpec:
    """A counting line in source pixels. Crossing from the right-hand side of start→end to its
    left-hand side (as drawn on the picture) is ``in``, the other way ``out``."""

    id: str
    start: tuple[float, float]
    end: tuple[float, float]


@dataclass(frozen=True, slots=True)
class ZoneSpec:
    """A polygon in source pixels (at least 3 vertices) whose occupancy and dwell are measured."""

    id: str
    points: tuple[tuple[float, float], ...]


def _numbers(text: str, what: str) -> tuple[str | None, list[float]]:
    """``[ID=]x1,y1,...`` → (ID or None, numbers); errors quote the user's text."""
    name, _, coords = text.rpartition("=")
    if name and not _ID.match(name):
        raise InvalidInput(f"bad {what} id {name!r} in {text!r}: use letters, digits, _ or -")
    try:
        values = [float(v) for v in coords.split(",")]
    except ValueError:
        raise InvalidInput(f"bad {what} {text!r}: expected numbers separated by commas") from None
    if any(not np.isfinite(v) or v < 0 for v in values):
        raise InvalidInput(f"bad {what} {text!r}: coordinates are pixels, 0 or more")
    return name or None, values


def parse_line(text: str, default_id: str) -> LineSpec:
    """``x1,y1,x2,y2`` or ``ID=x1,y1,x2,y2`` (pixels of the source picture)."""
    name, v = _numbers(text, "line")
    if len(v) != 4:
        raise InvalidInput(f"bad line {text!r}: expected x1,y1,x2,y2 (4 numbers), got {len(v)}")
    if (v[0], v[1]) == (v[2], v[3]):
        raise InvalidInput(f"bad line {text!r}: its two ends are the same point")
    return LineSpec(name or default_id, (v[0], v[1]), (v[2], v[3]))


def parse_zone(text: str, default_id: str) -> ZoneSpec:
    """``x1,y1,x2,y2,x3,y3,...`` or ``ID=...``: a polygon of at least 3 vertices."""
    name, v = _numbers(text, "zone")
    if len(v) < 6 or len(v) % 2:
        raise InvalidInput(f"bad zone {text!r}: expected x,y pairs of at least 3 vertices, "
                           f"got {len(v)} numbers")
    points = tuple((v[i], v[i + 1]) for i in range(0, len(v), 2))
    return ZoneSpec(name or default_id, points)


class Observer(Protocol):
    """Something that watches a stream's tracked detections and reports per-minute rows."""

    def observe(self, t_s: float, tracked: sv.Detections) -> None:
        """One analysed frame at ``t_s`` seconds from the start, boxes in source pixels."""
        ...

    def rows(self) -> list[Row]:
        """Its buckets so far; call after the last frame (open visits are closed then)."""
        ...


class LiveObserver(Observer, Protocol):
    """An observer of a stream that never ends: complete minutes are handed out as they pass,
    and forgotten once stored, so a camera watched for a month holds a minute's state."""

    def rows_for(self, minutes: range) -> list[Row]:
        """The buckets of ``minutes`` (complete ones: open visits stay open)."""
        ...

    def forget(self, before_minute: int) -> None:
        """Drop the buckets of minutes before ``before_minute`` (they have been stored)."""
        ...


def _minute(t_s: float) -> int:
    return int(t_s // 60)


def _class_names(tracked: sv.Detections) -> list[str]:
    ids = tracked.class_id if tracked.class_id is not None else np.zeros(len(tracked), int)
    return [CLASSES[int(i)] for i in ids]


@dataclass
class LineCounter:
    """Per-class in/out crossings of one line (supervision's ``LineZone``), by minute."""

    spec: LineSpec
    zone: sv.LineZone = field(init=False)
    _counts: Counter[tuple[int, str, str]] = field(default_factory=Counter, init=False)
    _last_minute: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.zone = sv.LineZone(start=sv.Point(*self.spec.start), end=sv.Point(*self.spec.end))

    def observe(self, t_s: float, tracked: sv.Detections) -> None:
        crossed_in, crossed_out = self.zone.trigger(tracked)
        minute = self._last_minute = _minute(t_s)
        names = _class_names(tracked)
        for i in np.flatnonzero(crossed_in):
            self._counts[minute, names[i], "in"] += 1
        for i in np.flatnonzero(crossed_out):
            self._counts[minute, names[i], "out"] += 1

    def totals(self) -> dict[str, dict[str, int]]:
        """``{class: {"in": n, "out": n}}`` over the whole run, classes that crossed only."""
        out: dict[str, dict[str, int]] = defaultdict(lambda: {"in": 0, "out": 0})
        for (_, name, direction), n in self._counts.items():
            out[name][direction] += n
        return dict(out)

    def rows(self) -> list[Row]:
        return self.rows_for(range(self._last_minute + 1))

    def rows_for(self, minutes: range) -> list[Row]:
        return [{"kind": "line", "region_id": self.spec.id, "minute": minute, "class_name": name,
                 "in_count": self._counts[minute, name, "in"],
                 "out_count": self._counts[minute, name, "out"]}
                for minute in minutes for name in CLASSES]

    def forget(self, before_minute: int) -> None:
        for key in [k for k in self._counts if k[0] < before_minute]:
            del self._counts[key]


@dataclass
class _Visit:
    class_name: str
    entered_s: float
    last_in_s: float


@dataclass
class ZoneCounter:
    """Occupancy (objects inside, per analysed frame) and dwell (seconds per visit) of one zone.

    An object is inside when its box's bottom centre (where it stands) is in the polygon. A
    visit ends when its track has been outside or unseen for more than ``gap_s`` seconds, so
    one missed detection does not split it; its dwell is counted in the minute it ends.
    """

    spec: ZoneSpec
    gap_s: float = 1.0
    zone: sv.PolygonZone = field(init=False)
    _frames: Counter[int] = field(default_factory=Counter, init=False)
    _occupancy: dict[tuple[int, str], list[int]] = field(default_factory=dict, init=False)
    _entered: Counter[tuple[int, str]] = field(default_factory=Counter, init=False)
    _dwell: dict[tuple[int, str], list[float]] = field(
        default_factory=lambda: defaultdict(list), init=False)
    _open: dict[int, _Visit] = field(default_factory=dict, init=False)
    _last_t: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self.zone = sv.PolygonZone(polygon=np.array(self.spec.points, dtype=np.int64))

    def observe(self, t_s: float, tracked: sv.Detections) -> None:
        minute = _minute(t_s)
        self._last_t = t_s
        self._frames[minute] += 1
        inside = self.zone.trigger(tracked) if len(tracked) else np.zeros(0, dtype=bool)
        names = _class_names(tracked)
        here = Counter(names[i] for i in np.flatnonzero(inside))
        for name in CLASSES:
            self._occupancy.setdefault((minute, name), []).append(here[name])
        ids = tracked.tracker_id if tracked.tracker_id is not None else np.zeros(0, int)
        for i in np.flatnonzero(inside):
            visit = self._open.get(int(ids[i]))
            if visit is None:
                self._open[int(ids[i])] = _Visit(names[i], t_s, t_s)
                self._entered[minute, names[i]] += 1
            else:
                visit.last_in_s = t_s
        for track_id, visit in list(self._open.items()):
            if t_s - visit.last_in_s > self.gap_s:
                self._close(track_id, visit)

    def _close(self, track_id: int, visit: _Visit) -> None:
        self._dwell[_minute(visit.last_in_s), visit.class_name].append(
            visit.last_in_s - visit.entered_s)
        del self._open[track_id]

    def rows(self) -> list[Row]:
        for track_id, visit in list(self._open.items()):
            self._close(track_id, visit)
        return self.rows_for(range(_minute(self._last_t) + 1))

    def rows_for(self, minutes: range) -> list[Row]:
        rows = []
        for minute in minutes:
            for name in CLASSES:
                occupancy = self._occupancy.get((minute, name), [])
                dwell = self._dwell.get((minute, name), [])
                rows.append({
                    "kind": "zone", "region_id": self.spec.id, "minute": minute,
                    "class_name": name, "in_count": self._entered[minute, name],
                    "out_count": len(dwell),
                    "occupancy_max": max(occupancy, default=0),
                    "occupancy_mean": float(np.mean(occupancy)) if occupancy else 0.0,
                    "dwell_s_mean": float(np.mean(dwell)) if dwell else None,
                    "dwell_s_max": max(dwell) if dwell else None})
        return rows

    def forget(self, before_minute: int) -> None:
        for table in (self._occupancy, self._entered, self._dwell):
            for key in [k for k in table if k[0] < before_minute]:
                del table[key]
        for minute in [m for m in self._frames if m < before_minute]:
            del self._frames[minute]
