"""Precision and recall at IoU 0.5: the matching rules on tiny cases, then NanoDet against the
hand-labelled people of vtest.avi (data/vtest_boxes.json).

The floors of the real run are the measured values less 0.1 (measured at threshold 0.35:
precision 0.75, recall 0.98 on 49 people in 8 frames; at 0.5: 0.98 and 0.98): a converter,
pre-processing or decoding change that costs people fails here, run-to-run noise does not.
"""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from vidgov.analytics.accuracy import Accuracy, LabelledFrame, compare, load_labels, total
from vidgov.analytics.detect import NanoDet, NanoDetConfig
from vidgov.errors import InvalidInput

LABELS = Path(__file__).parent / "data" / "vtest_boxes.json"
A = [0, 0, 10, 10]
Pictures = list[tuple[np.ndarray, LabelledFrame]]  # BGR frame and its labels


@pytest.mark.parametrize(
    ("detected", "scores", "truth", "ignore", "expected"),
    [
        pytest.param([A], [0.9], [A], [], Accuracy(1, 0, 0), id="exact"),
        # IoU 100/190 = 0.53 is a hit; 100/210 = 0.48 is a false positive and a miss
        pytest.param([[0, 0, 10, 19]], [0.9], [A], [], Accuracy(1, 0, 0), id="iou-0.53"),
        pytest.param([[0, 0, 10, 21]], [0.9], [A], [], Accuracy(0, 1, 1), id="iou-0.48"),
        # two detections of one person: one is a duplicate, whichever order
        pytest.param([A, [1, 0, 11, 10]], [0.6, 0.9], [A], [], Accuracy(1, 1, 0),
                     id="duplicate"),
        # the confident one takes A first; the weaker one cannot take A again, and B is
        # too far from it (IoU 0.25)
        pytest.param([[2, 0, 12, 10], A], [0.9, 0.5], [A, [6, 0, 16, 10]], [],
                     Accuracy(1, 1, 1), id="taken-once"),
        pytest.param([], [], [A, [20, 0, 30, 10]], [], Accuracy(0, 0, 2), id="all-missed"),
        pytest.param([A], [0.9], [], [], Accuracy(0, 1, 0), id="nobody-there"),
        # inside an ignore region: neither right nor wrong; mostly outside: wrong
        pytest.param([[1, 1, 9, 9]], [0.9], [], [A], Accuracy(0, 0, 0), id="ignored"),
        pytest.param([[6, 0, 16, 10]], [0.9], [], [A], Accuracy(0, 1, 0), id="mostly-outside"),
        # a labelled person inside an ignore region is still found
        pytest.param([A], [0.9], [A], [[0, 0, 20, 20]], Accuracy(1, 0, 0), id="label-first"),
    ],
)
def test_matching(detected: list[list[float]], scores: list[float], truth: list[list[float]],
                  ignore: list[list[float]], expected: Accuracy) -> None:
    assert compare(detected, scores, truth, ignore) == expected


@pytest.mark.parametrize(
    ("counts", "precision", "recall", "f1"),
    [
        (Accuracy(3, 1, 2), 0.75, 0.6, 2 * 0.75 * 0.6 / 1.35),
        (Accuracy(0, 0, 0), 1.0, 1.0, 1.0),   # nothing there, nothing reported
        (Accuracy(0, 2, 0), 0.0, 1.0, 0.0),
        (Accuracy(0, 0, 2), 1.0, 0.0, 0.0),
    ],
)
def test_rates(counts: Accuracy, precision: float, recall: float, f1: float) -> None:
    assert (counts.precision, counts.recall, counts.f1) == pytest.approx((precision, recall, f1))


def test_frames_pool_by_box_not_by_frame() -> None:
    pooled = total([Accuracy(1, 0, 0), Accuracy(0, 3, 1)])
    assert pooled == Accuracy(1, 3, 1)
    assert pooled.precision == 0.25


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: compare([[5, 0, 1, 10]], [0.9], [A]), r"x2 <= x1 or y2 <= y1"),
        (lambda: compare([A], [0.9, 0.8], [A]), r"1 boxes but 2 scores"),
        (lambda: compare([[1, 2, 3]], [0.9], [A]), r"expected boxes as \[x1, y1, x2, y2\]"),
        (lambda: compare([A], [0.9], [A], iou_threshold=0), r"iou_threshold must be in"),
    ],
)
def test_bad_boxes_are_refused(call: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        call()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", r"cannot read labels .*bad\.json"),
        (json.dumps({"frames": [{"frame": -1, "people": []}]}), r"bad\.json frame -1: 'frame'"),
        (json.dumps({"frames": [{"frame": 3, "people": [[9, 9, 1, 1]]}]}),
         r"bad\.json frame 3: box \[9\.0, 9\.0, 1\.0, 1\.0\]"),
    ],
)
def test_malformed_labels_name_file_and_frame(tmp_path: Path, content: str,
                                              message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content, "utf-8")
    with pytest.raises(InvalidInput, match=message):
        load_labels(bad)


def test_the_labels_are_what_they_claim() -> None:
    labelled = load_labels(LABELS)
    assert [f.frame for f in labelled] == list(range(40, 800, 100))
    assert sum(len(f.people) for f in labelled) == 49
    for frame in labelled:
        assert (frame.people[:, [0, 2]] <= 768).all()
        assert (frame.people[:, [1, 3]] <= 576).all()


@pytest.fixture(scope="module")
def labelled_pictures(vtest_video: Path) -> Pictures:
    labelled = {f.frame: f for f in load_labels(LABELS)}
    pictures: Pictures = []
    with av.open(str(vtest_video)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in labelled:
                pictures.append((frame.to_ndarray(format="bgr24"), labelled[index]))
            if index >= max(labelled):
                break
    return pictures


@pytest.mark.parametrize(
    ("score_threshold", "precision_floor", "recall_floor"),
    [(0.35, 0.65, 0.88), (0.5, 0.88, 0.88)],
)
def test_nanodet_finds_the_labelled_people(nanodet_onnx: Path,
                                           labelled_pictures: Pictures,
                                           score_threshold: float, precision_floor: float,
                                           recall_floor: float) -> None:
    detector = NanoDet(NanoDetConfig(score_threshold=score_threshold))
    results = []
    for picture, truth in labelled_pictures:
        found = detector.detect([picture])[0]
        assert found.confidence is not None
        people = found.class_id == 0
        results.append(compare(found.xyxy[people], found.confidence[people],
                               truth.people, truth.ignore))
    pooled = total(results)
    assert pooled.recall >= recall_floor, pooled
    assert pooled.precision >= precision_floor, pooled
