"""Fixtures of the analytics tests: the installed models and real frames of a real video.

Nothing here skips: a missing model or video fails with the command that installs it, because
a detector suite that silently skips tests nothing.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from vidgov.analytics.detectors.nanodet import MODELS_DIR

NANODET_TFJS = MODELS_DIR / "node_modules" / "@vladmandic" / "human-models" / "models" / \
    "nanodet.json"
NANODET_ONNX = MODELS_DIR / "nanodet.onnx"
# Debian's opencv-doc: 768×576, 10 fps, people walking across a plaza seen from above.
VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")


def require(path: Path, how: str) -> Path:
    if not path.is_file():
        pytest.fail(f"{path} is missing: {how}", pytrace=False)
    return path


@pytest.fixture(scope="session")
def nanodet_tfjs() -> Path:
    return require(NANODET_TFJS, "run scripts/install-models.sh (npm ci of the model packages)")


@pytest.fixture(scope="session")
def nanodet_onnx() -> Path:
    return require(NANODET_ONNX, "run scripts/install-models.sh (converts NanoDet to ONNX)")


@pytest.fixture(scope="session")
def vtest_frames() -> dict[int, np.ndarray]:
    """Frames 0, 100, 200, 300 and 400 of vtest.avi (BGR)."""
    video = require(VTEST, "install Debian's opencv-doc: scripts/install-system-deps.sh")
    capture = cv2.VideoCapture(str(video))
    frames: dict[int, np.ndarray] = {}
    index = 0
    while index <= 400:
        ok, frame = capture.read()
        assert ok, f"{video} ended at frame {index}"
        if index % 100 == 0:
            frames[index] = frame
        index += 1
    capture.release()
    return frames


@pytest.fixture(scope="session")
def vtest_video() -> Path:
    return require(VTEST, "install Debian's opencv-doc: scripts/install-system-deps.sh")
