"""The cockpit's questions: KPIs, rates, trends, map points and regions, findings and
scorecards of one scope, answered from the :class:`~vidgov.services.read_model.EstateView`.

Each answer is a polars filter by the caller's scope and place filter plus an aggregation,
remembered with the frames it came from (everyone of one scope asks the same questions).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import polars as pl
import shapely

from vidgov.catalog.findings import DESCRIPTIONS
from vidgov.catalog.scorecard import GroupBy, scorecard
from vidgov.domain.divisions import Divisions, Level
from vidgov.domain.geo import Boundaries
from vidgov.probing.rates import RateBy
from vidgov.services.filters import PlaceFilter
from vidgov.services.read_model import (
    PLACE_COLUMNS,
    CameraState,
    EstateView,
    Frames,
    scope_conditions,
    scoped,
)
from vidgov.sharing.policy import Scope


def kpis(view: EstateView, scope: Scope, places: PlaceFilter) -> dict[str, Any]:
    frames = view.frames()
    return frames.remembered(("kpis", scope, places), lambda: _kpis(frames, scope, places))


def _kpis(frames: Frames, scope: Scope, places: PlaceFilter) -> dict[str, Any]:
    conditions = scope_conditions(scope, places)
    counts = frames.cameras.lazy().filter(*conditions).select(
        cameras=pl.len(),
        probed=pl.col("online").is_not_null().sum(),
        online=pl.col("online").fill_null(False).sum(),
        playable=pl.col("playable").fill_null(False).sum(),
    ).collect().row(0, named=True)
    total, online, playable = counts["cameras"], counts["online"], counts["playable"]
    audited = frames.audited.lazy().filter(*conditions).select(
        completeness=pl.col("completeness").mean(),
        validity=pl.col("valid").cast(pl.Float64).mean()).collect().row(0, named=True)
    completeness = float(audited["completeness"] or 0.0) * 100
    validity = float(audited["validity"] or 0.0) * 100
    open_orders = frames.orders.lazy().filter(*conditions, pl.col("status") != "closed"
                                             ).select(pl.len()).collect().item()
    return {
        "cameras": int(total),
        "probed": int(counts["probed"]),
        "online": int(online),
        "playable": int(playable),
        "online_rate": _pct(online, total),
        "playable_rate": _pct(playable, total),
        "open_orders": int(open_orders),
        "catalog_score": round((completeness + validity) / 2, 1) if total else 0.0,
    }


def rates(view: EstateView, scope: Scope, by: RateBy, places: PlaceFilter
          ) -> list[dict[str, Any]]:
    """Per group: cameras, probed, online, playable and the two rates in percent."""
    frames = view.frames()

    def compute() -> list[dict[str, Any]]:
        keys = ["city", "county"] if by is RateBy.COUNTY else [by.value]
        table = (
            scoped(frames.cameras.select(*dict.fromkeys([*keys, *PLACE_COLUMNS]), "online",
                                         "playable"), scope, places)
            .group_by(keys)
            .agg(cameras=pl.len(), probed=pl.col("online").is_not_null().sum(),
                 online=pl.col("online").fill_null(False).sum(),
                 playable=pl.col("playable").fill_null(False).sum())
            .with_columns(online_rate=(pl.col("online") / pl.col("cameras") * 100).round(1),
                          playable_rate=(pl.col("playable") / pl.col("cameras") * 100).round(1))
            .sort(keys)
        )
        return table.to_dicts()

    return frames.remembered(("rates", scope, places, by), compute)


def trend(view: EstateView, scope: Scope, places: PlaceFilter, days: int
          ) -> list[dict[str, Any]]:
    """Online and playable rates per day over all probes of the scope's cameras, for the days
    from ``days`` days ago (UTC) to today."""
    frames = view.frames()
    since = (datetime.now(UTC) - timedelta(days=days)).date()

    def compute() -> list[dict[str, Any]]:
        totals = (scoped(frames.daily.filter(pl.col("day") >= since), scope, places)
                  .group_by("day")
                  .agg(pl.col("probes").sum(), pl.col("online").sum(),
                       pl.col("playable").sum())
                  .sort("day"))
        return [
            {"day": r["day"].isoformat(), "probes": r["probes"],
             "online_rate": _pct(r["online"], r["probes"]),
             "playable_rate": _pct(r["playable"], r["probes"])}
            for r in totals.iter_rows(named=True)
        ]

    return frames.remembered(("trend", scope, places, since), compute)


def map_points(view: EstateView, scope: Scope, places: PlaceFilter) -> bytes:
    """The body of ``GET /api/map/points`` (the ``MapPoints`` schema), written by polars:
    250,000 points as Python lists and Pydantic models would take a second."""
    frames = view.frames()

    def compute() -> bytes:
        columns = _placed(frames, scope, places)
        points = columns.select(pl.format("[{},{},{}]", "longitude", "latitude", "state")
                                ).to_series().str.join(",").item()
        states = {"playable": CameraState.PLAYABLE, "unplayable": CameraState.UNPLAYABLE,
                  "offline": CameraState.OFFLINE, "unprobed": CameraState.UNPROBED}
        head = json.dumps({"fields": ["lon", "lat", "state"], "states": states},
                          separators=(",", ":"))
        return f'{head[:-1]},"points":[{points}]}}'.encode()

    return frames.remembered(("map_points", scope, places), compute)


def _placed(frames: Frames, scope: Scope, places: PlaceFilter) -> pl.DataFrame:
    """longitude, latitude (rounded to 4 places) and state of the scope's placed cameras."""
    return scoped(frames.cameras, scope, places).filter(
        pl.col("longitude").is_finite() & pl.col("latitude").is_finite()
    ).select(pl.col("longitude").round(4), pl.col("latitude").round(4), "state")


