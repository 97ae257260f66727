"""Lines and zones: parsing the user's text, directions, per-minute buckets, occupancy, dwell."""

from __future__ import annotations

import pytest

from vidgov.analytics.pipeline import AnalysisOptions
from vidgov.analytics.zones import (
    LineCounter,
    LineSpec,
    ZoneCounter,
    ZoneSpec,
    parse_line,
    parse_zone,
)
from vidgov.errors import InvalidInput

from .builders import detections


@pytest.mark.parametrize(("text", "expected"), [
    ("0,10,200,10", LineSpec("l1", (0, 10), (200, 10))),
    ("gate=1.5,2,3,4", LineSpec("gate", (1.5, 2), (3, 4))),
    ("东门=0,0,5,5", LineSpec("东门", (0, 0), (5, 5))),
])
def test_parse_line(text: str, expected: LineSpec) -> None:
    assert parse_line(text, "l1") == expected


@pytest.mark.parametrize(("text", "message"), [
    ("1,2,3", "expected x1,y1,x2,y2 \\(4 numbers\\), got 3"),
    ("1,2,3,x", "expected numbers separated by commas"),
    ("1,2,1,2", "same point"),
    ("-1,2,3,4", "0 or more"),
    ("a b=1,2,3,4", "bad line id 'a b'"),
    ("", "expected numbers"),
])
def test_parse_line_errors_quote_the_input(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_line(text, "l1")


def test_parse_zone() -> None:
    assert parse_zone("z=0,0,10,0,10,10", "zone1") == ZoneSpec("z", ((0, 0), (10, 0), (10, 10)))
    with pytest.raises(InvalidInput, match="at least 3 vertices, got 4 numbers"):
        parse_zone("0,0,10,0", "zone1")
    with pytest.raises(InvalidInput, match="got 7 numbers"):
        parse_zone("0,0,10,0,10,10,5", "zone1")


def test_options_refuse_duplicate_ids_and_unknown_classes() -> None:
    line = LineSpec("a", (0, 0), (1, 1))
    with pytest.raises(InvalidInput, match="ids must differ"):
        AnalysisOptions(lines=(line,), zones=(ZoneSpec("a", ((0, 0), (1, 0), (1, 1))),))
    with pytest.raises(InvalidInput, match="unknown classes \\['dog'\\]"):
        AnalysisOptions(classes=frozenset({"dog"}))
    with pytest.raises(InvalidInput, match="1 or more"):
        AnalysisOptions(every=0)


def walk(counter: LineCounter | ZoneCounter, xs: list[float], t0_s: float, track_id: int,
         class_id: int = 0, dt_s: float = 1.0) -> None:
    """One object at x positions (y fixed), one frame per ``dt_s``."""
    for i, x in enumerate(xs):
        counter.observe(t0_s + i * dt_s, detections([(x - 5, 100, x + 5, 140)],
                                                    classes=[class_id], tracker_ids=[track_id]))


def test_line_directions_classes_and_minutes() -> None:
    # A vertical line drawn upwards: 'in' is leftwards (right-hand side to left-hand side).
    counter = LineCounter(LineSpec("gate", (50, 200), (50, 0)))
    walk(counter, [80, 70, 60, 40, 30], t0_s=10, track_id=1)               # person in, minute 0
    walk(counter, [20, 40, 60, 80], t0_s=58, track_id=2, class_id=2)       # car out, minute 1
    walk(counter, [90, 60, 30], t0_s=125, track_id=3)                      # person in, minute 2
    assert counter.totals() == {"person": {"in": 2, "out": 0}, "car": {"in": 0, "out": 1}}
    rows = [r for r in counter.rows() if r["in_count"] or r["out_count"]]
    assert [(r["minute"], r["class_name"], r["in_count"], r["out_count"]) for r in rows] == [
        (0, "person", 1, 0), (1, "car", 0, 1), (2, "person", 1, 0)]
    assert len(counter.rows()) == 3 * 6  # every minute × every class, zeros included


def test_turning_back_before_the_line_is_not_a_crossing() -> None:
    counter = LineCounter(LineSpec("gate", (50, 200), (50, 0)))
    walk(counter, [90, 70, 60, 58, 70, 90], t0_s=0, track_id=1)
    assert counter.totals() == {}


def test_zone_occupancy_and_dwell() -> None:
    zone = ZoneCounter(ZoneSpec("square", ((0, 0), (100, 0), (100, 200), (0, 200))), gap_s=1.0)
    # t = 0..9 s: track 1 inside from 0 to 4 s, then outside; track 2 inside from 2 to 9 s,
    # unseen at 5 s (one missed detection must not split its visit).
    for t in range(10):
        boxes, ids = [], []
        if t <= 4:
            boxes.append((40, 100, 50, 150))
            ids.append(1)
        else:
            boxes.append((140, 100, 150, 150))
            ids.append(1)
        if t >= 2 and t != 5:
            boxes.append((60, 100, 70, 150))
            ids.append(2)
        zone.observe(float(t), detections(boxes, tracker_ids=ids))
    person = next(r for r in zone.rows() if r["class_name"] == "person")
    assert person["occupancy_max"] == 2
    assert person["occupancy_mean"] == pytest.approx((1 + 1 + 3 * 2 + 0 + 4 * 1) / 10)
    assert person["in_count"] == 2          # two visits began
    assert person["out_count"] == 2         # both ended (track 2 at the end of the run)
    assert person["dwell_s_max"] == pytest.approx(7.0)   # track 2: 2 s to 9 s
    assert person["dwell_s_mean"] == pytest.approx((4.0 + 7.0) / 2)
