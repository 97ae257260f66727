"""Choosing a detector by config: the default, a YOLO file, and errors that name the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vidgov.analytics.detect import (
    ModelMissing,
    NanoDet,
    NanoDetConfig,
    YoloOnnxConfig,
    build_detector,
    detector_config,
    parse_detector_config,
)
from vidgov.errors import ConfigurationError


@pytest.mark.parametrize(("raw", "expected"), [
    ({}, NanoDetConfig()),
    ({"type": "nanodet", "threads": 2}, NanoDetConfig(threads=2)),
    ({"type": "yolo_onnx", "model_path": "m.onnx"}, YoloOnnxConfig(model_path=Path("m.onnx"))),
])
def test_parse(raw: dict[str, Any], expected: object) -> None:
    assert parse_detector_config(raw) == expected


@pytest.mark.parametrize(("raw", "message"), [
    ({"type": "yolo_onnx"}, "yolo_onnx.model_path: Field required"),
    ({"type": "nanodet", "score_threshold": 2}, "nanodet.score_threshold"),
    ({"type": "nanodet", "modle_path": "x"}, "nanodet.modle_path: Extra inputs"),
    ({"type": "detr"}, "type: Input tag 'detr'"),
])
def test_parse_errors_name_the_key(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_detector_config(raw)


def test_a_model_path_means_yolo() -> None:
    assert detector_config() == NanoDetConfig()
    assert detector_config(Path("y.onnx")) == YoloOnnxConfig(model_path=Path("y.onnx"))


def test_build_default(nanodet_onnx: Path) -> None:
    assert isinstance(build_detector(NanoDetConfig(model_path=nanodet_onnx)), NanoDet)


@pytest.mark.parametrize("config", [
    NanoDetConfig(model_path=Path("missing/nanodet.onnx")),
    YoloOnnxConfig(model_path=Path("missing/yolo.onnx")),
])
def test_build_missing_model(config: NanoDetConfig | YoloOnnxConfig) -> None:
    with pytest.raises(ModelMissing, match="detector model not found: missing"):
        build_detector(config)
