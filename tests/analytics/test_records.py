"""GA/T 1400-style records: one object per track from scripted tracks, events, JSON Lines."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
import supervision as sv

from vidgov.analytics.events import Event, EventKind
from vidgov.analytics.records import TrackLog, build_records, write_jsonl
from vidgov.analytics.zones import LineSpec
from vidgov.errors import InvalidInput

from .builders import detections

PERSON, BICYCLE, CAR, TRUCK = 0, 1, 2, 5
GATE = LineSpec("gate", (500, 700), (500, 0))  # drawn upwards: leftward walkers are 'in'


def walk() -> TrackLog:
    """Track 1, a person walking leftwards across the gate (x 600 → 400 in 2 s, 10 fps) whose
    best detection (0.95) is at 1.2 s; track 2, a vehicle called car 3 times and truck once."""
    log = TrackLog([GATE])
    for i in range(21):
        x = 600 - 10 * i
        boxes = [(x - 20, 300, x + 20, 400), (100, 100, 190, 160)]
        log.observe(i / 10, detections(
            boxes, scores=[0.95 if i == 12 else 0.7, 0.8],
            classes=[PERSON, TRUCK if i == 3 else CAR], tracker_ids=[1, 2])
            if i < 4 else detections(boxes[:1], scores=[0.95 if i == 12 else 0.7],
                                     classes=[PERSON], tracker_ids=[1]))
    return log


def test_one_object_per_track_with_its_best_box_and_crossings() -> None:
    person, vehicle = build_records(walk().tracks(), [], camera_id="45010200001310000001")
    assert person["ObjectType"] == "Person"
    assert person["PersonID"] == "45010200001310000001-000001"
    assert person["DeviceID"] == "45010200001310000001"
    assert (person["AppearSeconds"], person["DisappearSeconds"], person["ShotSeconds"]) == (
        0.0, 2.0, 1.2)
    assert (person["LeftTopX"], person["LeftTopY"], person["RightBtmX"],
            person["RightBtmY"]) == (460, 300, 500, 400)   # x = 480 at 1.2 s
    assert person["AppearTime"] is None                    # no start time given
    attributes = person["Attributes"]
    assert attributes["FramesSeen"] == 21
    assert attributes["BestScore"] == pytest.approx(0.95)
    assert attributes["MeanScore"] == pytest.approx((20 * 0.7 + 0.95) / 21, abs=1e-4)
    assert [(c["LineID"], c["Direction"]) for c in attributes["LineCrossings"]] == [
        ("gate", "in")]
    assert vehicle["ObjectType"] == "MotorVehicle"
    assert vehicle["MotorVehicleID"].endswith("-000002")
    assert vehicle["ClassName"] == "car"                   # the class it was given most
    assert vehicle["Attributes"]["LineCrossings"] == []


def test_times_are_iso_when_the_start_is_known() -> None:
    started = datetime.fromisoformat("2026-12-02T08:00:00+08:00")
    person = build_records(walk().tracks(), [], "cam", started_at=started)[0]
    assert person["AppearTime"] == "2026-12-02T08:00:00.000+08:00"
    assert person["ShotTime"] == "2026-12-02T08:00:01.200+08:00"
    assert person["DisappearTime"] == "2026-12-02T08:00:02.000+08:00"


@pytest.mark.parametrize(("class_id", "object_type", "id_field"), [
    (PERSON, "Person", "PersonID"), (BICYCLE, "NonMotorVehicle", "NonMotorVehicleID"),
    (CAR, "MotorVehicle", "MotorVehicleID"), (3, "MotorVehicle", "MotorVehicleID")])
def test_object_types(class_id: int, object_type: str, id_field: str) -> None:
    log = TrackLog()
    log.observe(0.0, detections([(0, 0, 10, 10)], classes=[class_id], tracker_ids=[4]))
    (record,) = build_records(log.tracks(), [], "cam")
    assert (record["ObjectType"], record[id_field]) == (object_type, "cam-000004")


def test_a_user_models_class_is_a_plain_object() -> None:
    log = TrackLog()
    tracked = sv.Detections(xyxy=np.array([[0, 0, 10, 10]], np.float32),
                            confidence=np.array([0.9], np.float32),
                            class_id=np.array([0]), tracker_id=np.array([4]),
                            data={"class_name": np.array(["garbage_pile"])})
    log.observe(0.0, tracked)
    (record,) = build_records(log.tracks(), [], "cam")
    assert (record["ObjectType"], record["ObjectID"], record["ClassName"]) == (
        "Object", "cam-000004", "garbage_pile")


def test_event_records_and_json_lines(tmp_path: Path) -> None:
    event = Event(kind=EventKind.STOPPED, camera_id="南宁-01", region_id="no_stop",
                  started_s=12.5, ended_s=50.0, peak=37.5, threshold=30.0,
                  class_names=("car",), track_ids=(7,), details={"reason": "dwell"},
                  snapshot_jpeg=b"\xff\xd8")
    records = build_records(walk().tracks(), [event], "南宁-01",
                            started_at=datetime(2026, 12, 2, 8, 0, 0))
    path = tmp_path / "records.jsonl"
    assert write_jsonl(records, path) == 3
    lines = path.read_text("utf-8").splitlines()
    assert "南宁-01" in lines[0]                       # readable, not \\u escapes
    parsed = [json.loads(line) for line in lines]
    assert parsed == records
    last = parsed[-1]
    assert last["ObjectType"] == "Event"
    assert (last["EventType"], last["RegionID"], last["TrackIDList"]) == (
        "stopped", "no_stop", [7])
    assert (last["BeginTime"], last["EndTime"]) == ("2026-12-02T08:00:12.500",
                                                    "2026-12-02T08:00:50.000")
    assert (last["PeakValue"], last["Threshold"], last["HasSnapshot"]) == (37.5, 30.0, True)
    assert "snapshot_jpeg" not in lines[-1]


def test_write_jsonl_into_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        write_jsonl([], tmp_path / "nowhere" / "r.jsonl")
