"""The pipeline end to end: a synthetic clip with a blob detector, then NanoDet on real video.

The synthetic clip checks the plumbing exactly (decoding, sampling, batching, mapping boxes back
to source pixels, counting); vtest checks that NanoDet + ByteTrack + LineZone count like a
person does (hand labels in data/vtest_line.json). The vtest pass is the costly one (~800
detections): it runs once per session and every test below reads its result.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from vidgov.analytics.annotate import annotated_video
from vidgov.analytics.custom import UserModelConfig, UserModelDetector
from vidgov.analytics.detect import NanoDet, NanoDetConfig
from vidgov.analytics.events import EventKind, PresenceConfig
from vidgov.analytics.pipeline import (
    SERIES_SCHEMA,
    TRACKING_SCORE_THRESHOLD,
    AnalysisOptions,
    AnalysisResult,
    Scenario,
    analyse,
)
from vidgov.analytics.video import open_video
from vidgov.analytics.zones import LineSpec, ZoneSpec
from vidgov.errors import InvalidInput

from .builders import (
    BrightBlobDetector,
    detections,
    pile_appears,
    two_walkers,
    write_brightness_model,
    write_clip,
)

LABELS = json.loads((Path(__file__).parent / "data" / "vtest_line.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def synthetic_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("clip") / "walkers.mp4", 60, (1280, 720), 25,
                      two_walkers)


@pytest.mark.parametrize("every", [1, 2, 3])
def test_synthetic_walkers_are_counted_in_source_pixels(synthetic_clip: Path,
                                                        every: int) -> None:
    detector = BrightBlobDetector()
    # Drawn upwards at x = 640: leftwards is 'in', rightwards 'out'. The detector sees frames
    # at most 640 px wide (half size), so counting right needs boxes mapped back.
    options = AnalysisOptions(lines=(LineSpec("mid", (640, 710), (640, 10)),), every=every,
                              detect_side=640, batch=4)
    with open_video(str(synthetic_clip)) as (info, frames):
        result = analyse(frames, info, detector, options)
    assert (info.width, info.height, info.fps) == (1280, 720, 25.0)
    assert result.frames == 60
    assert result.analysed_frames == len(range(0, 60, every))
    assert max(detector.calls) <= 4
    assert sum(detector.calls) == result.analysed_frames
    assert result.lines == {"mid": {"person": {"in": 1, "out": 1}}}
    assert result.duration_s == pytest.approx(60 / 25)


def test_synthetic_walkers_become_records_with_their_crossings(synthetic_clip: Path) -> None:
    options = AnalysisOptions(camera_id="cam", lines=(LineSpec("mid", (640, 710), (640, 10)),),
                              every=2)
    with open_video(str(synthetic_clip)) as (info, frames):
        result = analyse(frames, info, BrightBlobDetector(), options)
    assert result.events == []
    people = [r for r in result.records if r["ObjectType"] == "Person"]
    assert len(people) == 2
    crossings = sorted(c["Direction"] for r in people
                       for c in r["Attributes"]["LineCrossings"])
    assert crossings == ["in", "out"]
    for record in people:                       # 40×80 boxes, in 1280×720 source pixels
        assert record["RightBtmX"] - record["LeftTopX"] == pytest.approx(40, abs=3)
        assert record["RightBtmY"] - record["LeftTopY"] == pytest.approx(80, abs=3)
    assert result.to_json()["records"] == result.records


ZONE = ZoneSpec("z", ((0, 0), (100, 0), (100, 100), (0, 100)))


@pytest.mark.parametrize(("options", "message"), [
    ({"scenario": Scenario.CROWD}, "scenario crowd watches zones: give at least one --zone"),
    ({"scenario": Scenario.STOPPED}, "scenario stopped watches zones"),
    ({"scenario": Scenario.CUSTOM, "zones": (ZONE,),
      "lines": (LineSpec("l", (0, 0), (5, 5)),)}, "scenario custom watches zones only"),
])
def test_scenario_options_are_checked(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        AnalysisOptions(**options)


def test_custom_scenario_runs_a_users_model_and_reports_presence(tmp_path: Path) -> None:
    """The plug-in slot end to end with a real ONNX model of the user's layout and labels: a
    'garbage_pile' that appears at 2 s and stays is one presence event after 2 s more."""
    model = write_brightness_model(tmp_path / "pile.onnx", (32, 32, 32, 32), gain=3.0)
    clip = write_clip(tmp_path / "pile.mp4", 60, (240, 240), 10, pile_appears)
    detector = UserModelDetector(UserModelConfig(model_path=model, class_names=("garbage_pile",),
                                                 score_threshold=0.2))
    options = AnalysisOptions(camera_id="lane", scenario=Scenario.CUSTOM,
                              zones=(ZoneSpec("kerb", ((40, 40), (200, 40), (200, 200),
                                                       (40, 200))),),
                              presence=PresenceConfig(seconds=2))
    with open_video(str(clip)) as (info, frames):
        result = analyse(frames, info, detector, options)
    (event,) = result.events
    assert event.kind == EventKind.PRESENCE
    assert event.class_names == ("garbage_pile",)
    assert 2.0 <= event.started_s <= 2.2          # tracks are confirmed on their 2nd frame
    assert event.ended_s == pytest.approx(5.9)
    assert result.series.height == 0             # the six-class counters do not run
    (pile,) = [r for r in result.records if r["ObjectType"] == "Object"]
    assert pile["ClassName"] == "garbage_pile"
    assert (pile["LeftTopX"], pile["LeftTopY"], pile["RightBtmX"], pile["RightBtmY"]) == (
        60, 60, 180, 180)


@dataclass
class Hidden:
    picture: np.ndarray


class HideLeftHalf:
    """A stand-in de-identifier that blacks out the left half of each frame, a few frames
    behind its input like the real one: it checks the wiring only (the real one is tested in
    test_deid.py and runs in the CLI tests)."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.fail_at = fail_at

    def deidentify_video(self, frames: Iterable[np.ndarray]) -> Iterator[Hidden]:
        held: list[np.ndarray] = []
        for index, picture in enumerate(frames):
            if index == self.fail_at:
                raise RuntimeError("the de-identifier broke")
            out = picture.copy()
            out[:, : picture.shape[1] // 2] = 0
            held.append(out)
            if len(held) > 3:
                yield Hidden(held.pop(0))
        yield from (Hidden(p) for p in held)


def white(index: int, picture: np.ndarray) -> None:
    picture[:] = 255


def test_the_annotated_video_is_deidentified_before_drawing(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "white.mp4", 30, (320, 240), 10, white)
    with open_video(str(clip)) as (info, frames), annotated_video(
            tmp_path / "out.mp4", info, [], [], deidentifier=HideLeftHalf()) as write:
        for frame in frames:
            write(frame, detections([(200, 50, 260, 150)], tracker_ids=[frame.index]))
    with open_video(str(tmp_path / "out.mp4")) as (_, frames):
        pictures = [f.bgr() for f in frames]
    assert len(pictures) == 30
    for picture in pictures:
        assert picture[:, :150].max() < 30
        assert picture[:, 170:190].min() > 225
        assert picture[100, 200:260].max() - picture[100, 200:260].min() > 100  # a box drawn


def test_a_failing_deidentifier_stops_the_video(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "white.mp4", 30, (320, 240), 10, white)

    def run() -> None:
        with open_video(str(clip)) as (info, frames), annotated_video(
                tmp_path / "out.mp4", info, [], [],
                deidentifier=HideLeftHalf(fail_at=5)) as write:
            for frame in frames:
                write(frame, detections([]))

    with pytest.raises(RuntimeError, match="broke"):
        run()


def test_missing_and_broken_videos_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"video not found: .*nothing\.mp4"), \
            open_video(str(tmp_path / "nothing.mp4")):
        pass
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    with pytest.raises(InvalidInput, match=r"junk\.mp4"), open_video(str(junk)):
        pass


