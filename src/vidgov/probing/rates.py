"""Online and playable rates, the figures the region is assessed on, per city, level, unit...

A camera counts in the denominator whether or not it could be probed: a catalogued camera that
was never reached is exactly what the national assessment calls offline.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import polars as pl
from sqlalchemy import Engine

from vidgov.catalog.query import EMPTY, with_places
from vidgov.catalog.store import read_cameras
from vidgov.domain.divisions import Divisions
from vidgov.store.bulk import bulk_session

LEVEL_NAMES = {"region": "自治区级", "city": "市级", "county": "县级", "township": "乡镇级",
               "village": "村级"}


class RateBy(StrEnum):
    CITY = "city"
    COUNTY = "county"
    LEVEL = "level"
    DEPARTMENT = "department"
    MAINTENANCE_UNIT = "maintenance_unit"


def read_health(engine: Engine) -> pl.DataFrame:
    """Each camera's latest probe: device_id, online, playable, faults (JSON text), probed_at."""
    with bulk_session(engine) as session:
        health = session.read(
            f"SELECT device_id, {_flag('online')}, {_flag('playable')}, "
            "CAST(faults AS TEXT) AS faults, CAST(probed_at AS TEXT) AS probed_at "
            "FROM camera_health",
            {"device_id": pl.String(), "online": pl.Int64(), "playable": pl.Int64(),
             "faults": pl.String(), "probed_at": pl.String()},
        )
    return health.with_columns(pl.col("online", "playable").cast(pl.Boolean))


def _flag(column: str) -> str:
    """A boolean column as 0/1 the same way on SQLite and PostgreSQL."""
    return f"CASE WHEN {column} THEN 1 ELSE 0 END AS {column}"


def labelled_cameras(engine: Engine, divisions: Divisions) -> pl.DataFrame:
    """Catalog cameras with city, county, level, department and unit ready to group by."""
    cameras = read_cameras(engine, ("device_id", "admin_code", "department", "maintenance_unit"))
    levels = divisions.frame().select(pl.col("code").alias("admin_code"), "level")
    return (
        with_places(cameras, divisions)
        .join(levels, on="admin_code", how="left")
        .with_columns(
            pl.col("level").replace_strict(LEVEL_NAMES, default="（未知）"),
            pl.col("department").fill_null(EMPTY),
            pl.col("maintenance_unit").fill_null(EMPTY),
        )
    )


def current_rates(cameras: pl.DataFrame, health: pl.DataFrame, by: RateBy) -> pl.DataFrame:
    """Per group: cameras, probed, online, playable and the two rates in percent."""
    keys = ["city", "county"] if by is RateBy.COUNTY else [by.value]
    joined = cameras.join(health, on="device_id", how="left")
    return (
        joined.group_by(keys)
        .agg(
            cameras=pl.len(),
            probed=pl.col("online").is_not_null().sum(),
            online=pl.col("online").fill_null(False).sum(),
            playable=pl.col("playable").fill_null(False).sum(),
        )
        .with_columns(
            online_rate=(pl.col("online") / pl.col("cameras") * 100).round(1),
            playable_rate=(pl.col("playable") / pl.col("cameras") * 100).round(1),
        )
        .sort(keys)
    )


def rates_over_time(
    engine: Engine, cameras: pl.DataFrame, by: RateBy, since: datetime | None = None
) -> pl.DataFrame:
    """Per day and group, from raw probes and the rolled-up days alike."""
    where = f" WHERE probed_at >= '{since.isoformat(sep=' ')}'" if since else ""
    with bulk_session(engine) as session:
        raw = session.read(
            f"SELECT device_id, CAST(probed_at AS TEXT) AS probed_at, {_flag('online')}, "
            f"{_flag('playable')} FROM probe_result" + where,
            {"device_id": pl.String(), "probed_at": pl.String(), "online": pl.Int64(),
             "playable": pl.Int64()},
        )
        rolled = session.read(
            "SELECT device_id, day, probes, online, playable FROM health_daily"
            + (f" WHERE day >= '{since.date().isoformat()}'" if since else ""),
            {"device_id": pl.String(), "day": pl.Date(), "probes": pl.Int64(),
             "online": pl.Int64(), "playable": pl.Int64()},
        )
    daily = pl.concat([
        raw.select(
            "device_id", pl.col("probed_at").str.slice(0, 10).str.to_date().alias("day"),
            pl.lit(1, dtype=pl.Int64).alias("probes"), "online", "playable"),
        rolled,
    ])
    keys = ["city", "county"] if by is RateBy.COUNTY else [by.value]
    return (
        daily.join(cameras, on="device_id")
        .group_by("day", *keys)
        .agg(pl.col("probes").sum(), pl.col("online").sum(), pl.col("playable").sum())
        .with_columns(
            online_rate=(pl.col("online") / pl.col("probes") * 100).round(1),
            playable_rate=(pl.col("playable") / pl.col("probes") * 100).round(1),
        )
        .sort("day", *keys)
    )
