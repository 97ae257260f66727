"""Tracking-and-counting benchmark: analysed 1080p frames per second, decoding included.

The input is Debian's vtest.avi (768×576, 10 fps, opencv-doc) upscaled to 1920×1080 and
re-encoded as H.264 (it plays at 25 fps here, the common camera rate), so every run decodes
real 1080p H.264. Each configuration runs the whole pipeline (PyAV decode → NanoDet → ByteTrack
→ the hand-labelled counting line, scaled to 1080p) and prints frames/s (source frames consumed
per second of wall time) against the 20 frames/s target, and the line count against the hand
count of tests/analytics/data/vtest_line.json.

Baselines named in the output:
- ``baseline``: detector on every frame at full model cost, each frame converted to a
  full-size BGR array and letterboxed by the detector (what a plain loop over
  ``to_ndarray()`` + ``detect()`` does);
- ``decode only``: the PyAV decode of the same file, the ceiling of any pipeline here.

People precision/recall at IoU 0.5 is not measured: there are no hand-labelled boxes, only
the line crossings.

Run: ``.venv/bin/python benchmarks/analytics_bench.py [--frames 795] [--threads 0]``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from vidgov.analytics.detect import NanoDet, NanoDetConfig
from vidgov.analytics.pipeline import TRACKING_SCORE_THRESHOLD, AnalysisOptions, analyse
from vidgov.analytics.video import open_video
from vidgov.analytics.zones import LineSpec

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")  # Debian's opencv-doc
LABELS = Path(__file__).resolve().parent.parent / "tests" / "analytics" / "data" / \
    "vtest_line.json"
SIZE_WH = (1920, 1080)
TARGET_FPS = 20.0
CONFIGS: list[tuple[str, int, int | None]] = [  # name, every, detect_side
    ("baseline: every frame, full-size BGR", 1, None),
    ("every frame, converted to 640 px", 1, 640),
    ("every 2nd frame, 640 px", 2, 640),
    ("every 3rd frame, 640 px", 3, 640),
]


def make_1080p(path: Path, frames: int) -> None:
    """vtest upscaled to 1920×1080 (aspect not kept), H.264 at 25 fps."""
    with av.open(str(VTEST)) as source, av.open(str(path), mode="w") as target:
        stream = target.add_stream("libx264", rate=Fraction(25))
        stream.width, stream.height, stream.pix_fmt = *SIZE_WH, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "20"}
        for index, frame in enumerate(source.decode(video=0)):
            if index >= frames:
                break
            big = np.asarray(cv2.resize(frame.to_ndarray(format="bgr24"), SIZE_WH,
                                        interpolation=cv2.INTER_CUBIC), dtype=np.uint8)
            target.mux(stream.encode(av.VideoFrame.from_ndarray(big, format="bgr24")))
        target.mux(stream.encode(None))


def decode_fps(path: Path) -> float:
    started = time.perf_counter()
    with open_video(str(path)) as (_, frames):
        count = sum(1 for _ in frames)
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=795, help="vtest frames (795 = all)")
    parser.add_argument("--threads", type=int, default=0, help="onnxruntime threads (0: auto)")
    args = parser.parse_args()
    if not VTEST.is_file():
        raise SystemExit(f"{VTEST} is missing: install Debian's opencv-doc "
                         "(scripts/install-system-deps.sh)")
    labels = json.loads(LABELS.read_text("utf-8"))
    x1, y1, x2, y2 = labels["line"]["xyxy"]
    sx, sy = SIZE_WH[0] / 768, SIZE_WH[1] / 576
    line = LineSpec("walkway", (x1 * sx, y1 * sy), (x2 * sx, y2 * sy))
    hand = labels["counts"]
    detector = NanoDet(NanoDetConfig(score_threshold=TRACKING_SCORE_THRESHOLD,
                                     threads=args.threads))
    with tempfile.TemporaryDirectory() as folder:
        clip = Path(folder) / "vtest_1080p.mp4"
        make_1080p(clip, args.frames)
        print(f"input: vtest upscaled to {SIZE_WH[0]}×{SIZE_WH[1]} H.264, {args.frames} frames;"
              f" {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        print(f"hand count on the line (all 795 frames): in {hand['in']}, out {hand['out']}")
        print(f"target: >= {TARGET_FPS:.0f} analysed frames/s, decoding included\n")
        print(f"  {'decode only (PyAV, all frames)':40s} {decode_fps(clip):7.1f} frames/s")
        for name, every, side in CONFIGS:
            options = AnalysisOptions(lines=(line,), every=every, detect_side=side)
            with open_video(str(clip)) as (info, frames):
                result = analyse(frames, info, detector, options)
            counted = result.lines["walkway"].get("person", {"in": 0, "out": 0})
            verdict = "meets" if result.frames_per_s >= TARGET_FPS else "misses"
            print(f"  {name:40s} {result.frames_per_s:7.1f} frames/s "
                  f"({result.analysed_frames / result.elapsed_s:5.1f} detections/s) "
                  f"{verdict} target; line in {counted['in']}, out {counted['out']}")


if __name__ == "__main__":
    main()