def test_stream_errors_hide_credentials() -> None:
    with pytest.raises(InvalidInput) as caught, \
            open_video("rtsp://admin:s3cret@127.0.0.1:1/live"):
        pass
    assert "s3cret" not in str(caught.value)
    assert "rtsp://***@127.0.0.1:1/live" in str(caught.value)


@pytest.fixture(scope="session")
def vtest_result(vtest_video: Path, nanodet_onnx: Path) -> AnalysisResult:
    """vtest, every frame, the hand-labelled line and a zone over the plaza (~30 s)."""
    x1, y1, x2, y2 = LABELS["line"]["xyxy"]
    options = AnalysisOptions(
        camera_id="vtest", lines=(LineSpec(LABELS["line"]["id"], (x1, y1), (x2, y2)),),
        zones=(ZoneSpec("plaza", ((300, 200), (768, 200), (768, 450), (300, 450))),), every=1)
    detector = NanoDet(NanoDetConfig(model_path=nanodet_onnx,
                                     score_threshold=TRACKING_SCORE_THRESHOLD))
    with open_video(str(vtest_video)) as (info, frames):
        return analyse(frames, info, detector, options)


@pytest.mark.slow
@pytest.mark.parametrize("direction", ["in", "out", "total"])
def test_vtest_line_count_is_within_10_percent_of_the_hand_count(
        vtest_result: AnalysisResult, direction: str) -> None:
    counted = vtest_result.lines[LABELS["line"]["id"]].get("person", {"in": 0, "out": 0})
    hand = LABELS["counts"]
    expected = hand["in"] + hand["out"] if direction == "total" else hand[direction]
    got = counted["in"] + counted["out"] if direction == "total" else counted[direction]
    assert abs(got - expected) <= 0.1 * expected, (direction, got, expected)


