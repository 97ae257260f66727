"""Analytics as the platform offers it: recorded runs and counts in scope.

Two kinds of use case live here (subscriptions, what to analyse, are in
:mod:`vidgov.services.subscriptions`; the events' queries and export in
:mod:`vidgov.services.events`):

- **record_run** stores what one run of the pipeline produced: its per-minute series (minutes
  from the first frame, turned into wall-clock UTC minutes with the run's start) and its
  events, and puts one delivery per matching webhook in the outbox, all in the caller's
  transaction. Re-delivering a run replaces its rows instead of counting twice.
- **Queries** (counts per camera, place, city or county; events; an event's picture) take the
  caller's :class:`~vidgov.sharing.policy.Scope` and put it in the WHERE clause, exactly like
  the camera queries: what lies outside is never read, counted or shown, and a lookup by ID
  finds nothing (404, as for an event that does not exist).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, Executable, func, select
from sqlalchemy.orm import Session

from vidgov.analytics.events import Event
from vidgov.analytics.models import (
    AnalyticsEvent,
    CountMinute,
    DeliveryStatus,
    Webhook,
    WebhookDelivery,
)
from vidgov.catalog.models import Camera
from vidgov.catalog.query import EMPTY, UNKNOWN
from vidgov.domain.divisions import Divisions
from vidgov.errors import InvalidInput
from vidgov.services.filters import PlaceFilter
from vidgov.sharing.policy import Scope

MAX_BUCKETS = 10_000
_VALUE_COLUMNS = ("in_count", "out_count", "occupancy_max", "occupancy_mean", "dwell_s_mean",
                  "dwell_s_max")


# --- recording a run -----------------------------------------------------------------


@dataclass(frozen=True)
class RunRecord:
    """What :func:`record_run` wrote: count rows upserted, events new and re-delivered, and
    deliveries put in the outbox (new events only)."""

    count_rows: int
    events_new: int
    events_updated: int
    deliveries: int


def record_run(session: Session, camera_id: str, started_at: datetime, series: pl.DataFrame,
               events: Sequence[Event], now: datetime | None = None) -> RunRecord:
    """Store one run's per-minute series and events in the caller's transaction.

    ``series`` has the columns of ``SERIES_SCHEMA`` (:mod:`vidgov.analytics.pipeline`), its
    ``minute`` counted from the run's first frame at ``started_at`` (an aware datetime). Each
    row lands on the wall-clock UTC minute in which its minute began; a row already there
    for the same camera, region and class is replaced, so re-delivery never counts twice.
    """
    from vidgov.analytics.pipeline import SERIES_SCHEMA

    if started_at.tzinfo is None:
        raise InvalidInput("started_at must carry a time zone (the run's start, e.g. UTC)")
    if session.get(Camera, camera_id) is None:
        raise InvalidInput(f"no camera {camera_id!r} in the catalog")
    missing = [c for c in SERIES_SCHEMA if c not in series.columns]
    if missing:
        raise InvalidInput(f"series lacks columns {missing}")
    others = series.filter(pl.col("camera_id") != camera_id)["camera_id"].unique().to_list()
    if others:
        raise InvalidInput(f"series of camera {camera_id!r} holds rows of {others}")
    strangers = sorted({e.camera_id for e in events} - {camera_id})
    if strangers:
        raise InvalidInput(f"events of camera {camera_id!r} include events of {strangers}")
    first_minute = utc(started_at).replace(second=0, microsecond=0)
    rows = [{"device_id": camera_id,
             "minute": first_minute + timedelta(minutes=int(r["minute"])),
             "kind": r["kind"], "region_id": r["region_id"], "class_name": r["class_name"],
             "in_count": int(r["in_count"] or 0), "out_count": int(r["out_count"] or 0),
             **{c: r[c] for c in _VALUE_COLUMNS[2:]}}
            for r in series.iter_rows(named=True)]
    _upsert_counts(session, rows)
    moment = utc(now or datetime.now(UTC))
    new, updated = _store_events(session, camera_id, utc(started_at), events, moment)
    deliveries = _enqueue(session, session.get_one(Camera, camera_id), new, moment)
    session.flush()
    return RunRecord(len(rows), len(new), updated, deliveries)


def _upsert_counts(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert or replace the rows in one executemany: the statement is compiled once and
    cached, where a multi-row VALUES would be compiled anew for every run (100 ms a run)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    keys = ["device_id", "minute", "kind", "region_id", "class_name"]
    statement: Executable
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pg = pg_insert(CountMinute)
        statement = pg.on_conflict_do_update(
            index_elements=keys, set_={c: pg.excluded[c] for c in _VALUE_COLUMNS})
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        lite = sqlite_insert(CountMinute)
        statement = lite.on_conflict_do_update(
            index_elements=keys, set_={c: lite.excluded[c] for c in _VALUE_COLUMNS})
    else:  # pragma: no cover - the two stores vidgov supports
        raise InvalidInput(f"counts cannot be stored in a {dialect} database")
    session.connection().execute(statement, rows)


def _store_events(session: Session, camera_id: str, start: datetime,
                  events: Sequence[Event], moment: datetime
                  ) -> tuple[list[AnalyticsEvent], int]:
    new: list[AnalyticsEvent] = []
    updated = 0
    for event in events:
        started_at = start + timedelta(seconds=event.started_s)
        values = {"ended_at": start + timedelta(seconds=max(event.ended_s, event.started_s)),
                  "peak": float(event.peak), "threshold": float(event.threshold),
                  "class_names": list(event.class_names),
                  "track_ids": [int(t) for t in event.track_ids],
                  "details": dict(event.details), "snapshot_jpeg": event.snapshot_jpeg}
        existing = session.scalars(select(AnalyticsEvent).where(
            AnalyticsEvent.device_id == camera_id, AnalyticsEvent.kind == str(event.kind),
            AnalyticsEvent.region_id == event.region_id,
            AnalyticsEvent.started_at == started_at)).first()
        if existing is not None:
            for name, value in values.items():
                setattr(existing, name, value)
            updated += 1
            continue
        row = AnalyticsEvent(device_id=camera_id, kind=str(event.kind),
                             region_id=event.region_id, started_at=started_at,
                             recorded_at=moment, **values)
        session.add(row)
        new.append(row)
    session.flush()
    return new, updated


def _enqueue(session: Session, camera: Camera, events: Sequence[AnalyticsEvent],
             moment: datetime) -> int:
    """One pending delivery per new event and enabled webhook that wants its kind and whose
    scope admits the camera."""
    if not events:
        return 0
    hooks = session.scalars(select(Webhook).where(Webhook.enabled.is_(True))).all()
    count = 0
    for hook in hooks:
        hook_scope = Scope(tuple(hook.scope_prefixes) if hook.scope_prefixes is not None
                           else None, hook.maintenance_unit)
        if not hook_scope.admits(camera.admin_code, camera.maintenance_unit):
            continue
        for event in events:
            if hook.event_kinds and event.kind not in hook.event_kinds:
                continue
            session.add(WebhookDelivery(event_id=event.id, webhook_id=hook.id,
                                        status=DeliveryStatus.PENDING.value, attempts=0,
                                        next_attempt_at=moment, created_at=moment))
            count += 1
    return count


# --- counts --------------------------------------------------------------------------


class CountsBy(StrEnum):
    CAMERA = "camera"
    PLACE = "place"
    CITY = "city"
    COUNTY = "county"


class Bucket(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"


_BUCKET_SIZE = {Bucket.MINUTE: timedelta(minutes=1), Bucket.HOUR: timedelta(hours=1),
                Bucket.DAY: timedelta(days=1)}
_BUCKET_EVERY = {Bucket.MINUTE: "1m", Bucket.HOUR: "1h", Bucket.DAY: "1d"}


@dataclass(frozen=True)
class CountQuery:
    """Which counts: grouped ``by``, in ``[since, until)`` (UTC), per ``bucket``."""

    by: CountsBy
    since: datetime
    until: datetime
    bucket: Bucket = Bucket.HOUR
    places: PlaceFilter = field(default_factory=PlaceFilter)
    classes: tuple[str, ...] = ()
    kind: str | None = None  # line | zone
    device_id: str | None = None

    def __post_init__(self) -> None:
        if self.since.tzinfo is None or self.until.tzinfo is None:
            object.__setattr__(self, "since", utc(self.since))
            object.__setattr__(self, "until", utc(self.until))
        if self.since >= self.until:
            raise InvalidInput(f"since ({iso(self.since)}) must be before until "
                               f"({iso(self.until)})")
        buckets = (self.until - self.since) / _BUCKET_SIZE[self.bucket]
        if buckets > MAX_BUCKETS:
            raise InvalidInput(f"{buckets:.0f} {self.bucket.value}s is too long for one "
                               f"answer (at most {MAX_BUCKETS}); use a larger bucket or "
                               "a shorter range")


def counts(session: Session, divisions: Divisions, scope: Scope, query: CountQuery
           ) -> dict[str, Any]:
    """Counts summed per group, bucket, kind and class, and totals per group.

    ``in_count``/``out_count`` are sums (line crossings, or zone visits begun and ended);
    ``occupancy_max`` is the busiest single zone's peak within the group and bucket.
    """
    key_columns = {CountsBy.CAMERA: (Camera.device_id, Camera.name),
                   CountsBy.PLACE: (Camera.place_type,),
                   CountsBy.CITY: (Camera.admin_code,),
                   CountsBy.COUNTY: (Camera.admin_code,)}[query.by]
    bucket, parse = _bucket_sql(session.get_bind().dialect.name, query.bucket)
    statement = (
        select(*key_columns, bucket.label("minute"), CountMinute.kind, CountMinute.class_name,
               func.sum(CountMinute.in_count).label("in_count"),
               func.sum(CountMinute.out_count).label("out_count"),
               func.max(CountMinute.occupancy_max).label("occupancy_max"))
        .join(Camera, Camera.device_id == CountMinute.device_id)
        .where(scope.camera_condition(), query.places.camera_condition(),
               CountMinute.minute >= utc(query.since), CountMinute.minute < utc(query.until))
        .group_by(*key_columns, bucket, CountMinute.kind, CountMinute.class_name))
    if query.classes:
        statement = statement.where(CountMinute.class_name.in_(query.classes))
    if query.kind:
        statement = statement.where(CountMinute.kind == query.kind)
    if query.device_id:
        statement = statement.where(CountMinute.device_id == query.device_id)
    # Buckets as naive UTC: PostgreSQL answers timestamps, SQLite text.
    raw = [(*r[:-6], parse(r.minute), *r[-5:]) for r in session.execute(statement)]
    frame = _with_group(pl.DataFrame(raw, orient="row", schema=_raw_schema(query.by)),
                        query.by, divisions)
    series = (frame.with_columns(pl.col("minute").dt.truncate(_BUCKET_EVERY[query.bucket])
                                 .alias("time"))
              .group_by("key", "name", "time", "kind", "class_name")
              .agg(pl.col("in_count").sum(), pl.col("out_count").sum(),
                   pl.col("occupancy_max").max())
              .sort("key", "time", "kind", "class_name"))
    totals = (series.group_by("key", "name", "kind", "class_name")
              .agg(pl.col("in_count").sum(), pl.col("out_count").sum(),
                   pl.col("occupancy_max").max())
              .sort("key", "kind", "class_name"))
    rows = [{**r, "time": iso(r["time"])} for r in series.to_dicts()]
    return {"by": query.by.value, "bucket": query.bucket.value, "since": iso(query.since),
            "until": iso(query.until), "rows": rows, "totals": totals.to_dicts()}


def _bucket_sql(dialect: str, bucket: Bucket
                ) -> tuple[ColumnElement[Any], Callable[[Any], datetime]]:
    """The minute truncated to its bucket in SQL, and how to read it back as naive UTC: the
    store sums a day of minutes into 24 hourly rows instead of handing over 1,440."""
    if dialect == "postgresql":
        truncated = func.date_trunc(bucket.value, func.timezone("UTC", CountMinute.minute))
        return truncated, _naive_utc
    # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff" (UTC, as written): a prefix is the bucket.
    width, tail = {Bucket.MINUTE: (16, ":00"), Bucket.HOUR: (13, ":00:00"),
                   Bucket.DAY: (10, " 00:00:00")}[bucket]
    return (func.substr(CountMinute.minute, 1, width),
            lambda text: datetime.fromisoformat(f"{text}{tail}"))


def _raw_schema(by: CountsBy) -> dict[str, Any]:
    keys: dict[str, Any] = ({"key": pl.String, "name": pl.String} if by is CountsBy.CAMERA
                            else {"key": pl.String})
    return {**keys, "minute": pl.Datetime("us"), "kind": pl.String, "class_name": pl.String,
            "in_count": pl.Int64, "out_count": pl.Int64, "occupancy_max": pl.Int64}


def _with_group(frame: pl.DataFrame, by: CountsBy, divisions: Divisions) -> pl.DataFrame:
    """Give every row its group's ``key`` and display ``name`` (city and county from the
    camera's admin code, so a village camera counts for its county and city)."""
    if by is CountsBy.CAMERA:
        return frame
    if by is CountsBy.PLACE:
        return frame.with_columns(pl.col("key").fill_null(EMPTY), pl.col("key").fill_null(EMPTY)
                                  .alias("name"))
    lookup = divisions.city_code if by is CountsBy.CITY else divisions.county_code
    codes = {c: lookup(c) for c in frame["key"].drop_nulls().unique().to_list()}
    names = {code: d.name for code in set(codes.values())
             if code is not None and (d := divisions.get(code)) is not None}
    mapped = frame["key"].replace_strict(codes, default=None, return_dtype=pl.String)
    return frame.with_columns(
        mapped.fill_null(UNKNOWN).alias("key"),
        mapped.replace_strict(names, default=None, return_dtype=pl.String)
        .fill_null(UNKNOWN).alias("name"))


# --- time ----------------------------------------------------------------------------


def utc(moment: datetime) -> datetime:
    """Aware UTC. A naive value is taken as UTC: SQLite hands timestamps back naive."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _naive_utc(moment: datetime) -> datetime:
    return utc(moment).replace(tzinfo=None)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else utc(moment).isoformat()

