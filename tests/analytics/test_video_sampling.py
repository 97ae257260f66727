"""Sampled reading (``open_video(sample_fps=…, keyframes_only=…)``) on generated H.264 clips.

Each clip paints its frame index as a bright column (x = 8 · index mod width), so a test can
read back which source frame a yielded picture really is: a keyframe-only reader that fed the
decoder a wrong packet would show the wrong column or a smeared one.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from vidgov.analytics.video import open_video
from vidgov.errors import InvalidInput

WIDTH, HEIGHT, FPS = 320, 96, 25


def write_gop_clip(path: Path, frames: int, gop: int, bframes: int = 0) -> Path:
    """An H.264 clip at 25 fps with a keyframe exactly every ``gop`` frames."""
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=Fraction(FPS))
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "18", "g": str(gop),
                          "keyint_min": str(gop), "sc_threshold": "0", "bf": str(bframes)}
        for index in range(frames):
            picture = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
            x = (8 * index) % WIDTH
            picture[:, x:x + 8] = 255
            container.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="bgr24")))
        container.mux(stream.encode(None))
    return path


def painted_index(picture: np.ndarray) -> int:
    """Which frame (mod WIDTH / 8) painted this picture: the brightest 8-pixel column."""
    columns = picture[:, :, 1].mean(axis=0).reshape(-1, 8).mean(axis=1)
    return int(columns.argmax())


@pytest.mark.parametrize(
    ("gop", "bframes", "sample_fps", "keyframes_only", "expected"),
    [
        # every second at 25 fps: frame 0, 25, 50, … whatever the GOP when decoding all
        (50, 0, 1.0, False, [0, 25, 50, 75, 100]),
        (50, 2, 1.0, False, [0, 25, 50, 75, 100]),
        # keyframes every second: the keyframes are the samples
        (25, 0, 1.0, True, [0, 25, 50, 75, 100]),
        (25, 2, 1.0, True, [0, 25, 50, 75, 100]),
        # keyframes twice a second, sampled once a second: every other keyframe
        (12, 0, 1.0, True, [0, 24, 48, 72, 96, 120]),
        # keyframes every 2 s, asked for 1 fps: the samples follow the keyframes
        (50, 0, 1.0, True, [0, 50, 100]),
        # two samples a second from all frames: the frame nearest each half second (12.5 → 12)
        (25, 0, 2.0, False, [0, 12, 25, 37, 50, 62, 75, 87, 100, 112]),
    ],
)
def test_sampled_frames_are_the_right_pictures(tmp_path: Path, gop: int, bframes: int,
                                               sample_fps: float, keyframes_only: bool,
                                               expected: list[int]) -> None:
    frames = 125 if gop != 12 else 130
    clip = write_gop_clip(tmp_path / "clip.mp4", frames, gop, bframes)
    with open_video(str(clip), sample_fps=sample_fps, keyframes_only=keyframes_only) as (
            info, sampled):
        got = [(f.index, f.t_s, painted_index(f.bgr())) for f in sampled]
    assert [index for index, _, _ in got] == expected
    assert [t for _, t, _ in got] == pytest.approx([i / FPS for i in expected])
    assert [painted for _, _, painted in got] == [i % (WIDTH // 8) for i in expected]
    # the tracker downstream is told the sample rate, not the camera's
    assert (info.fps, info.source_fps) == (sample_fps, FPS)


def test_keyframes_only_yields_keyframes_only(tmp_path: Path) -> None:
    """Every picture handed on is a keyframe the decoder produced (what makes it cheap is
    measured by benchmarks/analytics_bench.py), while a plain reader sees every frame."""
    clip = write_gop_clip(tmp_path / "clip.mp4", 125, 25)
    with open_video(str(clip), sample_fps=1.0, keyframes_only=True) as (_, sampled):
        keyframes = list(sampled)
    assert [f._frame.key_frame for f in keyframes] == [True] * 5
    with open_video(str(clip)) as (info, every):
        assert sum(1 for _ in every) == 125
    assert info.source_fps is None
    assert info.fps == FPS


def test_keyframes_only_pictures_are_the_keyframes_as_decoded_in_full(tmp_path: Path) -> None:
    # Keyframes alone skip the deblocking filter (it would only polish them): the pictures
    # stay within a grey level or two of a full decode's.
    clip = write_gop_clip(tmp_path / "clip.mp4", 75, 25)
    with open_video(str(clip), sample_fps=1.0, keyframes_only=True) as (_, sampled):
        fast = [f.bgr().astype(int) for f in sampled]
    with open_video(str(clip)) as (_, every):
        full = [f.bgr().astype(int) for f in every if f.index % 25 == 0]
    assert len(fast) == len(full) == 3
    for a, b in zip(fast, full, strict=True):
        assert np.abs(a - b).mean() < 2


def test_sample_rate_at_or_above_the_stream_rate_is_every_frame(tmp_path: Path) -> None:
    clip = write_gop_clip(tmp_path / "clip.mp4", 30, 25)
    with open_video(str(clip), sample_fps=30.0) as (info, frames):
        assert [f.index for f in frames] == list(range(30))
    assert info.fps == FPS


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sample_fps": 0.0}, r"sample_fps must be above 0, got 0\.0"),
        ({"sample_fps": -1.0}, r"sample_fps must be above 0"),
        ({"keyframes_only": True}, r"keyframes_only needs sample_fps"),
    ],
)
def test_nonsense_sampling_is_refused(tmp_path: Path, options: dict[str, object],
                                      message: str) -> None:
    clip = write_gop_clip(tmp_path / "clip.mp4", 5, 25)
    with pytest.raises(InvalidInput, match=message), \
            open_video(str(clip), **options):  # type: ignore[arg-type]
        pass
