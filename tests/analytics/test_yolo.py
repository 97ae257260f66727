"""The YOLO decoder on small synthetic ONNX models whose output is known exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from vidgov.analytics.detect import CLASSES, ModelMissing, YoloOnnx, YoloOnnxConfig
from vidgov.analytics.detectors.base import COCO80
from vidgov.errors import ConfigurationError

SIDE = 64  # the synthetic model's input: 1×3×64×64


def write_model(path: Path, output: np.ndarray, side: int | str = SIDE) -> Path:
    """An ONNX model that ignores its picture and always answers ``output``.

    output = ReduceSum(picture) · 0 + constant, so the input is really consumed.
    """
    nodes = [
        helper.make_node("ReduceSum", ["images"], ["total"], keepdims=0),
        helper.make_node("Mul", ["total", "zero"], ["nothing"]),
        helper.make_node("Add", ["nothing", "answer"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes, "fixed", [helper.make_tensor_value_info("images", TensorProto.FLOAT,
                                                       [1, 3, side, side])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(output.shape))],
        [numpy_helper.from_array(np.zeros((), np.float32), "zero"),
         numpy_helper.from_array(output.astype(np.float32), "answer")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def rows(labels: tuple[str, ...], *boxes: tuple[float, float, float, float, str, float],
         objectness: bool = False) -> np.ndarray:
    """Candidates as (N, 4 [+1] + C): cx, cy, w, h in input pixels, one label's score each."""
    out = np.zeros((len(boxes), 4 + objectness + len(labels)), np.float32)
    for i, (cx, cy, w, h, label, score) in enumerate(boxes):
        out[i, :4] = (cx, cy, w, h)
        if objectness:
            out[i, 4] = 0.5
        out[i, 4 + objectness + labels.index(label)] = score
    return out


BOXES = (
    (20, 16, 8, 16, "person", 0.9),       # kept: frame xyxy (32, 16, 48, 48)
    (20, 16, 8, 15, "bicycle", 0.8),      # same object, lower score: NMS drops it
    (44, 30, 12, 6, "dog", 0.95),         # not one of ours
    (50, 10, 10, 10, "car", 0.2),         # below the threshold
    (40, 40, 16, 12, "bus", 0.7),         # kept: frame xyxy (64, 68, 96, 92)
)
# The test frame is 128×96: letterboxed into 64×64 at scale 0.5, padded below.
EXPECTED_XYXY = [[32, 16, 48, 48], [64, 68, 96, 92]]
EXPECTED_NAMES = ["person", "bus"]


@pytest.mark.parametrize(("output", "class_names", "expected_scores"), [
    pytest.param(rows(COCO80, *BOXES).T[None], COCO80, [0.9, 0.7], id="ultralytics-84xN"),
    pytest.param(rows(COCO80, *BOXES)[None], COCO80, [0.9, 0.7], id="transposed-Nx84"),
    pytest.param(rows(COCO80, *BOXES, objectness=True)[None], COCO80, [0.45, 0.35],
                 id="yolov5-Nx85-objectness"),
    pytest.param(rows(("bus", "dog", "bicycle", "car", "person"), *BOXES).T[None],
                 ("bus", "dog", "bicycle", "car", "person"), [0.9, 0.7], id="own-labels"),
])
def test_decodes_known_output(tmp_path: Path, output: np.ndarray,
                              class_names: tuple[str, ...], expected_scores: list[float]) -> None:
    path = write_model(tmp_path / "yolo.onnx", output)
    detector = YoloOnnx(YoloOnnxConfig(model_path=path, class_names=class_names,
                                       score_threshold=0.3))
    (detections,) = detector.detect([np.zeros((96, 128, 3), np.uint8)])
    np.testing.assert_allclose(detections.xyxy, EXPECTED_XYXY, atol=1e-4)
    np.testing.assert_allclose(detections.confidence, expected_scores, atol=1e-6)
    assert list(detections.data["class_name"]) == EXPECTED_NAMES
    assert [CLASSES[i] for i in detections.class_id] == EXPECTED_NAMES


def test_nothing_above_threshold(tmp_path: Path) -> None:
    path = write_model(tmp_path / "yolo.onnx", rows(COCO80, BOXES[3]).T[None])
    (detections,) = YoloOnnx(YoloOnnxConfig(model_path=path)).detect(
        [np.zeros((64, 64, 3), np.uint8)])
    assert len(detections) == 0
    assert detections.data["class_name"].shape == (0,)


@pytest.mark.parametrize(("output", "config", "message"), [
    pytest.param(np.zeros((1, 7, 10)), {}, r"does not fit 80 classes", id="wrong-shape"),
    pytest.param(np.zeros((1, 84, 10)), {"class_names": ("cat", "dog")},
                 "none of person", id="no-useful-labels"),
])
def test_refuses_models_it_cannot_read(tmp_path: Path, output: np.ndarray,
                                       config: dict[str, object], message: str) -> None:
    path = write_model(tmp_path / "yolo.onnx", output)
    with pytest.raises(ConfigurationError, match=message):
        YoloOnnx(YoloOnnxConfig(model_path=path, **config)).detect(  # type: ignore[arg-type]
            [np.zeros((64, 64, 3), np.uint8)])


def test_dynamic_input_size_needs_config(tmp_path: Path) -> None:
    path = write_model(tmp_path / "yolo.onnx", rows(COCO80, *BOXES).T[None], side="size")
    with pytest.raises(ConfigurationError, match="set input_size"):
        YoloOnnx(YoloOnnxConfig(model_path=path))
    detector = YoloOnnx(YoloOnnxConfig(model_path=path, input_size=SIDE))
    (detections,) = detector.detect([np.zeros((96, 128, 3), np.uint8)])
    assert list(detections.data["class_name"]) == EXPECTED_NAMES


def test_missing_file_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing) as caught:
        YoloOnnx(YoloOnnxConfig(model_path=tmp_path / "yolo11n.onnx"))
    assert "yolo11n.onnx" in str(caught.value)
    assert "docs/analytics.md" in str(caught.value)
    assert "\n" not in str(caught.value)
