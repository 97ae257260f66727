"""``vidgov subscriptions`` and ``vidgov events`` as an operator uses them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from catalog.builders import make_camera, write_csv_file
from vidgov.analytics.events import Event, EventKind
from vidgov.analytics.pipeline import SERIES_SCHEMA
from vidgov.services.analytics import record_run
from vidgov.store.db import open_store

from .conftest import Invoke


def a_camera(vidgov: Invoke) -> str:
    camera = make_camera(1)
    write_csv_file(Path("catalog.csv"), [camera])
    assert vidgov("catalog", "import", "catalog.csv").exit_code == 0
    return camera["device_id"]


def test_a_subscription_is_added_listed_and_disabled(vidgov: Invoke) -> None:
    camera = a_camera(vidgov)
    added = vidgov("subscriptions", "add", camera, "--scenario", "crowd",
                   "--zone", "plaza=0,150,768,150,768,576,0,576", "--line", "gate=420,576,420,150",
                   "--rate", "1", "--threshold", "people=12", "--threshold", "seconds=5",
                   "--json")
    assert added.exit_code == 0, added.stderr
    made = json.loads(added.stdout)
    assert (made["scenario"], made["thresholds"]) == ("crowd", {"people": 12, "seconds": 5})
    assert [z["id"] for z in made["zones"]] == ["plaza"]
    listed = vidgov("subscriptions", "list")
    assert camera in listed.stdout
    assert "people=12" in listed.stdout
    assert vidgov("subscriptions", "disable", str(made["id"])).exit_code == 0
    (row,) = json.loads(vidgov("subscriptions", "list", "--json").stdout)
    assert row["enabled"] is False


def test_bad_subscriptions_are_refused_in_one_line(vidgov: Invoke) -> None:
    camera = a_camera(vidgov)
    zone = "0,0,100,0,100,100"
    for args, message in [
        (["--scenario", "crowd", "--zone", zone, "--threshold", "peple=3"], "peple"),
        (["--scenario", "crowd", "--zone", zone, "--threshold", "people=lots"], "NAME=NUMBER"),
        (["--scenario", "crowd", "--line", "0,0,10,10"], "needs at least one zone"),
        (["--scenario", "count", "--zone", zone, "--threshold", "people=3"], "no thresholds"),
        (["--zone", zone, "--rate", "0"], "sample rate"),
    ]:
        result = vidgov("subscriptions", "add", camera, *args)
        assert result.exit_code != 0, args
        assert message in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    missing = vidgov("subscriptions", "add", "45010300001320099999", "--zone", zone)
    assert missing.exit_code != 0
    assert "45010300001320099999" in missing.stderr
    assert json.loads(vidgov("subscriptions", "list", "--json").stdout) == []


def two_crowd_events(vidgov: Invoke, database_url: str) -> str:
    """Two crowd events of a catalogued camera (its device ID returned), 10:00:10 and
    10:05:00, as live analytics stores them."""
    camera = a_camera(vidgov)
    events = [Event(EventKind.CROWD, camera, "plaza", s, s + 20, 14.0, 10.0, ("person",),
                    (1, 2), {"reason": "sustained"}) for s in (10.0, 300.0)]
    with Session(open_store(database_url)) as session, session.begin():
        record_run(session, camera, datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
                   pl.DataFrame(schema=SERIES_SCHEMA), events)
    return camera


def test_events_are_listed_newest_first(vidgov: Invoke, database_url: str) -> None:
    two_crowd_events(vidgov, database_url)
    shown = vidgov("events", "list")
    assert shown.exit_code == 0, shown.stderr
    assert "crowd" in shown.stdout
    found = json.loads(vidgov("events", "list", "--json", "--kind", "crowd").stdout)
    assert found["total"] == 2
    assert [e["started_at"][:19] for e in found["items"]] == [
        "2026-12-01T10:05:00", "2026-12-01T10:00:10"]
    assert json.loads(vidgov("events", "list", "--json", "--kind", "stopped").stdout)[
        "total"] == 0


def test_events_export_as_gat1400_style_json_lines(vidgov: Invoke, database_url: str,
                                                  tmp_path: Path) -> None:
    camera = two_crowd_events(vidgov, database_url)
    result = vidgov("events", "export", "events.jsonl", "--kind", "crowd")
    assert result.exit_code == 0, result.stderr
    assert "2 events" in result.stdout
    lines = [json.loads(line) for line in
             (tmp_path / "events.jsonl").read_text("utf-8").splitlines()]
    assert [e["BeginTime"][:19] for e in lines] == ["2026-12-01T10:05:00",
                                                     "2026-12-01T10:00:10"]
    first = lines[0]
    assert (first["ObjectType"], first["EventType"], first["DeviceID"]) == (
        "Event", "crowd", camera)
    assert first["EndTime"][:19] == "2026-12-01T10:05:20"
    assert (first["PeakValue"], first["Threshold"], first["TrackIDList"]) == (14.0, 10.0, [1, 2])
    assert len({e["EventID"] for e in lines}) == 2
    assert first["HasSnapshot"] is False
    missing = vidgov("events", "export", "nowhere/events.jsonl")
    assert missing.exit_code != 0
    assert "does not exist" in missing.stderr
