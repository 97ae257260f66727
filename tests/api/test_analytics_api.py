"""Analytics through the API, as users of different scopes: counts and events of Nanning for a
Nanning user and never Guilin's, time filters, pictures behind the scope, subscriptions
refused with clear problems, and an event delivered to a webhook end to end."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from api.conftest import Estate, headers_for
from services.test_analytics_store import MINUTE0, STARTED, crowd, jpeg, series
from vidgov.analytics.detectors.base import CLASSES
from vidgov.analytics.events import Event
from vidgov.analytics.pipeline import Scenario
from vidgov.services import analytics
from vidgov.services.webhooks import DeliveryReport, UrllibPoster, deliver_due

RUN = [(0, "line", "gate", "person", 5, 2), (1, "line", "gate", "person", 3, 1),
       (1, "line", "gate", "car", 2, 0), (0, "zone", "square", "person", 7, 4)]
WINDOW = {"since": (MINUTE0 - timedelta(hours=1)).isoformat(),
          "until": (MINUTE0 + timedelta(hours=1)).isoformat()}
SQUARE = {"id": "square", "points": [[0, 0], [400, 0], [400, 300], [0, 300]]}


@dataclass(frozen=True)
class Seeded:
    nanning: str
    guilin: str


def _record(estate: Estate, camera: str, rows: list[tuple[int, str, str, str, int, int]],
            events: list[Event]) -> analytics.RunRecord:
    with Session(estate.engine) as session, session.begin():
        return analytics.record_run(session, camera, STARTED, series(camera, rows), events,
                                    now=MINUTE0 + timedelta(minutes=5))


@pytest.fixture(scope="module")
def seeded(estate: Estate) -> Seeded:
    """One run on a Nanning camera and one on a Guilin camera, each with a crowd event."""
    nanning, guilin = estate.nanning_ids[1], estate.guilin_ids[1]
    _record(estate, nanning, RUN, [crowd(nanning, snapshot=jpeg())])
    _record(estate, guilin, [(0, "line", "door", "person", 40, 30)],
            [crowd(guilin, started_s=200.0, peak=31.0, snapshot=jpeg())])
    return Seeded(nanning, guilin)


def _totals(answer: dict[str, Any]) -> dict[tuple[str, str, str], tuple[int, int]]:
    return {(t["name"], t["kind"], t["class_name"]): (t["in_count"], t["out_count"])
            for t in answer["totals"]}


def test_a_nanning_user_sees_nanning_counts_and_never_guilins(
        client: TestClient, seeded: Seeded) -> None:
    def cities(user: str) -> dict[tuple[str, str, str], tuple[int, int]]:
        answer = client.get("/api/analytics/counts", headers=headers_for(client, user),
                            params={"by": "city", "kind": "line", **WINDOW})
        assert answer.status_code == 200, answer.text
        return _totals(answer.json())

    assert cities("department_user") == {("南宁市", "line", "person"): (8, 3),
                                         ("南宁市", "line", "car"): (2, 0)}
    assert cities("guilin_operator") == {("桂林市", "line", "person"): (40, 30)}
    assert set(cities("region_admin")) == {("南宁市", "line", "person"),
                                           ("南宁市", "line", "car"),
                                           ("桂林市", "line", "person")}
    nanning = headers_for(client, "department_user")
    asked_for_guilin = client.get("/api/analytics/counts", headers=nanning, params={
        "by": "camera", "camera": seeded.guilin, **WINDOW}).json()
    assert (asked_for_guilin["rows"], asked_for_guilin["totals"]) == ([], [])
    guilin_city = client.get("/api/analytics/counts", headers=nanning,
                             params={"city": "桂林市", **WINDOW}).json()
    assert guilin_city["totals"] == []


def test_counts_follow_the_time_and_class_filters(client: TestClient, seeded: Seeded) -> None:
    headers = headers_for(client, "operator")
    per_minute = client.get("/api/analytics/counts", headers=headers, params={
        "by": "camera", "bucket": "minute", "class": ["person"], "kind": "line",
        **WINDOW}).json()
    assert [(r["key"], r["time"], r["in_count"]) for r in per_minute["rows"]] == [
        (seeded.nanning, MINUTE0.isoformat(), 5),
        (seeded.nanning, (MINUTE0 + timedelta(minutes=1)).isoformat(), 3)]
    second_minute = client.get("/api/analytics/counts", headers=headers, params={
        "by": "camera", "bucket": "minute", "kind": "line",
        "since": (MINUTE0 + timedelta(minutes=1)).isoformat(),
        "until": (MINUTE0 + timedelta(minutes=2)).isoformat()}).json()
    assert _totals(second_minute) == {(per_minute["rows"][0]["name"], "line", "person"): (3, 1),
                                      (per_minute["rows"][0]["name"], "line", "car"): (2, 0)}
    # The default window is the last 24 hours: these runs are older.
    assert client.get("/api/analytics/counts", headers=headers).json()["totals"] == []
    backwards = client.get("/api/analytics/counts", headers=headers, params={
        "since": WINDOW["until"], "until": WINDOW["since"]})
    assert backwards.status_code == 422
    assert "must be before" in backwards.json()["detail"]


def test_events_and_their_pictures_stay_inside_the_scope(
        client: TestClient, seeded: Seeded) -> None:
    nanning, guilin = (headers_for(client, "department_user"),
                       headers_for(client, "guilin_operator"))
    seen = client.get("/api/analytics/events", headers=nanning).json()
    assert [e["device_id"] for e in seen["items"]] == [seeded.nanning]
    event = seen["items"][0]
    assert (event["kind"], event["city"], event["peak"]) == ("crowd", "南宁市", 23.0)
    picture = client.get(event["snapshot_url"], headers=nanning)
    assert picture.headers["content-type"] == "image/jpeg"
    assert picture.content[:2] == b"\xff\xd8"
    assert client.get(event["snapshot_url"], headers=guilin).status_code == 404
    assert client.get(f"/api/analytics/events/{event['id']}", headers=guilin).status_code == 404
    theirs = client.get("/api/analytics/events", headers=guilin).json()["items"]
    assert [e["device_id"] for e in theirs] == [seeded.guilin]
    assert client.get(theirs[0]["snapshot_url"], headers=nanning).status_code == 404
    later = client.get("/api/analytics/events", headers=headers_for(client, "region_admin"),
                       params={"since": (MINUTE0 + timedelta(minutes=2)).isoformat()}).json()
    assert [e["device_id"] for e in later["items"]] == [seeded.guilin]
    none = client.get("/api/analytics/events", headers=nanning, params={"kind": "stopped"})
    assert none.json()["total"] == 0


@pytest.mark.parametrize(("body", "fragment"), [
    ({"scenario": "crowd", "lines": [{"id": "g", "start": [0, 0], "end": [9, 9]}]},
     "crowd needs at least one zone"),
    ({"scenario": "count", "zones": [SQUARE, SQUARE]}, "must differ"),
    ({"scenario": "count", "lines": [{"id": "g", "start": [5, 5], "end": [5, 5]}]},
     "same point"),
    ({"scenario": "count", "zones": [{"id": "z", "points": [[0, 0], [1, 1], [2, 2]]}]},
     "has no area"),
    ({"scenario": "count", "zones": [{"id": "z", "points": [[0, 0], [1, 1]]}]},
     "zones.0.points"),
    ({"scenario": "count", "zones": [SQUARE], "sample_rate_fps": 0}, "sample_rate_fps"),
    ({"scenario": "dance", "zones": [SQUARE]}, "scenario"),
    ({"scenario": "count", "zones": [SQUARE], "colour": "red"}, "colour"),
    ({"scenario": "count", "zones": [{"id": "z", "points": [[0, 0], [-4, 0], [0, 4]]}]},
     "greater than or equal to 0"),
])
def test_a_bad_subscription_is_a_422_problem(client: TestClient, seeded: Seeded,
                                             body: dict[str, Any], fragment: str) -> None:
    answer = client.post("/api/analytics/subscriptions",
                         headers=headers_for(client, "department_user"),
                         json={"device_id": seeded.nanning, **body})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert fragment in answer.json()["detail"]


def test_subscriptions_are_made_changed_and_stopped_in_scope(
        client: TestClient, seeded: Seeded) -> None:
    headers = headers_for(client, "department_user")
    body = {"device_id": seeded.nanning, "scenario": "crowd", "zones": [SQUARE],
            "sample_rate_fps": 2, "thresholds": {"people": 20, "seconds": 30}}
    made = client.post("/api/analytics/subscriptions", headers=headers, json=body)
    assert made.status_code == 201, made.text
    sub = made.json()
    assert (sub["created_by"], sub["zones"], sub["enabled"]) == ("department_user", [SQUARE],
                                                                True)
    outside = client.post("/api/analytics/subscriptions", headers=headers,
                          json={**body, "device_id": seeded.guilin})
    assert outside.status_code == 404
    assert client.post("/api/analytics/subscriptions", headers=headers_for(client, "viewer"),
                       json=body).status_code == 403
    url = f"/api/analytics/subscriptions/{sub['id']}"
    changed = client.patch(url, headers=headers, json={"sample_rate_fps": 5}).json()
    assert (changed["sample_rate_fps"], changed["thresholds"]) == (5.0, body["thresholds"])
    assert client.get(url, headers=headers_for(client, "guilin_operator")).status_code == 404
    stopped = client.delete(url, headers=headers)
    assert stopped.json()["enabled"] is False
    listed = client.get("/api/analytics/subscriptions", headers=headers,
                        params={"camera": seeded.nanning}).json()
    assert [(s["id"], s["enabled"]) for s in listed] == [(sub["id"], False)]


class _Receiver(BaseHTTPRequestHandler):
    received: typing.ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers.items()), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/events"
    server.shutdown()
    server.server_close()


def test_a_crowd_reaches_a_webhook_and_its_picture_is_fetched_through_the_api(
        client: TestClient, estate: Estate, seeded: Seeded, receiver_url: str) -> None:
    """The done-when path without the camera: a subscription, a run recorded as the worker
    will, the webhook told, the picture fetched with the subscriber's own token."""
    headers = headers_for(client, "department_user")
    hook = client.post("/api/analytics/webhooks", headers=headers, json={
        "name": "南宁市应急指挥中心", "url": receiver_url, "event_kinds": ["crowd"]})
    assert hook.status_code == 201, hook.text
    secret = hook.json()["secret"]
    hook_id = hook.json()["id"]
    listed = client.get("/api/analytics/webhooks", headers=headers).json()
    assert "secret" not in listed[0]
    assert client.get("/api/analytics/webhooks",
                      headers=headers_for(client, "guilin_operator")).json() == []
    client.post("/api/analytics/subscriptions", headers=headers, json={
        "device_id": seeded.nanning, "scenario": "crowd", "zones": [SQUARE]})

    later = crowd(seeded.nanning, started_s=1800.0, peak=42.0, snapshot=jpeg())
    _record(estate, seeded.nanning, [(30, "zone", "square", "person", 42, 0)], [later])
    _record(estate, seeded.guilin, [], [crowd(seeded.guilin, started_s=1800.0)])
    _Receiver.received.clear()
    factory = sessionmaker(estate.engine, expire_on_commit=False)
    report = deliver_due(factory, MINUTE0 + timedelta(minutes=6), UrllibPoster(),
                         base_url=str(client.base_url))
    assert report == DeliveryReport(delivered=1)  # Guilin's crowd is not this hook's business
    (sent_headers, body), = _Receiver.received
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(sent_headers["X-Vidgov-Signature"], expected)
    event = json.loads(body)["event"]
    assert (event["device_id"], event["peak"]) == (seeded.nanning, 42.0)
    picture = client.get(event["snapshot_url"], headers=headers)
    assert picture.content[:2] == b"\xff\xd8"
    deliveries = client.get(f"/api/analytics/webhooks/{hook_id}/deliveries",
                            headers=headers).json()
    assert [(d["status"], d["attempts"], d["last_status"]) for d in deliveries] == [
        ("delivered", 1, 200)]
    assert client.delete(f"/api/analytics/webhooks/{hook_id}",
                         headers=headers).status_code == 204
    assert client.get(f"/api/analytics/webhooks/{hook_id}", headers=headers).status_code == 404


