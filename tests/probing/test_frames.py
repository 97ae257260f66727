"""The decode stage's window: the decoder's frames kept as planar YUV 4:2:0, whatever it gives.

Real PyAV encoding and decoding of short generated clips (no camera needed): video-range and
full-range (``yuvj420p``, common on IP cameras) H.264, a 4:2:2 stream and odd frame sides all
arrive as a window that diagnosis reads like the BGR pictures they were made from.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import av
import numpy as np
import pytest

from vidgov.probing.frames import DecodedWindow, _Planes, decode_access_units, window_times
from vidgov.probing.results import FaultCode
from vidgov.probing.rtp import AccessUnit
from vidgov.quality import QualityThresholds
from vidgov.quality.checks import prepare
from vidgov.simulate.pictures import Condition, make_window

NOW = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)


def _encoded(pix_fmt: str, frames: np.ndarray) -> list[AccessUnit]:
    """H.264 access units (Annex B) of BGR ``frames`` encoded as ``pix_fmt``, 90 kHz stamps."""
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height = frames.shape[2], frames.shape[1]
    codec.pix_fmt, codec.time_base = pix_fmt, Fraction(1, 90_000)
    codec.options = {"preset": "ultrafast", "tune": "zerolatency", "bf": "0"}
    units: list[AccessUnit] = []
    for index, image in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format=pix_fmt)
        frame.pts = index * 9000
        units += [AccessUnit(bytes(p), bool(p.is_keyframe), int(p.pts or 0))
                  for p in codec.encode(frame)]
    units += [AccessUnit(bytes(p), bool(p.is_keyframe), int(p.pts or 0))
              for p in codec.encode(None)]
    return units


@pytest.mark.parametrize(("pix_fmt", "full_range"), [("yuv420p", False), ("yuvj420p", True)])
def test_a_decoded_window_keeps_the_decoders_yuv_and_its_range(pix_fmt: str,
                                                               full_range: bool) -> None:
    source = make_window(Condition.NORMAL, 1, (320, 180), frames=4)
    outcome = decode_access_units("h264", b"", 90_000, _encoded(pix_fmt, source.frames), NOW,
                                  {}, 4)
    assert outcome.fault is None
    window = outcome.window
    assert window is not None
    pictures = window.pictures
    assert pictures.i420 is not None
    assert pictures.i420.shape == (4, 270, 320)
    assert pictures.full_range is full_range
    assert np.allclose(window.pts_s, [0.0, 0.1, 0.2, 0.3])
    grey = prepare(pictures, QualityThresholds()).grey.astype(int)
    expected = prepare(source, QualityThresholds()).grey
    assert np.abs(grey - expected).mean() < 4  # the encoder's loss, not a range shift
    assert np.abs(window.frames_bgr.astype(int) - source.frames).mean() < 6


def test_other_layouts_and_odd_sides_become_even_420() -> None:
    image = make_window(Condition.NORMAL, 2, (322, 182), frames=1).frames[0][:181, :321]
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
    planes = _Planes(2)
    assert planes.add(frame.reformat(format="yuv422p"))
    assert planes.planes.shape == (1, 270, 320)  # 321×181 cut to 320×180, as 4:2:0
    assert not planes.full_range
    resized = av.VideoFrame.from_ndarray(np.zeros((90, 160, 3), np.uint8), format="bgr24")
    assert not planes.add(resized.reformat(format="yuv420p"))  # another size ends the window
    assert planes.count == 1


def test_nothing_decodable_is_no_keyframe() -> None:
    outcome = decode_access_units("h264", b"", 90_000, [AccessUnit(b"\x00\x00\x01\x09", True, 0)],
                                  NOW, {}, 1)
    assert outcome.window is None
    assert outcome.fault is FaultCode.NO_KEYFRAME


def test_window_times_fill_gaps_and_replace_disorder() -> None:
    assert window_times(np.array([np.nan, 1.1, 1.2]), 10.0).tolist() == pytest.approx(
        [0.0, 0.1, 0.2])  # the unknown first time, one frame at the nominal rate earlier
    assert window_times(np.array([5.0, 4.0, 6.0]), 10.0).tolist() == pytest.approx(
        [0.0, 0.1, 0.2])
    stamps = np.array([0.0, 0.5])
    window = DecodedWindow.of_bgr(np.zeros((2, 40, 40, 3), np.uint8), stamps, NOW)
    assert window.pictures.i420 is None
    assert window.pts_s.tolist() == [0.0, 0.5]
