"""How right the detector is: precision and recall against hand-labelled boxes.

Why our own and this small: the question is the one a city asks before trusting the counts —
of the people the detector reports, how many are people (precision), and of the people there,
how many it finds (recall) — at the usual PASCAL criterion, IoU ≥ 0.5. Matching is greedy by
score, as PASCAL VOC and COCO do it: the most confident detection takes the labelled box it
overlaps best, and each labelled box is taken once.

Ignore regions are people a labeller would not demand (mostly hidden behind a sign or another
walker). A detection that matches no labelled box but lies mostly inside an ignore region
(intersection over the detection's own area ≥ the IoU threshold, the Caltech pedestrian
rule) counts neither way, so the score does not depend on how one guesses hidden people.

Labels live in JSON (tests/analytics/data/vtest_boxes.json): ``{"frames": [{"frame": 40,
"people": [[x1, y1, x2, y2], …], "ignore": [[…], …]}, …]}``, pixels of the labelled frame.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vidgov.errors import InvalidInput

Boxes = npt.NDArray[np.float64]  # (n, 4) x1, y1, x2, y2


@dataclass(frozen=True, slots=True)
class Accuracy:
    """Counts of one comparison (a frame, or many summed with ``+``)."""

    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    def __add__(self, other: Accuracy) -> Accuracy:
        return Accuracy(self.true_positives + other.true_positives,
                        self.false_positives + other.false_positives,
                        self.false_negatives + other.false_negatives)

    @property
    def precision(self) -> float:
        """Share of reported people that are people; 1.0 when nothing was reported."""
        reported = self.true_positives + self.false_positives
        return self.true_positives / reported if reported else 1.0

    @property
    def recall(self) -> float:
        """Share of labelled people found; 1.0 when there were none."""
        labelled = self.true_positives + self.false_negatives
        return self.true_positives / labelled if labelled else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


@dataclass(frozen=True, slots=True)
class LabelledFrame:
    """The hand labels of one frame: people to find, and regions to ignore."""

    frame: int
    people: Boxes
    ignore: Boxes


def _boxes(raw: Sequence[Sequence[float]] | npt.ArrayLike, what: str) -> Boxes:
    array = np.asarray(raw, dtype=np.float64)
    if array.size == 0:
        return np.zeros((0, 4))
    if array.ndim != 2 or array.shape[1] != 4:
        raise InvalidInput(f"{what}: expected boxes as [x1, y1, x2, y2], got shape "
                           f"{array.shape}")
    bad = np.flatnonzero((array[:, 2] <= array[:, 0]) | (array[:, 3] <= array[:, 1]))
    if bad.size:
        raise InvalidInput(f"{what}: box {array[bad[0]].tolist()} has x2 <= x1 or y2 <= y1")
    return array


def iou(a: Boxes, b: Boxes) -> Boxes:
    """Intersection over union of every box of ``a`` (n, 4) with every box of ``b`` (m, 4)."""
    inter = _intersection(a, b)
    union = _area(a)[:, None] + _area(b)[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def _area(boxes: Boxes) -> npt.NDArray[np.float64]:
    return np.asarray((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]),
                      dtype=np.float64)


def _intersection(a: Boxes, b: Boxes) -> Boxes:
    width = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    height = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return np.asarray(np.clip(width, 0, None) * np.clip(height, 0, None), dtype=np.float64)


def compare(detected: npt.ArrayLike, scores: npt.ArrayLike, truth: npt.ArrayLike,
            ignore: npt.ArrayLike = (), iou_threshold: float = 0.5) -> Accuracy:
    """Match one frame's detections (boxes (n, 4), scores (n,)) to its labelled boxes.

    Detections are taken in falling score order; each takes the free labelled box it overlaps
    best if that IoU reaches ``iou_threshold``; one left over inside an ignore region is
    dropped; the rest are false positives, and labelled boxes never taken are misses.
    """
    if not 0 < iou_threshold <= 1:
        raise InvalidInput(f"iou_threshold must be in (0, 1], got {iou_threshold}")
    found = _boxes(detected, "detections")
    confidence = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(confidence) != len(found):
        raise InvalidInput(f"detections: {len(found)} boxes but {len(confidence)} scores")
    people, hidden = _boxes(truth, "labels"), _boxes(ignore, "ignore regions")
    overlap = iou(found, people)
    inside = _intersection(found, hidden) / np.maximum(_area(found), 1e-12)[:, None]
    taken = np.zeros(len(people), dtype=bool)
    true_positives = false_positives = 0
    for index in np.argsort(-confidence, kind="stable"):
        candidates = np.where(taken, -1.0, overlap[index])
        best = int(candidates.argmax()) if len(people) else -1
        if best >= 0 and candidates[best] >= iou_threshold:
            taken[best] = True
            true_positives += 1
        elif not (hidden.size and inside[index].max() >= iou_threshold):
            false_positives += 1
    return Accuracy(true_positives, false_positives, int((~taken).sum()))


def load_labels(path: Path) -> list[LabelledFrame]:
    """Read hand labels; a malformed file fails with the frame and the problem."""
    try:
        raw: Any = json.loads(path.read_text("utf-8"))
        frames = raw["frames"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"cannot read labels {path}: {exc}") from None
    labelled = []
    for item in frames:
        where = f"{path.name} frame {item.get('frame', '?')}"
        if not isinstance(item.get("frame"), int) or item["frame"] < 0:
            raise InvalidInput(f"{where}: 'frame' must be a frame index (0 or more)")
        labelled.append(LabelledFrame(item["frame"], _boxes(item.get("people", []), where),
                                      _boxes(item.get("ignore", []), where)))
    return labelled


def total(results: Iterable[Accuracy]) -> Accuracy:
    """The sum of many frames' counts (precision and recall pooled over all boxes)."""
    summed = Accuracy()
    for result in results:
        summed = summed + result
    return summed
