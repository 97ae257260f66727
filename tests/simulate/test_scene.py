"""A real clip served as a live camera: what the analytics chain is tested against."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from vidgov.errors import ConfigurationError, InvalidInput
from vidgov.services.fleet import expected_state
from vidgov.simulate.fleet import Condition, Fleet
from vidgov.simulate.scene import unpack_clip

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")  # Debian's opencv-doc


def test_a_clip_unpacks_into_numbered_frames_of_its_own_size_and_rate(tmp_path: Path) -> None:
    scene = unpack_clip(VTEST, tmp_path, max_frames=12)
    assert (scene.frames, scene.width, scene.height, scene.fps) == (12, 768, 576, 10)
    assert sorted(p.name for p in tmp_path.iterdir())[:2] == ["00001.jpg", "00002.jpg"]
    assert cv2.imread(scene.pattern % 12).shape == (576, 768, 3)


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such clip"),
    (b"not a video at all", "cannot read clip"),
])
def test_a_bad_clip_says_what_is_wrong(tmp_path: Path, content: bytes | None,
                                       message: str) -> None:
    clip = tmp_path / "clip.mp4"
    if content is not None:
        clip.write_bytes(content)
    with pytest.raises(InvalidInput, match=message):
        unpack_clip(clip, tmp_path)


def test_a_scene_camera_needs_a_clip() -> None:
    with pytest.raises(ConfigurationError, match="needs a clip"):
        Fleet([Condition.SCENE])


def test_a_scene_camera_is_expected_online_and_playable() -> None:
    assert expected_state(Condition.SCENE) == (True, True)


@pytest.mark.rtsp
def test_the_scene_camera_streams_the_clip_live_and_keeps_going(tmp_path: Path) -> None:
    reference = cv2.imread(unpack_clip(VTEST, tmp_path, max_frames=1).pattern % 1)
    with Fleet([Condition.SCENE], clip=VTEST) as fleet:
        (camera,) = fleet.cameras
        with av.open(camera.url, options={"rtsp_transport": "tcp", "timeout": "5000000"}) as c:
            frames = []
            for frame in c.decode(video=0):
                frames.append(frame)
                if len(frames) == 30:
                    break
    assert (frames[0].width, frames[0].height) == (768, 576)
    times = [f.time for f in frames[1:]]
    assert times == sorted(times)
    assert times[-1] - times[0] == pytest.approx(2.8, abs=0.05)  # 10 fps, paced live
    # The plaza, not test bars: the picture is the clip's (grey stone, people), within the
    # codec's loss of some frame of it.
    picture = frames[-1].to_ndarray(format="bgr24").astype(np.float32)
    assert abs(picture.mean() - reference.astype(np.float32).mean()) < 15
    assert picture.std(axis=2).mean() < 20  # nearly colourless, like vtest; bars are vivid
