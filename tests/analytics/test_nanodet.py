"""NanoDet on real frames: it finds the walkers of vtest.avi, in frame pixels, at sane sizes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import supervision as sv

from vidgov.analytics.detect import CLASSES, Detector, ModelMissing, NanoDet, NanoDetConfig


@pytest.fixture(scope="module")
def nanodet(nanodet_onnx: Path) -> NanoDet:
    return NanoDet(NanoDetConfig(model_path=nanodet_onnx, threads=1))


def test_finds_the_walkers(nanodet: NanoDet, vtest_frames: dict[int, np.ndarray]) -> None:
    detector: Detector = nanodet
    results = detector.detect(list(vtest_frames.values()))
    assert len(results) == len(vtest_frames)
    for index, detections in zip(vtest_frames, results, strict=True):
        people = detections[(detections.class_id == CLASSES.index("person"))
                            & (detections.confidence > 0.5)]
        # vtest has 3 to 10 walkers in view at these frames; the detector saw 3-7 of them
        # above 0.5 when this was written.
        assert len(people) >= 3, f"frame {index}: {len(people)} people above 0.5"
        width = people.xyxy[:, 2] - people.xyxy[:, 0]
        height = people.xyxy[:, 3] - people.xyxy[:, 1]
        # A walker seen from the high camera: 10-80 px wide, 25-160 px tall (36 px on the far
        # path by the building, 70-110 px on the near road), upright.
        assert np.all((width > 10) & (width < 80)), f"frame {index}: widths {width}"
        assert np.all((height > 25) & (height < 160)), f"frame {index}: heights {height}"
        assert np.all(height / width > 1.5), f"frame {index}: {height / width}"
        assert np.all(people.xyxy >= 0)
        assert np.all(people.xyxy[:, [0, 2]] <= 768)
        assert np.all(people.xyxy[:, [1, 3]] <= 576)


def test_output_is_valid_detections(nanodet: NanoDet,
                                    vtest_frames: dict[int, np.ndarray]) -> None:
    (detections,) = nanodet.detect([vtest_frames[100]])
    assert isinstance(detections, sv.Detections)
    assert set(detections.data["class_name"]) <= set(CLASSES)
    assert [CLASSES[i] for i in detections.class_id] == list(detections.data["class_name"])
    assert detections.confidence is not None
    assert np.all(detections.confidence >= nanodet.config.score_threshold)
    # Class-agnostic NMS: no two boxes cover the same object.
    iou = sv.box_iou_batch(detections.xyxy, detections.xyxy)
    np.fill_diagonal(iou, 0)
    assert iou.max() <= nanodet.config.iou_threshold


@pytest.mark.parametrize("shape", [(576, 768, 3), (100, 300, 3), (416, 416, 3), (720, 64, 3)])
def test_any_frame_size(nanodet: NanoDet, shape: tuple[int, int, int]) -> None:
    (detections,) = nanodet.detect([np.full(shape, 127, np.uint8)])
    assert len(detections) == 0  # a flat grey picture holds nothing


@pytest.mark.parametrize("frame", [np.zeros((10, 10), np.uint8), np.zeros((10, 10, 3), float)])
def test_refuses_non_bgr_frames(nanodet: NanoDet, frame: np.ndarray) -> None:
    with pytest.raises(ValueError, match="BGR uint8"):
        nanodet.detect([frame])


def test_missing_model_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing, match=r"run scripts/install-models\.sh"):
        NanoDet(NanoDetConfig(model_path=tmp_path / "nanodet.onnx"))
