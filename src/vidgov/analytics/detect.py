"""Detectors behind one small interface: BGR frames in, ``supervision.Detections`` out.

Why a protocol and a config union: the pipeline, tests and the Ray executor need only
``detect(frames)``; which model runs is a deployment choice, made in config by a ``type`` field
(frigate's pattern), so adding a backend is one module and one line in :data:`DetectorConfig`.

Every backend reports the same six classes (:data:`CLASSES`); ``Detections.class_id`` indexes
that tuple and ``Detections.data["class_name"]`` repeats the names.

Choosing one::

    build_detector(NanoDetConfig())                       # the default, installed at set-up
    build_detector(detector_config(Path("yolo11n.onnx")))  # a YOLO export of the site's own
    build_detector(parse_detector_config({"type": "yolo_onnx", "model_path": "m.onnx"}))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Protocol

import supervision as sv
from pydantic import Field, TypeAdapter, ValidationError

from vidgov.analytics.detectors.base import CLASSES, Frame, ModelMissing
from vidgov.analytics.detectors.nanodet import NanoDet, NanoDetConfig
from vidgov.analytics.detectors.yolo import YoloOnnx, YoloOnnxConfig
from vidgov.errors import ConfigurationError

__all__ = [
    "CLASSES",
    "Detector",
    "DetectorConfig",
    "Frame",
    "ModelMissing",
    "NanoDet",
    "NanoDetConfig",
    "YoloOnnx",
    "YoloOnnxConfig",
    "build_detector",
    "detector_config",
    "parse_detector_config",
]


class Detector(Protocol):
    """Anything that finds people and vehicles in pictures."""

    def detect(self, frames: Sequence[Frame]) -> list[sv.Detections]:
        """One ``Detections`` per frame (same order), boxes as xyxy in that frame's pixels."""
        ...


DetectorConfig = Annotated[NanoDetConfig | YoloOnnxConfig, Field(discriminator="type")]
"""The detector to run, chosen by ``type``: ``nanodet`` (default) or ``yolo_onnx``."""


@cache
def _adapter() -> TypeAdapter[NanoDetConfig | YoloOnnxConfig]:
    return TypeAdapter(DetectorConfig)


def parse_detector_config(raw: Mapping[str, Any]) -> NanoDetConfig | YoloOnnxConfig:
    """Validate a detector section of a config file; errors name the offending key.

    Without a ``type`` the section configures the default detector (NanoDet).
    """
    try:
        return _adapter().validate_python({"type": "nanodet", **raw})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'type'}: {e['msg']}"
                             for e in exc.errors())
        raise ConfigurationError(f"detector config: {problems}") from None


def detector_config(model_path: Path | None = None) -> NanoDetConfig | YoloOnnxConfig:
    """The config a ``--model PATH`` style option means: no path is NanoDet, a path is YOLO."""
    if model_path is None:
        return NanoDetConfig()
    return YoloOnnxConfig(model_path=model_path)


def build_detector(config: NanoDetConfig | YoloOnnxConfig) -> Detector:
    """Open the configured detector; raises :class:`ModelMissing` when its file is absent."""
    if isinstance(config, NanoDetConfig):
        return NanoDet(config)
    return YoloOnnx(config)