@pytest.mark.slow
def test_vtest_series_buckets_add_up_to_the_totals(vtest_result: AnalysisResult) -> None:
    series = vtest_result.series
    assert dict(series.schema) == SERIES_SCHEMA
    assert series["minute"].unique().sort().to_list() == [0, 1]   # 79.5 s of video
    assert vtest_result.frames == vtest_result.analysed_frames == 795
    lines = series.filter(pl.col("kind") == "line")
    summed = lines.group_by("class_name").agg(pl.col("in_count").sum(),
                                              pl.col("out_count").sum())
    totals: dict[str, Any] = {r["class_name"]: {"in": r["in_count"], "out": r["out_count"]}
                              for r in summed.to_dicts() if r["in_count"] or r["out_count"]}
    assert totals == vtest_result.lines[LABELS["line"]["id"]]
    zone = series.filter((pl.col("kind") == "zone") & (pl.col("class_name") == "person"))
    peak = zone.select(occupancy=pl.col("occupancy_max").max(),
                       dwell_s=pl.col("dwell_s_max").max(), visits=pl.col("in_count").sum(),
                       ended=pl.col("out_count").sum()).row(0, named=True)
    assert peak["occupancy"] >= 3                      # the plaza holds several walkers
    assert peak["visits"] == peak["ended"] > 0         # every visit closed by the end
    assert 0 < peak["dwell_s"] <= vtest_result.duration_s


@pytest.mark.slow
def test_vtest_counted_at_one_frame_a_second_stays_within_10_percent(
        vtest_video: Path, nanodet_onnx: Path) -> None:
    # What a live subscription at 1 fps sees: walkers move most of a body width between
    # frames, and the tracker follows them by distance where their boxes no longer overlap.
    x1, y1, x2, y2 = LABELS["line"]["xyxy"]
    options = AnalysisOptions(lines=(LineSpec(LABELS["line"]["id"], (x1, y1), (x2, y2)),),
                              every=10)
    detector = NanoDet(NanoDetConfig(model_path=nanodet_onnx,
                                     score_threshold=TRACKING_SCORE_THRESHOLD))
    with open_video(str(vtest_video)) as (info, frames):
        result = analyse(frames, info, detector, options)
    counted = result.lines[LABELS["line"]["id"]]["person"]
    hand = LABELS["counts"]["in"] + LABELS["counts"]["out"]
    assert abs(counted["in"] + counted["out"] - hand) <= 0.1 * hand, counted
