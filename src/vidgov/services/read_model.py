"""The cockpit's read model: the whole estate as frames, kept fresh without blocking requests.

KPIs, rates, map points, trends and scorecards aggregate every camera of a scope, and the
catalog and order lists need to know which rows match and how many. Reading 250,000 rows per
request would cost a quarter of a second, a ``count(*)`` or a ``LIKE '%…%'`` over them tens
to hundreds of milliseconds; instead one :class:`EstateView` per process keeps the labelled
catalog joined with each camera's latest health, the audit, the work orders and the daily
probe counts. Every answer is then a polars filter by the caller's
:class:`~vidgov.sharing.policy.Scope` and an aggregation: milliseconds. Aggregates are also
remembered per scope and filter until the frames change, since everyone of one scope asks
the same questions.

Freshness: at most every ``ttl_s`` seconds a background thread asks the store what changed
(a few index lookups: row counts, the newest probe, order event and catalog update) and
rebuilds only the parts that did, while requests keep reading the frames they have; the new
frames replace the old in one step. Probe counts per day grow by the new probe rows alone.
Requests wait only for the very first build and after :meth:`EstateView.invalidate`.
``ttl_s=0`` turns the read model off: every request rebuilds everything from the store.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final, TypeVar

import polars as pl
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from vidgov.catalog.audit import audit
from vidgov.catalog.models import Camera
from vidgov.catalog.store import read_cameras
from vidgov.domain.divisions import Divisions
from vidgov.domain.geo import Boundaries
from vidgov.maintenance.models import WorkOrderEvent
from vidgov.probing.models import HealthDaily, ProbeRecord
from vidgov.probing.rates import labelled_cameras, read_health
from vidgov.services.filters import PlaceFilter
from vidgov.sharing.policy import Scope
from vidgov.store.bulk import bulk_session

log = logging.getLogger("vidgov.cockpit")

T = TypeVar("T")
#: Remembered answers per frames; past this many, they are forgotten all at once.
MAX_ANSWERS: Final = 512
#: Selections of more rows than this are not remembered (memory: ~25 bytes a row).
MAX_REMEMBERED_ROWS: Final = 50_000
#: New probes are counted by their IDs; in PostgreSQL a transaction may commit IDs lower than
#: ones already counted (two sweeps at once), so while probes keep coming every day is
#: counted afresh this often (seconds).
RECOUNT_S: Final = 600.0
#: The columns scope and place filters look at.
PLACE_COLUMNS: Final = ("admin_code", "department", "maintenance_unit")


class CameraState:
    """Map colours: what a decision maker reads at a glance."""

    PLAYABLE = 0
    UNPLAYABLE = 1
    OFFLINE = 2
    UNPROBED = 3


@dataclass(frozen=True)
class Frames:
    """One consistent picture of the estate.

    ``cameras``: device_id, admin_code, department, maintenance_unit, city_code, county_code,
    city, county, level, longitude, latitude, name_lc and address_lc (lower-cased, for
    search), online, playable, state; sorted by device_id.
    ``findings``: device_id, code, severity, field, value, detail, suggestion, admin_code,
    maintenance_unit, city, county. ``audited``: per-camera completeness and validity,
    labelled like ``cameras``.
    ``orders``: id, device_id, status and the camera's admin_code, department and
    maintenance_unit; newest first.
    ``daily``: per day and (admin_code, department, maintenance_unit): probes, online,
    playable, from raw probes and rolled-up days alike.
    ``answers``: aggregates already computed from these frames, by question.
    """

    cameras: pl.DataFrame
    findings: pl.DataFrame
    audited: pl.DataFrame
    orders: pl.DataFrame
    daily: pl.DataFrame
    built_at: datetime
    answers: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)

    def remembered(self, key: Hashable, compute: Callable[[], T],
                   keep: Callable[[T], bool] = lambda _: True) -> T:
        """``compute()``, once per ``key`` for these frames when ``keep`` says so (callers
        must not mutate what they get). Two threads may compute the same answer at once;
        both get a right one."""
        try:
            value: T = self.answers[key]
            return value
        except KeyError:
            pass
        value = compute()
        if keep(value):
            if len(self.answers) >= MAX_ANSWERS:
                self.answers.clear()
            self.answers[key] = value
        return value

    def matching(self, key: Hashable, frame: pl.DataFrame, column: str,
                 conditions: list[pl.Expr]) -> pl.Series:
        """``column`` of the rows of ``frame`` meeting every condition, in frame order.

        Remembered per ``key`` when at most :data:`MAX_REMEMBERED_ROWS` rows match (a page
        through a broad selection costs no more than a filter on an integer column).
        """
        if not conditions:
            return frame.get_column(column)

        def compute() -> pl.Series:
            # One condition after the other, over just the columns they read: a text search
            # then scans only the rows the scope left, not the whole estate.
            names = {column} | {n for c in conditions for n in c.meta.root_names()}
            rows = frame.select(*(n for n in frame.columns if n in names))
            for condition in conditions:
                rows = rows.filter(condition)
            return rows.get_column(column)

        return self.remembered(key, compute, lambda rows: rows.len() <= MAX_REMEMBERED_ROWS)


@dataclass(frozen=True)
class _Versions:
    """What the store says about each part: a change in any field means rebuild that part."""

    catalog: tuple[Any, ...]
    health: tuple[Any, ...]
    orders: tuple[Any, ...]
    rolled: tuple[Any, ...]  # a roll-up moves probes into health_daily: recount every day
    newest_probe: int


@dataclass(frozen=True)
class _Catalog:
    cameras: pl.DataFrame  # labelled, placed, searchable; no health
    findings: pl.DataFrame
    audited: pl.DataFrame


@dataclass(frozen=True)
class _Parts:
    versions: _Versions
    catalog: _Catalog
    health: pl.DataFrame
    orders: pl.DataFrame  # id, device_id, status
    daily: pl.DataFrame
    recounted: float  # when the daily probe counts were last counted in full (clock s)
    frames: Frames


class EstateView:
    """Frames of the whole estate, shared by every request of one process."""

    def __init__(self, engine: Engine, divisions: Divisions, boundaries: Boundaries,
                 ttl_s: float = 15.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._engine, self._divisions, self._boundaries = engine, divisions, boundaries
        self._ttl_s, self._clock = ttl_s, clock
        self._lock = threading.Lock()        # guards the fields below
        self._build_lock = threading.Lock()  # one refresh at a time
        self._parts: _Parts | None = None
        self._checked: float = 0.0
        self._refreshing = False
        self._wanted = 0  # invalidations asked for ...
        self._done = 0    # ... and the last one a refresh has covered

    def frames(self) -> Frames:
        parts, wanted = self._parts, self._wanted
        if parts is None or self._ttl_s == 0 or self._done < wanted:
            return self._refresh(wanted, everything=self._ttl_s == 0).frames
        if self._clock() - self._checked > self._ttl_s:
            self._refresh_in_background()
        return parts.frames

    @property
    def ready(self) -> bool:
        """Whether the frames are built (requests then never wait for the store)."""
        return self._parts is not None

    def warm_up(self) -> None:
        """Build the frames in the background, so the first visitor after a start does not
        wait for them (seconds for a province)."""
        if self._ttl_s == 0:
            return

        def build() -> None:
            try:
                self.frames()
            except Exception:  # the first request will try again, and say what failed
                log.exception("could not build the estate view at start-up")

        threading.Thread(target=build, name="vidgov-estate-warm-up", daemon=True).start()

    def invalidate(self) -> None:
        """The store just changed under this process: the next request sees it."""
        with self._lock:
            self._wanted += 1

    def _refresh_in_background(self) -> None:
        with self._lock:
            if self._refreshing:
                return
            self._refreshing = True
            self._checked = self._clock()
        threading.Thread(target=self._refresh_quietly, name="vidgov-estate-view",
                         daemon=True).start()

    def _refresh_quietly(self) -> None:
        try:
            self._refresh(None)
        except Exception:  # the old frames keep serving; the next check tries again
            log.exception("could not refresh the estate view")
        finally:
            with self._lock:
                self._refreshing = False

    def _refresh(self, wanted: int | None, everything: bool = False) -> _Parts:
        """Bring the parts up to date; ``wanted``: the invalidations a waiting request needs
        covered (None: check the store in any case)."""
        with self._build_lock:
            parts = self._parts
            if (parts is not None and wanted is not None and not everything
                    and self._done >= wanted):
                return parts  # another request refreshed while this one waited
            generation = self._wanted
            started = time.perf_counter()
            parts = self._build(None if everything else parts)
            with self._lock:
                self._parts, self._checked = parts, self._clock()
                self._done = max(self._done, generation)
            if self._ttl_s:
                log.debug("estate view refreshed in %.2f s", time.perf_counter() - started)
            return parts

    def _build(self, old: _Parts | None) -> _Parts:
        """New parts from the store: only what changed since ``old`` (all of it without)."""
        versions = _read_versions(self._engine)
        if old is not None and old.versions == versions:
            return old
        catalog_changed = old is None or old.versions.catalog != versions.catalog
        catalog = self._build_catalog() if old is None or catalog_changed else old.catalog
        health = (read_health(self._engine).select("device_id", "online", "playable")
                  if old is None or old.versions.health != versions.health else old.health)
        orders = (_read_orders(self._engine)
                  if old is None or old.versions.orders != versions.orders else old.orders)
        cameras = _with_state(catalog.cameras, health) if (
            old is None or catalog is not old.catalog or health is not old.health
        ) else old.frames.cameras
        places = cameras.select("device_id", *PLACE_COLUMNS)
        now = self._clock()
        recounted = now if old is None else old.recounted
        if (old is None or catalog_changed or old.versions.rolled != versions.rolled
                or (versions.newest_probe != old.versions.newest_probe
                    and now - old.recounted > RECOUNT_S)):
            daily, recounted = _daily_counts(self._engine, places, None,
                                             versions.newest_probe), now
        elif versions.newest_probe != old.versions.newest_probe:
            daily = _add_daily(old.daily, _daily_counts(
                self._engine, places, old.versions.newest_probe, versions.newest_probe))
        else:
            daily = old.daily
        frames = Frames(
            cameras=cameras, findings=catalog.findings, audited=catalog.audited,
            orders=_placed_orders(orders, places) if (
                old is None or orders is not old.orders or cameras is not old.frames.cameras
            ) else old.frames.orders,
            daily=daily, built_at=datetime.now(UTC))
        return _Parts(versions, catalog, health, orders, daily, recounted, frames)

    def _build_catalog(self) -> _Catalog:
        catalog = read_cameras(self._engine)
        labelled = labelled_cameras(self._engine, self._divisions)
        cameras = labelled.join(
            catalog.select("device_id", "longitude", "latitude",
                           name_lc=pl.col("name").str.to_lowercase(),
                           address_lc=pl.col("address").str.to_lowercase()),
            on="device_id", how="left").sort("device_id")
        result = audit(catalog, self._divisions, self._boundaries, date.today())
        places = cameras.select("device_id", "admin_code", "maintenance_unit", "city",
                                "county", "department")
        findings = result.findings.join(places, on="device_id")
        audited = result.cameras.select("device_id", "completeness", "valid").join(
            places, on="device_id")
        return _Catalog(cameras, findings, audited)


def _read_versions(engine: Engine) -> _Versions:
    """What changed, in one round trip of index lookups and one small count.

    Every change the code makes leaves a mark here: an import stamps ``updated_at``; a sweep
    writes probe rows (new IDs) with each camera's latest state; every step of a work order
    is a new event; a roll-up deletes the oldest probes and writes ``health_daily``. The
    camera count catches a deletion.
    """
    def of(column: Any, table: Any = None) -> Any:
        query = select(column)
        return (query.select_from(table) if table is not None else query).scalar_subquery()

    with Session(engine) as session:
        cameras, updated, newest, oldest, rolled, events = session.execute(select(
            of(func.count(), Camera), of(func.max(Camera.updated_at)),
            of(func.max(ProbeRecord.id)), of(func.min(ProbeRecord.id)),
            of(func.count(), HealthDaily), of(func.max(WorkOrderEvent.id)))).one()
    # The audit depends on the date too (an install date in the future is a finding).
    return _Versions(catalog=(cameras, updated, date.today()), health=(newest,),
                     orders=(events,), rolled=(rolled, oldest), newest_probe=int(newest or 0))


def _with_state(cameras: pl.DataFrame, health: pl.DataFrame) -> pl.DataFrame:
    return (
        cameras.join(health, on="device_id", how="left").sort("device_id")
        .with_columns(state=pl.when(pl.col("online").is_null()).then(CameraState.UNPROBED)
                      .when(~pl.col("online")).then(CameraState.OFFLINE)
                      .when(~pl.col("playable")).then(CameraState.UNPLAYABLE)
                      .otherwise(CameraState.PLAYABLE))
    )


def _read_orders(engine: Engine) -> pl.DataFrame:
    with bulk_session(engine) as session:
        return session.read("SELECT id, device_id, status FROM work_order",
                            {"id": pl.Int64(), "device_id": pl.String(),
                             "status": pl.String()})


def _placed_orders(orders: pl.DataFrame, places: pl.DataFrame) -> pl.DataFrame:
    """Orders with their camera's place (an order's camera always exists: never deleted)."""
    return orders.join(places, on="device_id").sort("id", descending=True)


def _daily_counts(engine: Engine, places: pl.DataFrame, after_id: int | None, upto_id: int
                  ) -> pl.DataFrame:
    """Probes per day and place group: probe rows with after_id < id <= upto_id, and (for a
    full count, ``after_id`` None) the rolled-up days too. Summed in SQL per camera and day:
    the store hands over one row per camera-day, however many sweeps that day had."""
    where = f"id <= {int(upto_id)}" + (f" AND id > {int(after_id)}" if after_id else "")
    day = "substr(CAST(probed_at AS TEXT), 1, 10)"
    schema: dict[str, pl.DataType] = {"device_id": pl.String(), "day": pl.String(),
                                      "probes": pl.Int64(), "online": pl.Int64(),
                                      "playable": pl.Int64()}
    with bulk_session(engine) as session:
        parts = [session.read(
            f"SELECT device_id, {day} AS day, count(*) AS probes, "
            "sum(CASE WHEN online THEN 1 ELSE 0 END) AS online, "
            "sum(CASE WHEN playable THEN 1 ELSE 0 END) AS playable "
            f"FROM probe_result WHERE {where} GROUP BY device_id, {day}", schema)]
        if after_id is None:
            parts.append(session.read(
                "SELECT device_id, CAST(day AS TEXT) AS day, probes, online, playable "
                "FROM health_daily", schema))
    counts = pl.concat(parts).with_columns(pl.col("day").str.to_date())
    return _add_daily(_empty_daily(places), counts.join(places, on="device_id"))


def _empty_daily(places: pl.DataFrame) -> pl.DataFrame:
    return pl.DataFrame(schema={"day": pl.Date(), **{c: places.schema[c] for c in PLACE_COLUMNS},
                                "probes": pl.Int64(), "online": pl.Int64(),
                                "playable": pl.Int64()})


def _add_daily(daily: pl.DataFrame, more: pl.DataFrame) -> pl.DataFrame:
    columns = daily.columns
    return (pl.concat([daily, more.select(columns)])
            .group_by("day", *PLACE_COLUMNS)
            .agg(pl.col("probes").sum(), pl.col("online").sum(), pl.col("playable").sum())
            .select(columns))



def scope_conditions(scope: Scope, places: PlaceFilter) -> list[pl.Expr]:
    """The frame conditions of a scope and a place filter: none for all of the estate."""
    conditions = []
    if scope != Scope.everything():
        conditions.append(scope.frame_condition())
    if places != PlaceFilter():
        conditions.append(places.frame_condition())
    return conditions


def scoped(frame: pl.DataFrame, scope: Scope, places: PlaceFilter) -> pl.DataFrame:
    """The rows of ``frame`` the user may see and asked for."""
    conditions = scope_conditions(scope, places)
    return frame.filter(*conditions) if conditions else frame
