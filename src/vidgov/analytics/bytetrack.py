"""ByteTrack (Zhang et al., ECCV 2022): detections in, the same detections with track ids out.

Why our own: supervision moved its ``ByteTrack`` out to the separate ``trackers`` package
(supervision 0.31 has none), and the algorithm is small. This follows the paper and the
reference implementation: a constant-velocity Kalman filter per track on (centre x, centre y,
aspect ratio, height); a first association of the confident detections with every track, a
second one of the weak detections (those the detector was unsure of, often occluded people)
with the tracks still unmatched, both by IoU and the Hungarian method; new tracks only from
confident detections, confirmed on their second frame; lost tracks kept ``lost_s`` seconds.

Ids start at 1 and are never reused; a detection that no confirmed track owns is dropped from
the output, as supervision's ByteTrack did, because line counting needs stable ids only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import supervision as sv
from pydantic import BaseModel, ConfigDict, Field
from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped]  # no stubs

from vidgov.analytics.detectors.base import select

FloatArray = npt.NDArray[np.float64]


class ByteTrackConfig(BaseModel):
    """The tracker's thresholds (the reference implementation's defaults)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    high_score: float = Field(0.5, gt=0, lt=1, description="Confident detections start at this.")
    low_score: float = Field(0.1, ge=0, lt=1, description="Weaker ones are ignored.")
    new_track_score: float = Field(0.6, gt=0, le=1, description="Lowest score to open a track.")
    match_iou: float = Field(0.2, gt=0, le=1, description="Lowest IoU of a first match.")
    lost_s: float = Field(3.0, gt=0, description="Seconds a lost track may be found again.")
    max_speed_h_s: float = Field(2.0, ge=0, description=(
        "When frames are far apart (a low sampling rate) a person's box may not overlap the "
        "last one at all: a detection left unmatched may still join a track of its class and "
        "size whose predicted centre is within this many box heights per second of elapsed "
        "time (people walk about one height a second). 0: overlap only."))


_STD_POSITION = 1.0 / 20
_STD_VELOCITY = 1.0 / 160
_MOTION = np.eye(8) + np.eye(8, k=4)
_OBSERVE = np.eye(4, 8)


def _xyah(xyxy: FloatArray) -> FloatArray:
    width, height = xyxy[2] - xyxy[0], xyxy[3] - xyxy[1]
    return np.array([xyxy[0] + width / 2, xyxy[1] + height / 2, width / max(height, 1e-6),
                     height])


@dataclass(slots=True)
class _Track:
    """One object's Kalman state: mean (8,) and covariance (8, 8) over x, y, a, h and rates."""

    mean: FloatArray
    covariance: FloatArray
    score: float
    class_id: int
    last_frame: int
    track_id: int = 0  # 0 until confirmed
    hits: int = 1
    confirmed: bool = False
    lost: bool = False
    xyxy: FloatArray = field(default_factory=lambda: np.zeros(4))

    @classmethod
    def start(cls, xyxy: FloatArray, score: float, class_id: int, frame: int) -> _Track:
        measured = _xyah(xyxy)
        h = measured[3]
        std = np.array([2 * _STD_POSITION * h, 2 * _STD_POSITION * h, 1e-2,
                        2 * _STD_POSITION * h, 10 * _STD_VELOCITY * h,
                        10 * _STD_VELOCITY * h, 1e-5, 10 * _STD_VELOCITY * h])
        return cls(np.r_[measured, np.zeros(4)], np.diag(std**2), score, class_id, frame,
                   xyxy=xyxy.copy())

    def predict(self) -> None:
        mean = self.mean.copy()
        if self.lost:
            mean[7] = 0.0  # a lost box keeps its size rather than shrinking away
        h = mean[3]
        std = np.array([_STD_POSITION * h, _STD_POSITION * h, 1e-2, _STD_POSITION * h,
                        _STD_VELOCITY * h, _STD_VELOCITY * h, 1e-5, _STD_VELOCITY * h])
        self.mean = _MOTION @ mean
        self.covariance = _MOTION @ self.covariance @ _MOTION.T + np.diag(std**2)

    def update(self, xyxy: FloatArray, score: float, class_id: int, frame: int) -> None:
        h = self.mean[3]
        noise = np.diag(np.array([_STD_POSITION * h, _STD_POSITION * h, 1e-1,
                                  _STD_POSITION * h]) ** 2)
        projected = _OBSERVE @ self.covariance @ _OBSERVE.T + noise
        gain = np.linalg.solve(projected, _OBSERVE @ self.covariance).T
        self.mean = self.mean + gain @ (_xyah(xyxy) - _OBSERVE @ self.mean)
        self.covariance = self.covariance - gain @ projected @ gain.T
        self.score, self.class_id, self.last_frame = score, class_id, frame
        self.xyxy = xyxy.copy()
        self.hits += 1
        self.lost = False

    def predicted_xyxy(self) -> FloatArray:
        cx, cy, aspect, h = self.mean[:4]
        w = aspect * h
        return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


