"""The pipeline of a stream that never ends: fed batch by batch, flushed minute by minute.

Why a class beside :func:`vidgov.analytics.pipeline.analyse`: a clip is analysed in one call
and its counters report at the end, but a live camera is watched for months. Its tracker, line
and zone counters and event watches must outlive any batch (a person crossing a line between
two batches still counts once), while what is complete — minutes that have passed, events that
have ended — is handed out to be stored and then forgotten, so memory stays that of a minute.
It holds no I/O: the worker feeds it decoded frames and stores what :meth:`flush` returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import polars as pl
import supervision as sv
from pydantic import BaseModel, ValidationError

from vidgov.analytics.bytetrack import ByteTrack
from vidgov.analytics.detect import Detector
from vidgov.analytics.detectors.base import Frame, empty_detections
from vidgov.analytics.events import (
    CongestionConfig,
    CrowdConfig,
    Event,
    PresenceConfig,
    Redact,
    StoppedConfig,
)
from vidgov.analytics.pipeline import (
    SERIES_SCHEMA,
    AnalysisOptions,
    Counters,
    FrameLike,
    Scenario,
    build_watches,
    detect_batch,
)
from vidgov.analytics.video import VideoInfo
from vidgov.analytics.zones import LiveObserver
from vidgov.errors import InvalidInput

#: Each scenario's event configuration: a subscription's thresholds are its fields, by the
#: name of the :class:`AnalysisOptions` field it fills.
_CONFIGS: dict[Scenario, tuple[str, type[BaseModel]]] = {
    Scenario.CROWD: ("crowd", CrowdConfig), Scenario.CONGESTION: ("congestion", CongestionConfig),
    Scenario.STOPPED: ("stopped", StoppedConfig), Scenario.CUSTOM: ("presence", PresenceConfig)}


def event_configs(scenario: Scenario, thresholds: Mapping[str, float]) -> dict[str, Any]:
    """``thresholds`` (flat names and numbers, as stored with a subscription) as the scenario's
    event configuration, keyed for :class:`AnalysisOptions`; an unknown name or a value out of
    range is an :class:`InvalidInput` naming it. ``count`` takes none."""
    if scenario not in _CONFIGS:
        if thresholds:
            raise InvalidInput(f"scenario {scenario} takes no thresholds, got "
                               f"{', '.join(sorted(thresholds))}")
        return {}
    name, model = _CONFIGS[scenario]
    try:
        return {name: model.model_validate(dict(thresholds), strict=False)}
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"]))
        known = ", ".join(model.model_fields)
        raise InvalidInput(f"threshold {where} of scenario {scenario}: {first['msg']} "
                           f"(its thresholds: {known})") from None


@dataclass(frozen=True, slots=True)
class Pixels:
    """A decoded frame already turned into BGR pixels (a :class:`FrameLike`).

    Why: PyAV converts a frame with a converter kept on that frame, which must not run in two
    threads at once (two threads converting one frame hung the live worker in testing). The
    live worker's decoding thread converts each frame it hands on, once, and the analysis
    thread only ever sees these pixels.
    """

    index: int
    t_s: float
    picture: Frame

    def bgr(self, max_side: int | None = None) -> Frame:
        """The pixels, scaled down (never up) so the long side ≤ ``max_side``."""
        height, width = self.picture.shape[:2]
        scale = 1.0 if max_side is None else min(1.0, max_side / max(width, height))
        if scale == 1.0:
            return self.picture
        size = (round(width * scale) // 2 * 2, round(height * scale) // 2 * 2)
        return np.asarray(cv2.resize(self.picture, size, interpolation=cv2.INTER_AREA),
                          dtype=np.uint8)


@dataclass(frozen=True)
class Flushed:
    """What a flush hands out: the per-minute rows of complete minutes, and events (ended
    ones, and open ones so far)."""

    series: pl.DataFrame
    events: list[Event]


class StreamAnalysis:
    """Detection, tracking, counting and events over one stream, batch after batch.

    ``offset_s`` is added to every frame's time: the worker sets it so that minute 0 starts
    on a wall-clock minute, and the stored minutes line up across cameras. ``redact`` is the
    de-identifier every event snapshot passes through (None: events carry no snapshot).
    """

    def __init__(self, options: AnalysisOptions, info: VideoInfo, detector: Detector,
                 *, frame_rate: float, offset_s: float = 0.0,
                 redact: Redact | None = None) -> None:
        self.options = options
        self.info = info
        self.offset_s = offset_s
        self._detector = detector
        self._tracker = ByteTrack(options.tracker, frame_rate=frame_rate)
        self._counters = Counters.for_options(options)
        self._observers: list[LiveObserver] = [*self._counters.lines, *self._counters.zones]
        self._watches = build_watches(options, redact=redact)
        self._flushed_minute = 0  # minutes before this one have been handed out
        self._last_t = 0.0
        self.tracked: sv.Detections = empty_detections()
        self.analysed = 0

    def feed(self, frames: Sequence[FrameLike]) -> None:
        """Analyse ``frames`` (sampled ones, in order) with one detector call."""
        if not frames:
            return
        found = detect_batch(self._detector, frames, self.info, self.options)
        for frame, detections in zip(frames, found, strict=True):
            t_s = frame.t_s + self.offset_s
            self.tracked = self._tracker.update(detections)
            for observer in self._observers:
                observer.observe(t_s, self.tracked)
            for watch in self._watches:
                watch.observe(t_s, self.tracked, frame.bgr)
            self._last_t = max(self._last_t, t_s)
            self.analysed += 1

    def flush(self, *, final: bool = False) -> Flushed:
        """Rows of the minutes that have passed since the last flush, events that ended since,
        and open events as they stand (``details["ongoing"]``; stored again, in place, until
        they end). ``final``: the stream has ended: the current minute too, everything open
        closed."""
        current = int(self._last_t // 60)
        until = current + 1 if final else current
        minutes = range(self._flushed_minute, until)
        if final:
            rows = [r for observer in self._observers for r in observer.rows()
                    if r["minute"] in minutes]
        else:
            rows = [r for observer in self._observers for r in observer.rows_for(minutes)]
        for observer in self._observers:
            observer.forget(until)
        self._flushed_minute = max(self._flushed_minute, until)
        full = [{**dict.fromkeys(SERIES_SCHEMA), **row, "camera_id": self.options.camera_id}
                for row in rows]
        events: list[Event] = []
        for watch in self._watches:
            if final:
                watch.events()  # closes the open ones, which take_ended then hands out
            events.extend(watch.take_ended())
            if not final:
                events.extend(watch.ongoing())
        events.sort(key=lambda e: (e.started_s, e.region_id))
        return Flushed(pl.DataFrame(full, schema=SERIES_SCHEMA), events)
