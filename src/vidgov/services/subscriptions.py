"""Analytics subscriptions: which camera to analyse, for which scenario, where and how often.

Also what a worker makes of them: the enabled ones of its share (:class:`Shard`), each as
pipeline options ready to run (:func:`enabled_subscriptions`).

Lines and zones are in the source picture's pixels. A subscription is validated here, once,
with messages that name the offending line, zone or threshold, so the worker that runs it
(:mod:`vidgov.services.live_analytics`) never meets a bad one; every use case takes the
caller's scope, and a camera outside it is not found.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Select, select
from sqlalchemy.orm import Session

from vidgov.analytics.live import event_configs
from vidgov.analytics.models import AnalyticsSubscription
from vidgov.analytics.pipeline import AnalysisOptions, Scenario
from vidgov.analytics.zones import LineSpec, ZoneSpec
from vidgov.catalog.models import Camera
from vidgov.errors import InvalidInput
from vidgov.services.analytics import iso, utc
from vidgov.services.records import NotFound
from vidgov.sharing.policy import Scope

log = logging.getLogger(__name__)

#: What a subscription may ask for: the pipeline's scenarios.
SCENARIOS: tuple[str, ...] = tuple(s.value for s in Scenario)
#: Scenarios whose events are raised inside zones: they need at least one.
ZONE_SCENARIOS = frozenset(SCENARIOS) - {Scenario.COUNT.value}
MAX_SAMPLE_RATE_FPS = 30.0
MAX_PIXEL = 100_000.0
_ID = re.compile(r"^[A-Za-z0-9_\-\u4e00-\u9fff]{1,40}$")


@dataclass(frozen=True)
class Line:
    """A counting line in source pixels (see :class:`~vidgov.analytics.zones.LineSpec`)."""

    id: str
    start: tuple[float, float]
    end: tuple[float, float]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "start": list(self.start), "end": list(self.end)}


@dataclass(frozen=True)
class Zone:
    """A polygon in source pixels (see :class:`~vidgov.analytics.zones.ZoneSpec`)."""

    id: str
    points: tuple[tuple[float, float], ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "points": [list(p) for p in self.points]}


@dataclass(frozen=True)
class SubscriptionSpec:
    """What to watch on one camera; validated on construction, errors name the region."""

    scenario: str
    lines: tuple[Line, ...] = ()
    zones: tuple[Zone, ...] = ()
    sample_rate_fps: float = 2.0
    thresholds: Mapping[str, float] = field(default_factory=dict)
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.scenario not in SCENARIOS:
            raise InvalidInput(f"unknown scenario {self.scenario!r}: use {', '.join(SCENARIOS)}")
        rate = self.sample_rate_fps
        if not (math.isfinite(rate) and 0 < rate <= MAX_SAMPLE_RATE_FPS):
            raise InvalidInput(f"sample rate must be more than 0 and at most "
                               f"{MAX_SAMPLE_RATE_FPS:g} frames per second, got {rate}")
        _check_regions(self.scenario, self.lines, self.zones)
        _check_thresholds(self.thresholds)
        event_configs(Scenario(self.scenario), self.thresholds)  # names and ranges it knows


def _check_regions(scenario: str, lines: Sequence[Line], zones: Sequence[Zone]) -> None:
    ids = [r.id for r in lines] + [r.id for r in zones]
    if len(ids) != len(set(ids)):
        raise InvalidInput(f"line and zone ids must differ, got {ids}")
    for region_id in ids:
        if not _ID.match(region_id):
            raise InvalidInput(f"bad region id {region_id!r}: use up to 40 letters, "
                               "digits, _ or -")
    for line in lines:
        _check_points(f"line {line.id!r}", (line.start, line.end))
        if line.start == line.end:
            raise InvalidInput(f"line {line.id!r}: its two ends are the same point")
    for zone in zones:
        _check_points(f"zone {zone.id!r}", zone.points)
        if len(zone.points) < 3:
            raise InvalidInput(f"zone {zone.id!r}: needs at least 3 points, "
                               f"got {len(zone.points)}")
        if _area(zone.points) == 0:
            raise InvalidInput(f"zone {zone.id!r} has no area: its points lie on a line")
    if scenario in ZONE_SCENARIOS and not zones:
        raise InvalidInput(f"scenario {scenario} needs at least one zone")
    if not ids:
        raise InvalidInput(f"scenario {scenario} needs at least one line or zone")


def _check_thresholds(thresholds: Mapping[str, float]) -> None:
    for name, value in thresholds.items():
        if not _ID.match(name):
            raise InvalidInput(f"bad threshold name {name!r}: use letters, digits, _ or -")
        if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
            raise InvalidInput(f"threshold {name!r} must be a number, 0 or more, "
                               f"got {value!r}")


def _check_points(what: str, points: Sequence[tuple[float, float]]) -> None:
    for x, y in points:
        if not all(math.isfinite(v) and 0 <= v <= MAX_PIXEL for v in (x, y)):
            raise InvalidInput(f"{what}: coordinates are source pixels from 0 to "
                               f"{MAX_PIXEL:g}, got ({x}, {y})")


def _area(points: Sequence[tuple[float, float]]) -> float:
    """Twice the polygon's area (shoelace): zero when every point lies on one line."""
    return abs(sum(x0 * y1 - x1 * y0
                   for (x0, y0), (x1, y1) in zip(points, (*points[1:], points[0]), strict=True)))