def _match_near(tracks: list[_Track], boxes: FloatArray, classes: npt.NDArray[np.int64],
                reach_h: list[float]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Hungarian matching on centre distance in box heights, for boxes that overlap nothing:
    a pair must share a class, have heights within a factor 1.5, and lie within the track's
    ``reach_h`` (its height times the distance it may have gone since it was last seen)."""
    if not tracks or len(boxes) == 0:
        return [], list(range(len(tracks))), list(range(len(boxes)))
    predicted = np.stack([t.predicted_xyxy() for t in tracks])
    centres_t = (predicted[:, :2] + predicted[:, 2:]) / 2
    centres_d = (boxes[:, :2] + boxes[:, 2:]) / 2
    heights_t = np.maximum(predicted[:, 3] - predicted[:, 1], 1e-6)
    heights_d = np.maximum(boxes[:, 3] - boxes[:, 1], 1e-6)
    distance = np.linalg.norm(centres_t[:, None, :] - centres_d[None, :, :], axis=2)
    cost = distance / heights_t[:, None]
    ratio = heights_d[None, :] / heights_t[:, None]
    allowed = ((cost <= np.array(reach_h)[:, None]) & (ratio <= 1.5) & (ratio >= 1 / 1.5)
               & (np.array([t.class_id for t in tracks])[:, None] == classes[None, :]))
    rows, cols = linear_sum_assignment(np.where(allowed, cost, 1e6))
    pairs = [(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if allowed[r, c]]
    matched_t, matched_d = {r for r, _ in pairs}, {c for _, c in pairs}
    return (pairs, [i for i in range(len(tracks)) if i not in matched_t],
            [j for j in range(len(boxes)) if j not in matched_d])


def _match(tracks: list[_Track], boxes: FloatArray, scores: FloatArray, min_iou: float,
           ) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Hungarian matching on IoU × score (ByteTrack's fused cost); pairs under ``min_iou`` fail."""
    if not tracks or len(boxes) == 0:
        return [], list(range(len(tracks))), list(range(len(boxes)))
    predicted = np.stack([t.predicted_xyxy() for t in tracks])
    iou = sv.box_iou_batch(predicted, boxes)
    rows, cols = linear_sum_assignment(-(iou * scores[None, :]))
    pairs = [(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if iou[r, c] >= min_iou]
    matched_t, matched_d = {r for r, _ in pairs}, {c for _, c in pairs}
    return (pairs, [i for i in range(len(tracks)) if i not in matched_t],
            [j for j in range(len(boxes)) if j not in matched_d])


class ByteTrack:
    """Give each detection a stable ``tracker_id`` across frames of one stream.

    ``frame_rate`` is the rate of the frames passed to :meth:`update` (after any sampling),
    so ``lost_s`` means the same at every sampling rate.
    """

    def __init__(self, config: ByteTrackConfig | None = None, frame_rate: float = 25.0) -> None:
        self.config = config or ByteTrackConfig()
        self._frame_s = 1.0 / frame_rate
        self._lost_frames = max(1, round(self.config.lost_s * frame_rate))
        self._tracks: list[_Track] = []
        self._frame = 0
        self._next_id = 1

    def update(self, detections: sv.Detections) -> sv.Detections:
        """Track ids for this frame's detections; returns the tracked subset with ``tracker_id``."""
        self._frame += 1
        cfg = self.config
        scores = (detections.confidence if detections.confidence is not None
                  else np.ones(len(detections))).astype(np.float64)
        classes = (detections.class_id if detections.class_id is not None
                   else np.zeros(len(detections))).astype(np.int64)
        boxes = detections.xyxy.astype(np.float64)
        high = np.flatnonzero(scores >= cfg.high_score)
        low = np.flatnonzero((scores >= cfg.low_score) & (scores < cfg.high_score))
        for track in self._tracks:
            track.predict()
        owner: dict[int, _Track] = {}

        # 1. confident detections against every confirmed track, lost ones included
        left, high = self._associate([t for t in self._tracks if t.confirmed], high,
                                     cfg.match_iou, boxes, scores, classes, owner)
        # 2. weak detections against confirmed tracks seen last frame and still unmatched
        pool = [t for t in left if not t.lost]
        pairs, _, _ = _match(pool, boxes[low], scores[low], 0.5)
        for ti, di in pairs:
            self._claim(pool[ti], low[di], boxes, scores, classes, owner)
        # 3. unconfirmed tracks (seen once) against the confident detections left over
        _, free = self._associate([t for t in self._tracks if not t.confirmed], high, 0.3,
                                  boxes, scores, classes, owner)
        starters = [j for j in free if scores[j] >= cfg.new_track_score]

        kept = []
        for track in self._tracks:
            if track.last_frame == self._frame:
                kept.append(track)
            elif track.confirmed and self._frame - track.last_frame <= self._lost_frames:
                track.lost = True
                kept.append(track)
        for j in starters:
            track = _Track.start(boxes[j], float(scores[j]), int(classes[j]), self._frame)
            if self._frame == 1:
                self._confirm(track)
                owner[int(j)] = track
            kept.append(track)
        self._tracks = kept
        return self._output(detections, owner)

    def _associate(self, pool: list[_Track], candidates: npt.NDArray[np.intp], min_iou: float,
                   boxes: FloatArray, scores: FloatArray, classes: npt.NDArray[np.int64],
                   owner: dict[int, _Track]) -> tuple[list[_Track], npt.NDArray[np.intp]]:
        """Match ``pool`` to the ``candidates`` (detection indices) by overlap, then what
        overlapped nothing by distance (frames far apart); returns the tracks and candidates
        left unmatched."""
        pairs, left, free = _match(pool, boxes[candidates], scores[candidates], min_iou)
        for ti, di in pairs:
            self._claim(pool[ti], candidates[di], boxes, scores, classes, owner)
        pool, candidates = [pool[i] for i in left], candidates[free]
        pairs, left, free = self._near(pool, candidates, boxes, classes)
        for ti, di in pairs:
            self._claim(pool[ti], candidates[di], boxes, scores, classes, owner)
        return [pool[i] for i in left], candidates[free]

    def _near(self, tracks: list[_Track], candidates: npt.NDArray[np.intp], boxes: FloatArray,
              classes: npt.NDArray[np.int64],
              ) -> tuple[list[tuple[int, int]], list[int], list[int]]:
        """:func:`_match_near` with each track's reach: its speed limit times the seconds
        since it was last seen (nothing when the limit is 0)."""
        if self.config.max_speed_h_s == 0:
            return [], list(range(len(tracks))), list(range(len(candidates)))
        reach = [self.config.max_speed_h_s * (self._frame - t.last_frame) * self._frame_s
                 for t in tracks]
        return _match_near(tracks, boxes[candidates], classes[candidates], reach)

    def _claim(self, track: _Track, index: np.intp, boxes: FloatArray, scores: FloatArray,
               classes: npt.NDArray[np.int64], owner: dict[int, _Track]) -> None:
        track.update(boxes[index], float(scores[index]), int(classes[index]), self._frame)
        if not track.confirmed:
            self._confirm(track)
        owner[int(index)] = track

    def _confirm(self, track: _Track) -> None:
        track.confirmed = True
        track.track_id = self._next_id
        self._next_id += 1

    @staticmethod
    def _output(detections: sv.Detections, owner: dict[int, _Track]) -> sv.Detections:
        order = np.array(sorted(owner), dtype=np.intp)
        tracked = select(detections, order)
        tracked.tracker_id = np.array([owner[int(i)].track_id for i in order], dtype=np.int64)
        return tracked
