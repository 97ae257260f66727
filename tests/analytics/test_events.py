"""Events from tracked detections: scripted streams (tables) and a real crowd on vtest.

The scripted streams are built from boxes with fixed track ids, at 10 analysed frames a second,
so each expectation can be worked out by hand; the vtest case checks that NanoDet + ByteTrack
+ :class:`CrowdWatch` see the group a person sees (hand count below).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import takewhile
from pathlib import Path

import cv2
import numpy as np
import pytest
import supervision as sv
from pydantic import ValidationError

from vidgov.analytics.detect import NanoDet, NanoDetConfig
from vidgov.analytics.events import (
    CongestionConfig,
    CrowdConfig,
    Event,
    EventKind,
    StoppedConfig,
    Watch,
    snapshot,
)
from vidgov.analytics.pipeline import (
    TRACKING_SCORE_THRESHOLD,
    AnalysisOptions,
    AnalysisResult,
    Scenario,
    analyse,
)
from vidgov.analytics.video import VideoFrame, open_video
from vidgov.analytics.watches import (
    CongestionWatch,
    CrowdWatch,
    DwellWatch,
)
from vidgov.analytics.zones import ZoneSpec

from .builders import detections

FPS = 10
ZONE = ZoneSpec("square", ((100, 100), (900, 100), (900, 700), (100, 700)))
CAR, PERSON = 2, 0

Frames = list[tuple[float, sv.Detections]]


def people(counts: Iterable[int], inside: bool = True) -> Frames:
    """One frame per count (10 a second): that many standing people, ids 1…n, in a row
    inside the zone (or below it)."""
    y = 400 if inside else 760
    return [(i / FPS, detections([(120 + 40 * k, y - 80, 150 + 40 * k, y) for k in range(n)],
                                 tracker_ids=list(range(1, n + 1))))
            for i, n in enumerate(counts)]


def seconds(*segments: tuple[int, float]) -> list[int]:
    """``(count, seconds)`` segments as per-frame counts."""
    return [count for count, s in segments for _ in range(round(s * FPS))]


def run(watch: Watch, frames: Frames, picture: Callable[[], np.ndarray] | None = None,
        ) -> list[Event]:
    blank = np.zeros((48, 64, 3), np.uint8)
    for t_s, tracked in frames:
        watch.observe(t_s, tracked, picture or (lambda: blank))
    return watch.events()


def crowd(**config: object) -> CrowdWatch:
    return CrowdWatch(ZONE, CrowdConfig.model_validate({"growth_people": None, **config}),
                      camera_id="cam", redact=None)


# (case, per-frame counts, config, expected events as (reason, started_s, ended_s, peak)).
# Counts are the median of the last second (smooth_s = 1), so a change shows half a second
# late: 6 people from 2.0 s to 9.9 s are a crowd from 2.5 s to 10.4 s.
CROWD_CASES = [
    ("sustained", seconds((0, 2), (6, 8), (0, 6)), {"people": 5, "seconds": 3},
     [("sustained", 2.5, 10.4, 6.0)]),
    ("below the threshold", seconds((0, 2), (4, 8), (0, 6)), {"people": 5, "seconds": 3}, []),
    ("too short", seconds((0, 2), (6, 2.5), (0, 6)), {"people": 5, "seconds": 3}, []),
    ("a 2 s dip is the same crowd", seconds((6, 5), (2, 2), (6, 5), (0, 6)),
     {"people": 5, "seconds": 3, "clear_s": 3}, [("sustained", 0.0, 12.4, 6.0)]),
    ("a 5 s gap makes two", seconds((6, 5), (2, 5), (6, 5), (0, 6)),
     {"people": 5, "seconds": 3, "clear_s": 3},
     [("sustained", 0.0, 5.4, 6.0), ("sustained", 10.5, 15.4, 6.0)]),
    ("one missed person in 3 frames does not matter", [6 if i % 3 else 5 for i in range(80)]
     + [0] * 60, {"people": 6, "seconds": 3}, [("sustained", 0.4, 8.1, 6.0)]),
    ("sudden growth", seconds((1, 5), (9, 3), (0, 6)),
     {"people": 20, "seconds": 3, "growth_people": 6, "growth_window_s": 10},
     [("growth", 5.5, 8.4, 9.0)]),
    ("slow growth is not sudden", [1 + i // 30 for i in range(240)] + [0] * 60,
     {"people": 20, "seconds": 3, "growth_people": 6, "growth_window_s": 10}, []),
]


@pytest.mark.parametrize(("counts", "config", "expected"),
                         [c[1:] for c in CROWD_CASES], ids=[c[0] for c in CROWD_CASES])
def test_crowd(counts: list[int], config: dict[str, object],
               expected: list[tuple[str, float, float, float]]) -> None:
    events = run(crowd(**config), people(counts))
    got = [(e.details["reason"], round(e.started_s, 1), round(e.ended_s, 1), e.peak)
           for e in events]
    assert got == expected
    for event in events:
        assert event.kind == EventKind.CROWD
        assert event.region_id == "square"
        assert event.class_names == ("person",)
        assert event.threshold == config.get("growth_people" if event.details["reason"] ==
                                             "growth" else "people")
        assert event.track_ids == tuple(range(1, int(event.peak) + 1))


def test_crowd_counts_only_people_standing_in_the_zone() -> None:
    outside = people([8] * 60, inside=False)
    cars = [(t, detections(d.xyxy.tolist(), classes=[CAR] * len(d),
                           tracker_ids=list(range(1, len(d) + 1)))) for t, d in people([8] * 60)]
    assert run(crowd(people=5, seconds=3), outside) == []
    assert run(crowd(people=5, seconds=3), cars) == []


def vehicles(n: int, frames: int, speed_px_s: float, height: float = 60,
             class_id: int = CAR) -> Frames:
    """``n`` vehicles in a column inside the zone, each ``height`` px tall, all moving right
    at ``speed_px_s``."""
    out = []
    for i in range(frames):
        dx = speed_px_s * i / FPS
        boxes = [(150 + dx, 150 + 80 * k, 150 + dx + height * 1.5, 150 + 80 * k + height)
                 for k in range(n)]
        out.append((i / FPS, detections(boxes, classes=[class_id] * n,
                                         tracker_ids=list(range(1, n + 1)))))
    return out


# (case, frames, config, expected (started_s, peak) or None)
CONGESTION_CASES = [
    ("six crawling cars", vehicles(6, 150, speed_px_s=3), {"vehicles": 5, "seconds": 10},
     (0.5, 6.0)),
    ("six cars driving", vehicles(6, 150, speed_px_s=90), {"vehicles": 5, "seconds": 10}, None),
    ("too few", vehicles(4, 150, speed_px_s=3), {"vehicles": 5, "seconds": 10}, None),
    ("not long enough", vehicles(6, 80, speed_px_s=3), {"vehicles": 5, "seconds": 10}, None),
    # the same 8 px/s is 0.08 box heights a second near the camera (100 px tall) and 0.4 far
    # away (20 px): speeds are compared in heights, so only the near queue is congested
    ("near and slow", vehicles(6, 150, speed_px_s=8, height=100),
     {"vehicles": 5, "seconds": 10, "max_speed_h_s": 0.2}, (0.5, 6.0)),
    ("far: the same pixels are fast", vehicles(6, 150, speed_px_s=8, height=20),
     {"vehicles": 5, "seconds": 10, "max_speed_h_s": 0.2}, None),
    ("people are not vehicles", vehicles(6, 150, speed_px_s=3, class_id=PERSON),
     {"vehicles": 5, "seconds": 10}, None),
]


@pytest.mark.parametrize(("frames", "config", "expected"),
                         [c[1:] for c in CONGESTION_CASES], ids=[c[0] for c in CONGESTION_CASES])
def test_congestion(frames: Frames, config: dict[str, object],
                    expected: tuple[float, float] | None) -> None:
    watch = CongestionWatch(ZONE, CongestionConfig.model_validate(config), camera_id="cam",
                            redact=None)
    events = run(watch, frames)
    if expected is None:
        assert events == []
        return
    (event,) = events
    assert (event.started_s, event.peak) == pytest.approx(expected)
    assert event.ended_s == pytest.approx(frames[-1][0])
    assert event.kind == EventKind.CONGESTION
    assert event.class_names == ("car",)
    assert event.details["median_speed_h_s"] < watch.config.max_speed_h_s


def car_path(*legs: tuple[float, float, float]) -> Frames:
    """Track 7, a car 60 px tall: ``(x, y, seconds)`` legs, each reached by moving in a
    straight line from the previous one (or starting there); x, y is the box's bottom centre.
    ``y > 700`` is outside the zone; ``x < 0``: unseen for that long, then back where it was.
    It tolerates moving 0.5 heights (30 px), so a car coming to rest is 'still' from the
    moment it is within 30 px of where it stops."""
    frames: Frames = []
    position = legs[0][:2]
    t = 0
    for x, y, s in legs:
        steps = round(s * FPS)
        if x < 0:
            frames += [((t + k) / FPS, detections([], tracker_ids=[])) for k in range(steps)]
            t += steps
            continue
        for k in range(steps):
            fx = position[0] + (x - position[0]) * (k + 1) / steps
            fy = position[1] + (y - position[1]) * (k + 1) / steps
            seen = [] if fx < 0 else [(fx - 45, fy - 60, fx + 45, fy)]
            frames.append((t / FPS, detections(seen, classes=[CAR] * len(seen),
                                               tracker_ids=[7] * len(seen))))
            t += 1
        position = (x, y)
    return frames


JITTER = [(t, detections((d.xyxy + np.array([i % 3 - 1] * 4, np.float32) * 3).tolist(),
                         classes=[CAR], tracker_ids=[7]))
          for i, (t, d) in enumerate(car_path((400, 400, 40)))]

# (case, frames, expected (started_s, ended_s, seconds still) per event)
STOPPED_CASES = [
    ("stopped 40 s", car_path((400, 400, 40)), [(0.0, 39.9, 39.9)]),
    ("stopped 20 s", car_path((400, 400, 20)), []),
    ("drives in, stops 35 s, drives on", car_path((300, 400, 0.1), (400, 400, 5),
                                                  (400, 400, 35), (800, 400, 5)),
     [(4.8, 40.3, 35.5)]),
    ("tracker jitter is not moving", JITTER, [(0.0, 39.9, 39.9)]),
    ("crawling through", car_path((150, 400, 0.1), (850, 400, 60)), []),
    ("stopped outside the zone", car_path((400, 750, 40)), []),
    ("two stops in one stay: one event", car_path((400, 400, 35), (600, 400, 3),
                                                  (600, 400, 35)), [(0.0, 35.3, 35.3)]),
    ("leaves, comes back, stops again: two", car_path((400, 400, 35), (400, 750, 3),
                                                      (400, 750, 10), (400, 400, 3),
                                                      (400, 400, 35)),
     [(0.0, 35.1, 35.1), (50.8, 85.9, 35.1)]),
    ("lost for 2 s is the same stay", car_path((400, 400, 20), (-1, -1, 2), (400, 400, 20)),
     [(0.0, 41.9, 41.9)]),
]


@pytest.mark.parametrize(("frames", "expected"), [c[1:] for c in STOPPED_CASES],
                         ids=[c[0] for c in STOPPED_CASES])
def test_stopped_vehicle(frames: Frames, expected: list[tuple[float, float, float]]) -> None:
    watch = DwellWatch.stopped(ZONE, StoppedConfig(seconds=30), camera_id="cam", redact=None)
    events = run(watch, frames)
    assert [(round(e.started_s, 1), round(e.ended_s, 1), round(e.peak, 1))
            for e in events] == expected
    for event in events:
        assert (event.kind, event.track_ids, event.class_names) == (
            EventKind.STOPPED, (7,), ("car",))
        assert event.threshold == 30


def test_a_stopped_person_is_not_a_stopped_vehicle() -> None:
    frames = [(t, detections(d.xyxy.tolist(), classes=[PERSON], tracker_ids=[7]))
              for t, d in car_path((400, 400, 40))]
    watch = DwellWatch.stopped(ZONE, StoppedConfig(seconds=30), camera_id="cam", redact=None)
    assert run(watch, frames) == []


@pytest.mark.parametrize(("config", "field"), [
    (CrowdConfig, "people"), (CongestionConfig, "max_speed_h_s"), (StoppedConfig, "seconds")])
def test_thresholds_are_described_with_units_and_refuse_nonsense(config: type[CrowdConfig],
                                                                 field: str) -> None:
    for name, info in config.model_fields.items():
        assert info.description, f"{config.__name__}.{name} has no description"
    with pytest.raises(ValidationError, match=field):
        config.model_validate({field: -1})
    with pytest.raises(ValidationError, match="typo"):
        config.model_validate({"typo": 1})
    assert "(s)" in str(config.model_fields["seconds"].description)


# --- evidence snapshots ------------------------------------------------------------------

def numbered_pictures() -> tuple[Callable[[], np.ndarray], list[int]]:
    """A picture source whose grey level is the frame number (so a snapshot tells which
    frame it shows) and the list of frames whose pixels were asked for."""
    asked: list[int] = []
    state = {"frame": 0}

    def picture() -> np.ndarray:
        asked.append(state["frame"])
        return np.full((720, 1280, 3), state["frame"], np.uint8)

    picture.state = state  # type: ignore[attr-defined]
    return picture, asked


def blank_left_half(picture: np.ndarray) -> np.ndarray:
    """A stand-in de-identifier that hides the left half: it checks the wiring only (the
    real one is tested in test_deid.py and used by the CLI tests)."""
    out = picture.copy()
    out[:, : picture.shape[1] // 2] = 0
    return out


def test_the_snapshot_is_the_peak_frame_redacted_and_small() -> None:
    counts = seconds((0, 1), (5, 3), (8, 2), (6, 3), (0, 5))
    watch = CrowdWatch(ZONE, CrowdConfig(people=5, seconds=2, growth_people=None,
                                         smooth_s=0), camera_id="cam", redact=blank_left_half)
    picture, asked = numbered_pictures()
    for i, (t_s, tracked) in enumerate(people(counts)):
        picture.state["frame"] = i  # type: ignore[attr-defined]
        watch.observe(t_s, tracked, picture)
    (event,) = watch.events()
    assert event.peak == 8
    assert event.details["peak_s"] == pytest.approx(4.0)  # 8 people from frame 40
    assert asked == [30, 40]            # pixels only when the event opened and at the new peak
    assert event.snapshot_jpeg is not None
    jpeg = cv2.imdecode(np.frombuffer(event.snapshot_jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert jpeg is not None
    assert jpeg.shape == (360, 640, 3)  # long side 640
    assert jpeg[:, :300].max() <= 3     # redacted half
    assert abs(float(np.median(jpeg[:, 340:])) - 40) <= 3  # the peak frame, not the first


def test_no_redact_no_snapshot_and_a_redact_must_copy() -> None:
    frames = people(seconds((6, 5), (0, 5)))
    assert run(crowd(people=5, seconds=2), frames)[0].snapshot_jpeg is None
    picture = np.zeros((10, 10, 3), np.uint8)
    with pytest.raises(ValueError, match="copy"):
        snapshot(picture, lambda p: p)


def test_event_json_is_json_safe_and_omits_the_picture() -> None:
    watch = CrowdWatch(ZONE, CrowdConfig(people=5, seconds=2, growth_people=None),
                       camera_id="cam", redact=blank_left_half)
    (event,) = run(watch, people(seconds((6, 5), (0, 5))))
    document = event.to_json()
    assert document["has_snapshot"] is True
    assert "snapshot_jpeg" not in document
    assert document["kind"] == "crowd"
    assert document["track_ids"] == [1, 2, 3, 4, 5, 6]


# --- real video: a group on the vtest plaza --------------------------------------------

# Hand count (contact sheet of frames 60-200, every 20th, zone drawn): people whose feet are in
# PLAZA are 5 at frames 60, 80, 140; 6 at 100 and 120; 4-5 at 160 and 180; 1-2 at 200. So a
# crowd of at least 4 stands there from about 6 s to about 18 s, and never 8.
PLAZA = ZoneSpec("plaza", ((300, 150), (700, 150), (700, 320), (300, 320)))


@pytest.fixture(scope="module")
def plaza(vtest_video: Path, nanodet_onnx: Path,
          ) -> tuple[AnalysisResult, list[tuple[float, sv.Detections]]]:
    """Frames 40-239 of vtest, detector on every 2nd, crowd of 4 for 5 s; also returns the
    tracked detections of each analysed frame to replay into other watches."""
    options = AnalysisOptions(camera_id="vtest", scenario=Scenario.CROWD, zones=(PLAZA,),
                              every=2, crowd=CrowdConfig(people=4, seconds=5,
                                                         growth_people=None))
    detector = NanoDet(NanoDetConfig(model_path=nanodet_onnx,
                                     score_threshold=TRACKING_SCORE_THRESHOLD))
    seen: list[tuple[float, sv.Detections]] = []

    def keep(frame: VideoFrame, tracked: sv.Detections) -> None:
        if frame.index % 2 == 0:
            seen.append((frame.t_s, tracked))

    with open_video(str(vtest_video)) as (info, frames):
        cut = (f for f in takewhile(lambda f: f.index < 240, frames) if f.index >= 40)
        result = analyse(cut, info, detector, options, on_frame=keep,
                         redact=blank_left_half)
    return result, seen


def test_vtest_group_is_one_crowd_event(
        plaza: tuple[AnalysisResult, list[tuple[float, sv.Detections]]]) -> None:
    result, _ = plaza
    (event,) = result.events
    assert event.kind == EventKind.CROWD
    assert event.details["reason"] == "sustained"
    assert 5.5 <= event.started_s <= 8.5      # hand count: 5 people from frame 60 (6 s)
    assert 16.0 <= event.ended_s <= 21.0       # down to 1-2 by frame 200 (20 s)
    assert 5 <= event.peak <= 7                # hand count 5-6
    assert event.snapshot_jpeg is not None
    assert any(r["ObjectType"] == "Event" for r in result.records)


@pytest.mark.parametrize(("people_", "expected"), [(3, 1), (4, 1), (8, 0)])
def test_vtest_thresholds_below_and_above_the_group(
        plaza: tuple[AnalysisResult, list[tuple[float, sv.Detections]]], people_: int,
        expected: int) -> None:
    _, seen = plaza
    watch = CrowdWatch(PLAZA, CrowdConfig(people=people_, seconds=5, growth_people=None),
                       camera_id="vtest", redact=None)
    assert len(run(watch, seen)) == expected


def test_every_threshold_is_documented() -> None:
    """docs/analytics.md names every threshold, so a new one cannot ship undocumented."""
    from vidgov.analytics.events import PresenceConfig

    doc = (Path(__file__).resolve().parents[2] / "docs" / "analytics.md").read_text("utf-8")
    missing = [f"{config.__name__}.{name}"
               for config in (CrowdConfig, CongestionConfig, StoppedConfig, PresenceConfig)
               for name in config.model_fields if f"`{name}`" not in doc]
    assert missing == []
    assert "No model for them ships with vidgov, and none is faked" in doc


def test_config_files_may_list_classes_but_only_known_ones() -> None:
    assert CongestionConfig.model_validate({"classes": ["car", "bus"]}).classes == ("car", "bus")
    with pytest.raises(ValidationError, match="unknown classes"):
        StoppedConfig.model_validate({"classes": ["tram"]})
    with pytest.raises(ValidationError, match="people"):
        CrowdConfig.model_validate({"people": "5"})   # a count is a number, not text