def spec_from_json(scenario: str, lines: Sequence[Mapping[str, Any]],
                   zones: Sequence[Mapping[str, Any]], sample_rate_fps: float,
                   thresholds: Mapping[str, float], enabled: bool = True) -> SubscriptionSpec:
    """The stored (or posted) JSON shapes as a validated spec."""
    return SubscriptionSpec(
        scenario,
        tuple(Line(str(v["id"]), _point(v["start"]), _point(v["end"])) for v in lines),
        tuple(Zone(str(v["id"]), tuple(_point(p) for p in v["points"])) for v in zones),
        float(sample_rate_fps), dict(thresholds), enabled)


def _point(value: Sequence[float]) -> tuple[float, float]:
    if len(value) != 2:
        raise InvalidInput(f"a point is [x, y], got {list(value)}")
    return float(value[0]), float(value[1])


def _subscription_json(row: AnalyticsSubscription, camera_name: str | None) -> dict[str, Any]:
    return {"id": row.id, "device_id": row.device_id, "camera_name": camera_name,
            "scenario": row.scenario, "lines": row.lines, "zones": row.zones,
            "sample_rate_fps": row.sample_rate_fps, "thresholds": row.thresholds,
            "enabled": row.enabled, "created_by": row.created_by,
            "created_at": iso(row.created_at), "updated_at": iso(row.updated_at)}


def _visible_camera(session: Session, scope: Scope, device_id: str) -> Camera:
    camera = session.scalars(select(Camera).where(Camera.device_id == device_id,
                                                  scope.camera_condition())).first()
    if camera is None:
        raise NotFound(f"no camera {device_id!r}")
    return camera


def create_subscription(session: Session, scope: Scope, device_id: str,
                        spec: SubscriptionSpec, created_by: str,
                        now: datetime | None = None) -> dict[str, Any]:
    """Ask for a camera in scope to be analysed; a camera outside the scope is not found."""
    camera = _visible_camera(session, scope, device_id)
    moment = utc(now or datetime.now(UTC))
    row = AnalyticsSubscription(
        device_id=camera.device_id, scenario=spec.scenario,
        lines=[v.to_json() for v in spec.lines], zones=[v.to_json() for v in spec.zones],
        sample_rate_fps=spec.sample_rate_fps, thresholds=dict(spec.thresholds),
        enabled=spec.enabled, created_by=created_by, created_at=moment, updated_at=moment)
    session.add(row)
    session.flush()
    return _subscription_json(row, camera.name)


def _subscription_select(scope: Scope) -> Select[AnalyticsSubscription, str | None]:
    return (select(AnalyticsSubscription, Camera.name)
            .join(Camera, Camera.device_id == AnalyticsSubscription.device_id)
            .where(scope.camera_condition()))


def list_subscriptions(session: Session, scope: Scope, device_id: str | None = None,
                       enabled: bool | None = None) -> list[dict[str, Any]]:
    """Subscriptions of cameras in scope, in the order they were made. The worker that runs
    them calls this with the whole-region scope and ``enabled=True``."""
    statement = _subscription_select(scope).order_by(AnalyticsSubscription.id)
    if device_id is not None:
        statement = statement.where(AnalyticsSubscription.device_id == device_id)
    if enabled is not None:
        statement = statement.where(AnalyticsSubscription.enabled.is_(enabled))
    return [_subscription_json(row, name) for row, name in session.execute(statement)]


def get_subscription(session: Session, scope: Scope, subscription_id: int) -> dict[str, Any]:
    found = session.execute(_subscription_select(scope).where(
        AnalyticsSubscription.id == subscription_id)).first()
    if found is None:
        raise NotFound(f"no subscription {subscription_id}")
    row, name = found
    return _subscription_json(row, name)


