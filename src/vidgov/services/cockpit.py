"""The cockpit's read model: the whole estate as frames, rebuilt at most every few seconds.

KPIs, rates, map points and scorecards aggregate every camera of a scope. Reading 250,000
rows per request would cost a quarter of a second; instead one :class:`EstateView` per
process keeps the labelled catalog joined with each camera's latest health, and the audit,
and rebuilds them when they are older than ``ttl_s``. Every answer is then a polars filter by
the caller's :class:`~vidgov.sharing.policy.Scope` and an aggregation: milliseconds.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import polars as pl
import shapely
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from vidgov.catalog.audit import audit
from vidgov.catalog.findings import DESCRIPTIONS
from vidgov.catalog.models import Camera
from vidgov.catalog.scorecard import GroupBy, scorecard
from vidgov.catalog.store import read_cameras
from vidgov.domain.divisions import Divisions, Level
from vidgov.domain.geo import Boundaries
from vidgov.maintenance.models import WorkOrder
from vidgov.probing.rates import (
    RateBy,
    current_rates,
    labelled_cameras,
    rates_over_time,
    read_health,
)
from vidgov.services.filters import PlaceFilter
from vidgov.sharing.policy import Scope


class CameraState:
    """Map colours: what a decision maker reads at a glance."""

    PLAYABLE = 0
    UNPLAYABLE = 1
    OFFLINE = 2
    UNPROBED = 3


@dataclass(frozen=True)
class Frames:
    """One consistent picture of the estate.

    ``cameras``: device_id, admin_code, city/city_code, county/county_code, level,
    department, maintenance_unit, longitude, latitude, online, playable, state.
    ``findings``: device_id, code, severity, field, value, detail, suggestion, admin_code,
    maintenance_unit, city, county. ``audited``: per-camera completeness and validity,
    labelled like ``cameras``.
    """

    cameras: pl.DataFrame
    findings: pl.DataFrame
    audited: pl.DataFrame
    built_at: datetime


class EstateView:
    """Frames of the whole estate, shared by every request of one process."""

    def __init__(self, engine: Engine, divisions: Divisions, boundaries: Boundaries,
                 ttl_s: float = 15.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._engine, self._divisions, self._boundaries = engine, divisions, boundaries
        self._ttl_s, self._clock = ttl_s, clock
        self._lock = threading.Lock()
        self._frames: Frames | None = None
        self._built: float = 0.0

    def frames(self) -> Frames:
        with self._lock:
            if self._frames is None or self._clock() - self._built > self._ttl_s:
                self._frames = self._build()
                self._built = self._clock()
            return self._frames

    def invalidate(self) -> None:
        with self._lock:
            self._frames = None

    def _build(self) -> Frames:
        labelled = labelled_cameras(self._engine, self._divisions)
        coords = read_cameras(self._engine, ("device_id", "longitude", "latitude"))
        health = read_health(self._engine).select("device_id", "online", "playable")
        cameras = (
            labelled.join(coords, on="device_id", how="left")
            .join(health, on="device_id", how="left")
            .with_columns(state=pl.when(pl.col("online").is_null()).then(CameraState.UNPROBED)
                          .when(~pl.col("online")).then(CameraState.OFFLINE)
                          .when(~pl.col("playable")).then(CameraState.UNPLAYABLE)
                          .otherwise(CameraState.PLAYABLE))
        )
        result = audit(read_cameras(self._engine), self._divisions, self._boundaries,
                       date.today())
        places = cameras.select("device_id", "admin_code", "maintenance_unit", "city",
                                "county", "department")
        findings = result.findings.join(places, on="device_id")
        audited = result.cameras.select("device_id", "completeness", "valid").join(
            places, on="device_id")
        return Frames(cameras=cameras, findings=findings, audited=audited,
                      built_at=datetime.now(UTC))


# --- what the cockpit asks for -------------------------------------------------------


def scoped(frame: pl.DataFrame, scope: Scope, places: PlaceFilter) -> pl.DataFrame:
    """The rows of ``frame`` the user may see and asked for."""
    return frame.filter(scope.frame_condition() & places.frame_condition())


def kpis(view: EstateView, engine: Engine, scope: Scope, places: PlaceFilter
         ) -> dict[str, Any]:
    frames = view.frames()
    cameras = scoped(frames.cameras, scope, places)
    total = cameras.height
    online = int(cameras["online"].fill_null(False).sum())
    playable = int(cameras["playable"].fill_null(False).sum())
    audited = scoped(frames.audited, scope, places)
    completeness = float(audited["completeness"].mean() or 0.0) * 100  # type: ignore[arg-type]
    validity = float(audited["valid"].cast(pl.Float64).mean() or 0.0) * 100  # type: ignore[arg-type]
    return {
        "cameras": total,
        "probed": int(cameras["online"].is_not_null().sum()),
        "online": online,
        "playable": playable,
        "online_rate": _pct(online, total),
        "playable_rate": _pct(playable, total),
        "open_orders": open_orders(engine, scope, places),
        "catalog_score": round((completeness + validity) / 2, 1) if total else 0.0,
    }


def open_orders(engine: Engine, scope: Scope, places: PlaceFilter) -> int:
    query = (select(func.count()).select_from(WorkOrder)
             .join(Camera, Camera.device_id == WorkOrder.device_id)
             .where(WorkOrder.status != "closed", scope.camera_condition(),
                    places.camera_condition()))
    with Session(engine) as session:
        return int(session.scalar(query) or 0)


def rates(view: EstateView, scope: Scope, by: RateBy, places: PlaceFilter
          ) -> list[dict[str, Any]]:
    cameras = scoped(view.frames().cameras, scope, places)
    table = current_rates(cameras.drop("online", "playable"),
                          cameras.select("device_id", "online", "playable"), by)
    return table.to_dicts()


def trend(view: EstateView, engine: Engine, scope: Scope, places: PlaceFilter, days: int
          ) -> list[dict[str, Any]]:
    """Daily online and playable rates over all probes of the scope's cameras."""
    cameras = scoped(view.frames().cameras, scope, places).select("device_id", "city")
    since = datetime.now(UTC) - timedelta(days=days)
    daily = rates_over_time(engine, cameras, RateBy.CITY, since)
    totals = (daily.group_by("day")
              .agg(pl.col("probes").sum(), pl.col("online").sum(), pl.col("playable").sum())
              .sort("day"))
    return [
        {"day": r["day"].isoformat(), "probes": r["probes"],
         "online_rate": _pct(r["online"], r["probes"]),
         "playable_rate": _pct(r["playable"], r["probes"])}
        for r in totals.iter_rows(named=True)
    ]