def map_regions(view: EstateView, boundaries: Boundaries, divisions: Divisions, scope: Scope,
                level: str, places: PlaceFilter) -> list[dict[str, Any]]:
    """Per city or county: cameras and rates, placed at a point inside the division."""
    frames = view.frames()

    def compute() -> list[dict[str, Any]]:
        key = "city_code" if level == "city" else "county_code"
        groups = (scoped(frames.cameras.select(key, *PLACE_COLUMNS, "online", "playable"),
                         scope, places)
                  .filter(pl.col(key).is_not_null()).group_by(key)
                  .agg(cameras=pl.len(), online=pl.col("online").fill_null(False).sum(),
                       playable=pl.col("playable").fill_null(False).sum()).sort(key))
        rows = []
        for r in groups.iter_rows(named=True):
            code = r[key]
            division = divisions.get(code)
            lon, lat = _inside(boundaries, code)
            rows.append({
                "code": code, "name": division.name if division else code,
                "lon": lon, "lat": lat, "cameras": r["cameras"],
                "online_rate": _pct(r["online"], r["cameras"]),
                "playable_rate": _pct(r["playable"], r["cameras"]),
            })
        return rows

    return frames.remembered(("map_regions", scope, places, level), compute)


@lru_cache(maxsize=1024)
def _inside(boundaries: Boundaries, code: str) -> tuple[float | None, float | None]:
    """A point inside the division (for its label on the map), or (None, None)."""
    geometry = boundaries.geometry(code)
    if geometry is None:
        return None, None
    point = shapely.point_on_surface(geometry)
    return round(point.x, 4), round(point.y, 4)


def findings(view: EstateView, scope: Scope, places: PlaceFilter, code: str | None
             ) -> pl.DataFrame:
    """The scope's findings, worst codes first (one frame, paged by the caller)."""
    frames = view.frames()

    def compute() -> pl.DataFrame:
        frame = scoped(frames.findings, scope, places)
        if code:
            frame = frame.filter(pl.col("code") == code)
        order = {c.value: i for i, c in enumerate(DESCRIPTIONS)}
        return frame.sort(pl.col("code").replace_strict(order, default=len(order)),
                          "device_id")

    return frames.remembered(("findings", scope, places, code), compute)


def scorecards(view: EstateView, scope: Scope, by: GroupBy, places: PlaceFilter
               ) -> list[dict[str, Any]]:
    frames = view.frames()

    def compute() -> list[dict[str, Any]]:
        audited = scoped(frames.audited, scope, places)
        found = scoped(frames.findings, scope, places)
        return scorecard(audited, found, by).to_dicts()

    return frames.remembered(("scorecards", scope, places, by), compute)


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

