"""A stream that never ends: fed batch by batch, flushed minute by minute, counting as a clip.

The synthetic walkers clip (see test_pipeline.py) is replayed as if it were live, starting 55 s
into a wall-clock minute so that its crossings fall on both sides of a minute boundary.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from itertools import islice
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from vidgov.analytics.events import CrowdConfig
from vidgov.analytics.live import Pixels, StreamAnalysis
from vidgov.analytics.pipeline import AnalysisOptions, FrameLike, Scenario, analyse
from vidgov.analytics.video import VideoFrame, open_video
from vidgov.analytics.zones import LineSpec, ZoneSpec

from .builders import BrightBlobDetector, two_walkers, write_clip

EVERY = 2
OPTIONS = AnalysisOptions(
    camera_id="cam", lines=(LineSpec("mid", (640, 710), (640, 10)),),
    zones=(ZoneSpec("right", ((640, 0), (1280, 0), (1280, 720), (640, 720))),),
    every=1, detect_side=640)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # At 2 fps, 60 frames last 30 s: the crossings (frames ~25-35) fall around t = 15 s.
    return write_clip(tmp_path_factory.mktemp("live") / "walkers.mp4", 60, (1280, 720), 2,
                      two_walkers)


def sampled(clip: Path) -> list[VideoFrame]:
    with open_video(str(clip)) as (_, frames):
        return [f for f in frames if f.index % EVERY == 0]


def totals(series: pl.DataFrame, kind: str) -> dict[str, int]:
    rows = series.filter(pl.col("kind") == kind)
    return {"in": int(rows["in_count"].sum()), "out": int(rows["out_count"].sum())}


@pytest.mark.parametrize(("batch", "as_pixels"), [(1, False), (3, False), (7, True)])
def test_batches_and_flushes_count_what_one_pass_counts(clip: Path, batch: int,
                                                        as_pixels: bool) -> None:
    with open_video(str(clip)) as (info, frames):
        whole = analyse(frames, info, BrightBlobDetector(), replace(OPTIONS, every=EVERY))
    live = StreamAnalysis(OPTIONS, info, BrightBlobDetector(), frame_rate=info.fps / EVERY,
                          offset_s=45.0)  # the crossings at ~15 s land at ~60 s
    handles = sampled(clip)
    # The live worker hands on pixels converted in its decoding thread: they count the same.
    frames: Iterator[FrameLike] = iter(
        [Pixels(f.index, f.t_s, f.bgr()) for f in handles] if as_pixels else handles)
    pieces = []
    while chunk := list(islice(frames, batch)):
        live.feed(chunk)
        pieces.append(live.flush())
    pieces.append(live.flush(final=True))
    series = pl.concat([p.series for p in pieces])
    assert totals(series, "line") == totals(whole.series, "line") == {"in": 1, "out": 1}
    assert totals(series, "zone") == totals(whole.series, "zone")
    # Each minute is handed out once, complete, and both minutes are there.
    keys = series.select("minute", "kind", "region_id", "class_name")
    assert keys.is_unique().all()
    assert sorted(series["minute"].unique().to_list()) == [0, 1]


def test_a_minute_is_handed_out_only_once_it_has_passed(clip: Path) -> None:
    frames = sampled(clip)
    with open_video(str(clip)) as (info, _):
        live = StreamAnalysis(OPTIONS, info, BrightBlobDetector(), frame_rate=1.0,
                              offset_s=50.0)
    before = [f for f in frames if f.t_s + 50.0 < 60.0]
    live.feed(before)
    assert live.flush().series.is_empty()  # minute 0 is still running
    live.feed([f for f in frames if f.t_s + 50.0 >= 60.0][:1])
    flushed = live.flush().series
    assert set(flushed["minute"].to_list()) == {0}
    assert live.flush().series.is_empty()  # and never again
    final = live.flush(final=True).series
    assert set(final["minute"].to_list()) == {1}


def test_an_open_event_is_handed_out_as_it_stands_and_closed_once(clip: Path) -> None:
    # One person is in the right half all along (B, then A): a "crowd" of 1 for 2 s.
    options = replace(OPTIONS, scenario=Scenario.CROWD, lines=(),
                      crowd=CrowdConfig(people=1, seconds=2.0, growth_people=None))
    with open_video(str(clip)) as (info, frames):
        whole = analyse(frames, info, BrightBlobDetector(), replace(options, every=EVERY))
    live = StreamAnalysis(options, info, BrightBlobDetector(), frame_rate=info.fps / EVERY)
    during = []
    for frame in sampled(clip):
        live.feed([frame])
        during.extend(live.flush().events)
    # Raised as soon as it held for 2 s, then the same event (same start) growing.
    assert during
    assert {(e.started_s, e.details["ongoing"]) for e in during} == {(0.0, True)}
    assert during[0].ended_s >= 2.0
    assert [e.ended_s for e in during] == sorted(e.ended_s for e in during)
    (event,) = live.flush(final=True).events
    assert "ongoing" not in event.details
    assert [(e.kind, e.region_id, e.started_s, e.ended_s, e.peak) for e in whole.events] == [
        (event.kind, event.region_id, event.started_s, event.ended_s, event.peak)]
    assert live.flush(final=True).events == []


def test_pixels_scale_down_like_a_frame_handle_and_never_up(clip: Path) -> None:
    (handle, *_) = sampled(clip)
    pixels = Pixels(handle.index, handle.t_s, handle.bgr())
    assert pixels.bgr().shape == (720, 1280, 3)
    assert pixels.bgr(640).shape == handle.bgr(640).shape == (360, 640, 3)
    assert pixels.bgr(4000) is pixels.picture
    assert np.abs(pixels.bgr(640).astype(int) - handle.bgr(640).astype(int)).mean() < 3