def map_points(view: EstateView, scope: Scope, places: PlaceFilter) -> list[list[float]]:
    """[lon, lat, state] for every placed camera of the scope, rounded to ~10 m."""
    cameras = scoped(view.frames().cameras, scope, places).filter(
        pl.col("longitude").is_not_null() & pl.col("latitude").is_not_null())
    columns = cameras.select(pl.col("longitude").round(4), pl.col("latitude").round(4),
                             pl.col("state").cast(pl.Float64))
    points: list[list[float]] = columns.to_numpy().tolist()
    return points


def map_regions(view: EstateView, boundaries: Boundaries, divisions: Divisions, scope: Scope,
                level: str, places: PlaceFilter) -> list[dict[str, Any]]:
    """Per city or county: cameras and rates, placed at a point inside the division."""
    cameras = scoped(view.frames().cameras, scope, places)
    key = "city_code" if level == "city" else "county_code"
    groups = (cameras.filter(pl.col(key).is_not_null()).group_by(key)
              .agg(cameras=pl.len(), online=pl.col("online").fill_null(False).sum(),
                   playable=pl.col("playable").fill_null(False).sum()).sort(key))
    rows = []
    for r in groups.iter_rows(named=True):
        code = r[key]
        geometry = boundaries.geometry(code)
        division = divisions.get(code)
        point = shapely.point_on_surface(geometry) if geometry is not None else None
        rows.append({
            "code": code, "name": division.name if division else code,
            "lon": round(point.x, 4) if point is not None else None,
            "lat": round(point.y, 4) if point is not None else None,
            "cameras": r["cameras"],
            "online_rate": _pct(r["online"], r["cameras"]),
            "playable_rate": _pct(r["playable"], r["cameras"]),
        })
    return rows


def findings(view: EstateView, scope: Scope, places: PlaceFilter, code: str | None
             ) -> pl.DataFrame:
    frame = scoped(view.frames().findings, scope, places)
    if code:
        frame = frame.filter(pl.col("code") == code)
    order = {c.value: i for i, c in enumerate(DESCRIPTIONS)}
    return frame.sort(pl.col("code").replace_strict(order, default=len(order)), "device_id")


def scorecards(view: EstateView, scope: Scope, by: GroupBy, places: PlaceFilter
               ) -> list[dict[str, Any]]:
    frames = view.frames()
    audited = scoped(frames.audited, scope, places)
    found = scoped(frames.findings, scope, places)
    return scorecard(audited, found, by).to_dicts()


def _pct(part: int, whole: int) -> float:
    return round(part / whole * 100, 1) if whole else 0.0


@lru_cache(maxsize=8)
def boundaries_geojson(boundaries: Boundaries, divisions: Divisions, level: Level) -> bytes:
    """The divisions of one level as GeoJSON bytes, simplified to ~200 m for drawing."""
    features: list[dict[str, Any]] = []
    for division in divisions.of_level(level):
        geometry = boundaries.geometry(division.code)
        if geometry is None:
            continue
        simple = shapely.simplify(geometry, 0.002, preserve_topology=True)
        features.append({"type": "Feature",
                         "properties": {"code": division.code, "name": division.name},
                         "geometry": json.loads(shapely.to_geojson(simple))})
    return json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False, separators=(",", ":")).encode()
