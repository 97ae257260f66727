"""Analytics in the store, on SQLite and PostgreSQL: runs recorded on wall-clock minutes,
re-delivery that does not count twice, events announced once, and every query in scope."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import polars as pl
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from catalog.builders import make_camera, write_csv_file
from vidgov.analytics.events import Event, EventKind
from vidgov.analytics.models import CountMinute, WebhookDelivery
from vidgov.analytics.pipeline import SERIES_SCHEMA
from vidgov.catalog.importer import import_catalog
from vidgov.domain.divisions import load_divisions
from vidgov.errors import InvalidInput
from vidgov.services import analytics, events, subscriptions, webhooks
from vidgov.services.analytics import Bucket, CountQuery, CountsBy
from vidgov.services.events import EventQuery
from vidgov.services.records import NotFound
from vidgov.services.subscriptions import Line, SubscriptionSpec, Zone
from vidgov.sharing.accounts import Account
from vidgov.sharing.policy import Role, Scope, scope_of

CST = timezone(timedelta(hours=8))
#: 18:00:30 in Nanning is 10:00:30 UTC: minute 0 of a run lands on 10:00 UTC.
STARTED = datetime(2026, 12, 1, 18, 0, 30, tzinfo=CST)
MINUTE0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
NANNING_A, NANNING_B = "45010300001320000001", "45010300001320000002"
GUILIN = "45030200001320000020"


def camera_rows() -> list[dict[str, str]]:
    return [make_camera(1, place_type="广场"), make_camera(2, place_type="车站"),
            make_camera(20, device_id=GUILIN, admin_code="450302", place_type="广场",
                        longitude="110.2900", latitude="25.2800")]


def load_cameras(engine: Engine, folder: Path) -> None:
    import_catalog(engine, [write_csv_file(folder / "catalog.csv", camera_rows())])


def series(camera_id: str, rows: Sequence[tuple[int, str, str, str, int, int]]
           ) -> pl.DataFrame:
    """A pipeline series: (minute, kind, region, class, in, out) per row; zone rows get an
    occupancy equal to their in-count, line rows none (as the pipeline leaves them)."""
    full = [{**dict.fromkeys(SERIES_SCHEMA), "camera_id": camera_id, "minute": m, "kind": k,
             "region_id": r, "class_name": c, "in_count": i, "out_count": o,
             **({"occupancy_max": i, "occupancy_mean": i / 2, "dwell_s_mean": 4.0,
                 "dwell_s_max": 9.0} if k == "zone" else {})}
            for m, k, r, c, i, o in rows]
    return pl.DataFrame(full, schema=SERIES_SCHEMA)


def jpeg() -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((36, 64, 3), 90, np.uint8))
    assert ok
    return bytes(data)


def crowd(camera_id: str, started_s: float = 12.5, peak: float = 23.0,
          snapshot: bytes | None = None) -> Event:
    return Event(EventKind.CROWD, camera_id, "square", started_s, started_s + 40.0, peak, 20.0,
                 ("person",), (3, 5, 8), {"reason": "sustained"}, snapshot)


def account(username: str, scopes: Sequence[str], role: Role = Role.DEPARTMENT_USER
            ) -> Account:
    divisions = load_divisions()
    return Account(1, username, role, tuple(scopes), "公安局", None,
                   scope_of(scopes, None, role, divisions))


REGION = Scope.everything()
NANNING = Scope(("4501",))
GUILIN_SCOPE = Scope(("4503",))
GATE = [(0, "line", "gate", "person", 5, 2), (1, "line", "gate", "person", 3, 1),
        (1, "line", "gate", "car", 2, 0), (0, "zone", "square", "person", 7, 4)]


def record(engine: Engine, camera_id: str, rows: Sequence[tuple[int, str, str, str, int, int]],
           events: Sequence[Event] = (), started: datetime = STARTED,
           now: datetime | None = None) -> analytics.RunRecord:
    with Session(engine) as session, session.begin():
        return analytics.record_run(session, camera_id, started, series(camera_id, rows),
                                    events, now)


def count_answer(engine: Engine, scope: Scope, **query: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {"by": CountsBy.CAMERA, "since": MINUTE0 - timedelta(hours=1),
                                "until": MINUTE0 + timedelta(hours=1), "bucket": Bucket.MINUTE}
    with Session(engine) as session:
        return analytics.counts(session, load_divisions(), scope,
                                CountQuery(**{**defaults, **query}))


def totals(answer: dict[str, Any]) -> dict[tuple[str, str, str], tuple[int, int]]:
    return {(t["key"], t["kind"], t["class_name"]): (t["in_count"], t["out_count"])
            for t in answer["totals"]}


def test_a_run_lands_on_wall_clock_minutes_and_redelivery_replaces(
        store: Engine, tmp_path: Path) -> None:
    load_cameras(store, tmp_path)
    first = record(store, NANNING_A, GATE)
    assert first.count_rows == 4
    record(store, NANNING_A, GATE)  # the worker restarted and sent the same run again
    with Session(store) as session:
        assert session.scalar(select(func.count()).select_from(CountMinute)) == 4
    answer = count_answer(store, REGION)
    assert {(r["time"], r["kind"], r["class_name"], r["in_count"], r["out_count"])
            for r in answer["rows"]} == {
        (MINUTE0.isoformat(), "line", "person", 5, 2),
        ((MINUTE0 + timedelta(minutes=1)).isoformat(), "line", "car", 2, 0),
        ((MINUTE0 + timedelta(minutes=1)).isoformat(), "line", "person", 3, 1),
        (MINUTE0.isoformat(), "zone", "person", 7, 4)}
    assert totals(answer)[NANNING_A, "line", "person"] == (8, 3)
    # A corrected re-delivery replaces the minute's values.
    record(store, NANNING_A, [(0, "line", "gate", "person", 6, 2)])
    assert totals(count_answer(store, REGION))[NANNING_A, "line", "person"] == (9, 3)


def test_hourly_buckets_add_the_minutes_up(store: Engine, tmp_path: Path) -> None:
    load_cameras(store, tmp_path)
    record(store, NANNING_A, GATE)
    record(store, NANNING_A, [(0, "line", "gate", "person", 4, 4)],
           started=STARTED + timedelta(hours=1))
    rows = count_answer(store, REGION, bucket=Bucket.HOUR, kind="line",
                        classes=("person",), until=MINUTE0 + timedelta(hours=3))["rows"]
    assert [(r["time"], r["in_count"], r["out_count"]) for r in rows] == [
        (MINUTE0.isoformat(), 8, 3), ((MINUTE0 + timedelta(hours=1)).isoformat(), 4, 4)]


def test_counts_by_city_county_and_place_stay_inside_the_scope(
        store: Engine, tmp_path: Path) -> None:
    load_cameras(store, tmp_path)
    record(store, NANNING_A, GATE)
    record(store, NANNING_B, [(0, "line", "gate", "person", 10, 0)])
    record(store, GUILIN, [(0, "line", "door", "person", 100, 50)])
    cities = totals(count_answer(store, REGION, by=CountsBy.CITY, kind="line",
                                 classes=("person",)))
    assert cities == {("450100", "line", "person"): (18, 3),
                      ("450300", "line", "person"): (100, 50)}
    names = {t["name"] for t in count_answer(store, REGION, by=CountsBy.CITY)["totals"]}
    assert names == {"南宁市", "桂林市"}
    nanning = count_answer(store, NANNING, by=CountsBy.CITY)
    assert {t["name"] for t in nanning["totals"]} == {"南宁市"}
    guilin = count_answer(store, GUILIN_SCOPE, by=CountsBy.COUNTY)
    assert totals(guilin) == {("450302", "line", "person"): (100, 50)}
    assert guilin["totals"][0]["name"] == "秀峰区"
    places = totals(count_answer(store, NANNING, by=CountsBy.PLACE, kind="line",
                                 classes=("person",)))
    assert places == {("广场", "line", "person"): (8, 3), ("车站", "line", "person"): (10, 0)}
    # Guilin's camera asked for by ID from a Nanning scope: nothing, not an error.
    assert count_answer(store, NANNING, device_id=GUILIN)["totals"] == []
    # Time filters: the hour before the run holds nothing.
    assert count_answer(store, REGION, since=MINUTE0 - timedelta(hours=1),
                        until=MINUTE0)["rows"] == []


def test_events_are_stored_in_wall_clock_time_and_announced_once(
        store: Engine, tmp_path: Path) -> None:
    load_cameras(store, tmp_path)
    with Session(store) as session, session.begin():
        nanning_crowd, _ = webhooks.create_webhook(
            session, account("nn", ["450100"]), "南宁指挥中心", "http://127.0.0.1:9/hook",
            ["crowd"])
        webhooks.create_webhook(session, account("gl", ["450300"]), "桂林",
                                "http://127.0.0.1:9/gl", ["crowd"])
        webhooks.create_webhook(session, account("nn2", ["450100"]), "交警",
                                "http://127.0.0.1:9/tj", ["congestion"])
    done = record(store, NANNING_A, GATE, [crowd(NANNING_A, snapshot=jpeg())])
    assert (done.events_new, done.events_updated, done.deliveries) == (1, 0, 1)
    again = record(store, NANNING_A, GATE, [crowd(NANNING_A, peak=25.0, snapshot=jpeg())])
    assert (again.events_new, again.events_updated, again.deliveries) == (0, 1, 0)
    with Session(store) as session:
        deliveries = session.scalars(select(WebhookDelivery)).all()
        assert [d.webhook_id for d in deliveries] == [nanning_crowd["id"]]
        page = events.event_page(session, load_divisions(), NANNING, EventQuery(), 1, 10)
    assert page.total == 1
    event = page.items[0]
    assert event["started_at"] == "2026-12-01T10:00:42.500000+00:00"
    assert event["duration_s"] == 40.0
    assert (event["peak"], event["threshold"], event["city"]) == (25.0, 20.0, "南宁市")
    assert event["track_ids"] == [3, 5, 8]
    assert event["snapshot_url"] == f"/api/analytics/events/{event['id']}/snapshot"


def test_events_and_their_pictures_outside_the_scope_are_not_found(
        store: Engine, tmp_path: Path) -> None:
    load_cameras(store, tmp_path)
    record(store, NANNING_A, [], [crowd(NANNING_A, snapshot=jpeg())])
    record(store, GUILIN, [], [crowd(GUILIN, started_s=300.0)])
    divisions = load_divisions()
    with Session(store) as session:
        guilin = events.event_page(session, divisions, GUILIN_SCOPE, EventQuery(), 1, 10)
        assert [e["device_id"] for e in guilin.items] == [GUILIN]
        assert guilin.items[0]["snapshot_url"] is None
        everything = events.event_page(session, divisions, REGION, EventQuery(), 1, 10)
        assert [e["device_id"] for e in everything.items] == [GUILIN, NANNING_A]  # newest first
        nanning_event = everything.items[1]["id"]
        assert events.event_snapshot(session, NANNING, nanning_event)[:2] == b"\xff\xd8"
        with pytest.raises(NotFound):
            events.event_snapshot(session, GUILIN_SCOPE, nanning_event)
        with pytest.raises(NotFound):
            events.event_detail(session, divisions, GUILIN_SCOPE, nanning_event)
        later = events.event_page(session, divisions, REGION, EventQuery(
            since=MINUTE0 + timedelta(minutes=2)), 1, 10)
        assert [e["device_id"] for e in later.items] == [GUILIN]
        crowds = events.event_page(session, divisions, REGION,
                                      EventQuery(kind=EventKind.STOPPED), 1, 10)
        assert crowds.total == 0


@pytest.mark.parametrize(("change", "message"), [
    ({"started": datetime(2026, 12, 1, 10, 0)}, "time zone"),
    ({"camera": "45010300001320099999"}, "no camera"),
    ({"rows_of": GUILIN}, "holds rows of"),
    ({"event_of": GUILIN}, "include events of"),
])
def test_record_run_refuses_what_it_cannot_store(sqlite_engine: Engine, tmp_path: Path,
                                                 change: dict[str, Any], message: str) -> None:
    load_cameras(sqlite_engine, tmp_path)
    camera = change.get("camera", NANNING_A)
    with Session(sqlite_engine) as session, pytest.raises(InvalidInput, match=message):
        analytics.record_run(session, camera, change.get("started", STARTED),
                             series(change.get("rows_of", camera), GATE),
                             [crowd(change.get("event_of", camera))])
    with Session(sqlite_engine) as session, pytest.raises(InvalidInput, match="lacks columns"):
        analytics.record_run(session, NANNING_A, STARTED,
                             series(NANNING_A, GATE).drop("dwell_s_max"), [])


SQUARE = Zone("square", ((0, 0), (100, 0), (100, 80), (0, 80)))
GATE_LINE = Line("gate", (10, 200), (600, 200))


@pytest.mark.parametrize(("spec", "message"), [
    ({"scenario": "dance", "zones": (SQUARE,)}, "unknown scenario 'dance'"),
    ({"scenario": "count"}, "needs at least one line or zone"),
    ({"scenario": "crowd", "lines": (GATE_LINE,)}, "crowd needs at least one zone"),
    ({"scenario": "count", "lines": (Line("a", (1, 1), (1, 1)),)}, "same point"),
    ({"scenario": "count", "lines": (GATE_LINE,), "zones": (Zone("gate", SQUARE.points),)},
     "must differ"),
    ({"scenario": "count", "zones": (Zone("z", ((0, 0), (5, 5), (9, 9))),)}, "has no area"),
    ({"scenario": "count", "zones": (Zone("z", ((0, 0), (5, 5))),)}, "at least 3 points"),
    ({"scenario": "count", "zones": (Zone("z", ((0, 0), (-5, 5), (9, 0))),)}, "source pixels"),
    ({"scenario": "count", "zones": (Zone("a b", SQUARE.points),)}, "bad region id"),
    ({"scenario": "count", "zones": (SQUARE,), "sample_rate_fps": 0.0}, "sample rate"),
    ({"scenario": "count", "zones": (SQUARE,), "sample_rate_fps": 31.0}, "sample rate"),
    ({"scenario": "crowd", "zones": (SQUARE,), "thresholds": {"people": -1}}, "0 or more"),
])
def test_subscription_rules(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        SubscriptionSpec(**spec)


def test_subscriptions_are_made_changed_and_stopped_inside_the_scope(
        store: Engine, tmp_path: Path) -> None:
    load_cameras(store, tmp_path)
    spec = SubscriptionSpec("crowd", zones=(SQUARE,), sample_rate_fps=2.0,
                            thresholds={"people": 20, "seconds": 30})
    with Session(store) as session, session.begin():
        made = subscriptions.create_subscription(session, NANNING, NANNING_A, spec, "nn")
        with pytest.raises(NotFound):
            subscriptions.create_subscription(session, NANNING, GUILIN, spec, "nn")
    assert made["zones"] == [{"id": "square", "points": [[0, 0], [100, 0], [100, 80], [0, 80]]}]
    with Session(store) as session, session.begin():
        with pytest.raises(InvalidInput, match="crowd needs at least one zone"):
            subscriptions.update_subscription(session, NANNING, made["id"], {"zones": []})
        changed = subscriptions.update_subscription(session, NANNING, made["id"],
                                                {"sample_rate_fps": 5.0})
        assert (changed["sample_rate_fps"], changed["zones"]) == (5.0, made["zones"])
        with pytest.raises(NotFound):
            subscriptions.get_subscription(session, GUILIN_SCOPE, made["id"])
        assert subscriptions.list_subscriptions(session, GUILIN_SCOPE) == []
        subscriptions.disable_subscription(session, NANNING, made["id"])
    with Session(store) as session:
        assert subscriptions.list_subscriptions(session, REGION, enabled=True) == []
        stopped = subscriptions.list_subscriptions(session, REGION)
        assert [(s["id"], s["enabled"], s["camera_name"]) for s in stopped] == [
            (made["id"], False, make_camera(1)["name"])]


def test_a_range_too_long_for_its_bucket_is_refused() -> None:
    with pytest.raises(InvalidInput, match="too long"):
        CountQuery(CountsBy.CITY, MINUTE0, MINUTE0 + timedelta(days=30), Bucket.MINUTE)
    with pytest.raises(InvalidInput, match="must be before"):
        CountQuery(CountsBy.CITY, MINUTE0, MINUTE0)
