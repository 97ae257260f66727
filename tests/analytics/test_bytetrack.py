"""ByteTrack on scripted boxes: ids stay with objects through crossings, gaps and weak scores."""

from __future__ import annotations

import numpy as np
import pytest
import supervision as sv

from vidgov.analytics.bytetrack import ByteTrack, ByteTrackConfig

from .builders import detections


def ids(tracked: sv.Detections) -> list[int]:
    assert tracked.tracker_id is not None
    return [int(t) for t in tracked.tracker_id]


def ids_by_x(tracked: sv.Detections) -> dict[int, float]:
    """tracker id → box centre x."""
    return {t: float((b[0] + b[2]) / 2) for t, b in zip(ids(tracked), tracked.xyxy, strict=True)}


def test_two_walkers_passing_each_other_keep_their_ids() -> None:
    tracker = ByteTrack(frame_rate=10)
    first = None
    for step in range(30):
        a = 50 + 8 * step          # left to right
        b = 290 - 8 * step         # right to left, on a lower row so boxes overlap only a bit
        tracked = tracker.update(detections([(a - 10, 100, a + 10, 160),
                                             (b - 10, 130, b + 10, 190)]))
        if step == 0:
            first = ids_by_x(tracked)
    last = ids_by_x(tracked)
    assert first is not None
    assert sorted(first) == sorted(last) == [1, 2]
    left_starter = min(first, key=first.__getitem__)
    assert last[left_starter] > 250  # the one that started left ended right


def test_a_track_survives_missed_frames_and_weak_scores() -> None:
    tracker = ByteTrack(ByteTrackConfig(lost_s=1.0), frame_rate=10)
    seen: list[int] = []
    for step in range(20):
        x = 100 + 5 * step
        box = (x - 10, 100, x + 10, 160)
        if 5 <= step < 9:
            tracked = tracker.update(detections([]))          # occluded: 4 frames unseen
        elif 12 <= step < 15:
            tracked = tracker.update(detections([box], scores=[0.3]))  # weak but present
        else:
            tracked = tracker.update(detections([box]))
        seen.extend(ids(tracked))
    assert set(seen) == {1}
    assert len(seen) == 20 - 4


def test_lost_too_long_gets_a_new_id() -> None:
    tracker = ByteTrack(ByteTrackConfig(lost_s=0.5), frame_rate=10)
    box = (100, 100, 120, 160)
    for _ in range(3):
        tracker.update(detections([box]))
    for _ in range(10):
        tracker.update(detections([]))
    tracker.update(detections([box]))          # seen once again: not yet confirmed
    tracked = tracker.update(detections([box]))
    assert ids(tracked) == [2]


@pytest.mark.parametrize(("score", "expected"), [(0.9, [1]), (0.55, []), (0.3, [])])
def test_new_tracks_need_a_confident_detection(score: float, expected: list[int]) -> None:
    tracker = ByteTrack(frame_rate=10)
    tracker.update(detections([]))
    box = (10, 10, 30, 60)
    tracker.update(detections([box], scores=[score]))
    tracked = tracker.update(detections([box], scores=[score]))
    assert ids(tracked) == expected


def test_output_keeps_the_detections_fields() -> None:
    tracker = ByteTrack(frame_rate=10)
    tracked = tracker.update(detections([(0, 0, 10, 20), (50, 0, 60, 20)], classes=[0, 2]))
    assert tracked.class_id is not None
    assert tracked.class_id.tolist() == [0, 2]
    assert list(tracked.data["class_name"]) == ["person", "car"]
    np.testing.assert_allclose(tracked.xyxy[1], [50, 0, 60, 20])


@pytest.mark.parametrize(("max_speed", "tracked_frames"), [(2.0, 9), (0.0, 1)])
def test_at_one_frame_a_second_a_walker_keeps_one_id(max_speed: float,
                                                     tracked_frames: int) -> None:
    # 60 px tall, walking 50 px (0.8 heights) a second: at 1 fps the boxes (20 px wide) never
    # overlap, so by overlap alone (max_speed 0) the walker is lost after the first frame and
    # each new box is a new, never confirmed track.
    tracker = ByteTrack(ByteTrackConfig(max_speed_h_s=max_speed), frame_rate=1)
    seen = []
    for step in range(1, 10):
        x = 50 * step
        seen.extend(ids(tracker.update(detections([(x - 10, 100, x + 10, 160)]))))
    assert seen == [1] * tracked_frames


def test_by_distance_only_the_same_class_and_size_and_within_reach() -> None:
    tracker = ByteTrack(frame_rate=1)
    tracker.update(detections([(0, 100, 20, 160)]))
    tracker.update(detections([(50, 100, 70, 160)]))  # confirmed: id 1
    # Then: a car where the walker would be, a giant, one 10 heights away: none is it.
    for box, class_id in [((100, 100, 120, 160), 2), ((90, 40, 150, 220), 0),
                          ((700, 100, 720, 160), 0)]:
        tracked = tracker.update(detections([box], classes=[class_id]))
        assert 1 not in ids(tracked), (box, class_id)