def update_subscription(session: Session, scope: Scope, subscription_id: int,
                        changes: Mapping[str, Any], now: datetime | None = None
                        ) -> dict[str, Any]:
    """Change some of a subscription's settings (keys of :class:`SubscriptionSpec`); the
    result is validated as a whole, so a change cannot leave it inconsistent."""
    found = session.execute(_subscription_select(scope).where(
        AnalyticsSubscription.id == subscription_id)).first()
    if found is None:
        raise NotFound(f"no subscription {subscription_id}")
    row, name = found
    current = spec_from_json(row.scenario, row.lines, row.zones, row.sample_rate_fps,
                             row.thresholds, row.enabled)
    merged: dict[str, Any] = {"scenario": current.scenario, "lines": row.lines, "zones": row.zones,
                              "sample_rate_fps": current.sample_rate_fps,
                              "thresholds": dict(current.thresholds),
                              "enabled": current.enabled}
    unknown = set(changes) - set(merged)
    if unknown:
        raise InvalidInput(f"cannot change {sorted(unknown)}: only {sorted(merged)}")
    merged.update({k: v for k, v in changes.items() if v is not None})
    spec = spec_from_json(**merged)
    row.scenario, row.sample_rate_fps, row.enabled = (spec.scenario, spec.sample_rate_fps,
                                                      spec.enabled)
    row.lines = [v.to_json() for v in spec.lines]
    row.zones = [v.to_json() for v in spec.zones]
    row.thresholds = dict(spec.thresholds)
    row.updated_at = utc(now or datetime.now(UTC))
    session.flush()
    return _subscription_json(row, name)


def disable_subscription(session: Session, scope: Scope, subscription_id: int,
                         now: datetime | None = None) -> dict[str, Any]:
    """Stop analysing; the row stays, so what was counted keeps its provenance."""
    return update_subscription(session, scope, subscription_id, {"enabled": False}, now)


# --- what a worker runs --------------------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    """One enabled subscription as the worker runs it."""

    id: int
    device_id: str
    url: str
    options: AnalysisOptions
    sample_rate_fps: float


OptionsFor = Callable[[AnalyticsSubscription], AnalysisOptions]


def analysis_options(row: AnalyticsSubscription) -> AnalysisOptions:
    """A stored subscription as pipeline options: its thresholds are the fields of its
    scenario's event configuration (e.g. crowd: ``people``, ``seconds``); the frames the worker
    feeds are already sampled, so every one is analysed."""
    scenario = Scenario(row.scenario)
    try:
        configs = event_configs(scenario, row.thresholds)
    except InvalidInput as exc:
        raise InvalidInput(f"subscription {row.id}: {exc}") from None
    return AnalysisOptions(
        camera_id=row.device_id, scenario=scenario,
        lines=tuple(LineSpec(v["id"], tuple(v["start"]), tuple(v["end"])) for v in row.lines),
        zones=tuple(ZoneSpec(v["id"], tuple(tuple(p) for p in v["points"])) for v in row.zones),
        every=1, **configs)


@dataclass(frozen=True)
class Shard:
    """Which share of the subscriptions one worker runs: those whose id modulo ``count`` is
    ``index``. Several workers given 0/N … N-1/N run every subscription exactly once; each
    reads only its own share of the table."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise InvalidInput(f"shard {self.index}/{self.count}: expected I/N with "
                               "0 <= I < N, e.g. 0/2 and 1/2 for two workers")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"I/N"``, e.g. ``"1/4"``: the second of four workers."""
        index, slash, count = text.partition("/")
        try:
            if not slash:
                raise ValueError
            return cls(int(index), int(count))
        except ValueError:
            raise InvalidInput(f"bad shard {text!r}: expected I/N, e.g. 0/2") from None


def enabled_subscriptions(engine: Engine, options_for: OptionsFor,
                          shard: Shard | None = None) -> list[Subscription]:
    """Every enabled subscription of ``shard`` whose camera has a stream address; one that
    cannot be run (thresholds its scenario does not know) is logged and left out, never the
    others."""
    shard = shard or Shard()
    with Session(engine) as session:
        rows = session.execute(
            select(AnalyticsSubscription, Camera.stream_url)
            .join(Camera, Camera.device_id == AnalyticsSubscription.device_id)
            .where(AnalyticsSubscription.enabled.is_(True), Camera.stream_url.is_not(None),
                   AnalyticsSubscription.id % shard.count == shard.index)
            .order_by(AnalyticsSubscription.id)).all()
        found = []
        for row, url in rows:
            try:
                options = options_for(row)
            except InvalidInput as exc:
                log.error("analytics subscription %s left out: %s", row.id, exc)
                continue
            if url:
                found.append(Subscription(row.id, row.device_id, url, options,
                                          row.sample_rate_fps))
        return found