def test_a_webhook_must_be_an_http_address(client: TestClient) -> None:
    headers = headers_for(client, "operator")
    for url in ("ftp://127.0.0.1/x", "127.0.0.1:8080", "http://"):
        answer = client.post("/api/analytics/webhooks", headers=headers,
                             json={"name": "x", "url": url})
        assert answer.status_code == 422, url
    wrong_kind = client.post("/api/analytics/webhooks", headers=headers, json={
        "name": "x", "url": "http://127.0.0.1:9/", "event_kinds": ["party"]})
    assert wrong_kind.status_code == 422


def test_the_schema_names_every_scenario_and_class(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    published = schemas["SubscriptionCreate"]["properties"]["scenario"]["enum"]
    assert published == [s.value for s in Scenario]  # what the pipeline can run, no more
    counts = client.get("/openapi.json").json()["paths"]["/api/analytics/counts"]["get"]
    classes = next(p for p in counts["parameters"] if p["name"] == "class")
    assert json.dumps(classes["schema"]).count('"enum"') == 1
    assert list(CLASSES) == next(iter(_enums(classes["schema"])))


def _enums(schema: Any) -> Iterator[list[str]]:
    if isinstance(schema, dict):
        if "enum" in schema:
            yield schema["enum"]
        for value in schema.values():
            yield from _enums(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _enums(value)
