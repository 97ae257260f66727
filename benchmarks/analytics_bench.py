"""Analytics benchmark: analysed 1080p frames per second, decoding included, and how right the
detector is.

Part ``stream`` (one camera, every Nth frame): Debian's vtest.avi (768×576, 10 fps,
opencv-doc) upscaled to 1920×1080 and re-encoded as H.264 played at 25 fps, so every run
decodes real 1080p H.264. Each configuration runs the whole pipeline (PyAV decode → NanoDet →
ByteTrack → the hand-labelled counting line, scaled to 1080p) and prints frames/s (source
frames consumed per second of wall time) against the 20 frames/s target, and the line count
against the hand count of tests/analytics/data/vtest_line.json. Baselines: ``baseline`` (the
detector on every frame, each converted to a full-size BGR array) and ``decode only``.

Part ``cameras`` (issue 5's target: 20 cameras sampled at 1 fps = 20 analysed frames/s on 2
cores): vtest upscaled to 1080p H.264 at 25 fps *in real time* (each vtest frame shown 2.5
times, so people move as fast as they did), with a camera's GOP (a keyframe every 25 or 50
frames, ``--gops``). Each of ``--cameras`` cameras is analysed for ``--seconds`` s at 1 fps;
printed: analysed frames/s in total, milliseconds per analysed frame in each stage (decode,
convert, detect, track), CPU milliseconds per frame and the rate two idle cores would give
(the machine is shared, so wall figures move with its load), and the ratio against the naive
loop a user would write: ``cv2.VideoCapture`` reading every frame, NanoDet on each sampled
frame, one at a time. ``--executor ray`` runs the keyframe configuration on a local Ray cluster
with each of ``--workers`` (default 1 and 2) and prints its throughput. Then the tracking cost
of sampling: the whole 80 s clip at 1 fps (and 0.5 fps), line counts against the hand count.

Part ``accuracy``: people precision and recall at IoU 0.5 on the hand-labelled frames of
tests/analytics/data/vtest_boxes.json (49 people in 8 frames), at the detector's thresholds.

Run: ``.venv/bin/python benchmarks/analytics_bench.py [--part all|stream|cameras|accuracy]
[--frames 795] [--threads 0] [--cameras 20] [--seconds 30] [--executor local|ray]
[--workers 1 2] [--clips DIR]`` (``--clips`` keeps the generated clips for the next run).
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import resource
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import supervision as sv

from vidgov.analytics.accuracy import compare, load_labels, total
from vidgov.analytics.bytetrack import ByteTrack
from vidgov.analytics.detect import NanoDet, NanoDetConfig
from vidgov.analytics.pipeline import TRACKING_SCORE_THRESHOLD, AnalysisOptions, analyse
from vidgov.analytics.video import open_video
from vidgov.analytics.zones import LineCounter, LineSpec
from vidgov.compute.executor import Executor, LocalExecutor

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")  # Debian's opencv-doc
DATA = Path(__file__).resolve().parent.parent / "tests" / "analytics" / "data"
LABELS = DATA / "vtest_line.json"
BOXES = DATA / "vtest_boxes.json"
SIZE_WH = (1920, 1080)
TARGET_FPS = 20.0
CAMERA_FPS = 25
SAMPLE_FPS = 1.0
DETECT_SIDE = 640  # sampled frames are converted straight to this (the detector sees 416)
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


def make_camera_clip(path: Path, gop: int) -> Path:
    """vtest in real time as a 1080p camera sends it: 25 fps (each 10 fps frame repeated 2.5
    times on average), H.264 with a keyframe exactly every ``gop`` frames. Kept if present."""
    if path.is_file():
        return path
    partial = path.with_suffix(".part.mp4")
    with av.open(str(VTEST)) as source, av.open(str(partial), mode="w") as target:
        stream = target.add_stream("libx264", rate=Fraction(CAMERA_FPS))
        stream.width, stream.height, stream.pix_fmt = *SIZE_WH, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "20", "g": str(gop),
                          "keyint_min": str(gop), "sc_threshold": "0"}
        written = 0
        for index, frame in enumerate(source.decode(video=0)):
            big = frame.reformat(width=SIZE_WH[0], height=SIZE_WH[1], format="yuv420p",
                                 interpolation="BICUBIC")
            big.pict_type = av.video.frame.PictureType.NONE  # else vtest's I-frames force IDRs
            while written < (index + 1) * CAMERA_FPS / 10:
                big.pts, big.time_base = written, Fraction(1, CAMERA_FPS)
                target.mux(stream.encode(big))
                written += 1
        target.mux(stream.encode(None))
    partial.rename(path)
    return path


def decode_fps(path: Path) -> float:
    started = time.perf_counter()
    with open_video(str(path)) as (_, frames):
        count = sum(1 for _ in frames)
    return count / (time.perf_counter() - started)


def hand_line(width: int, height: int) -> tuple[LineSpec, dict[str, int]]:
    """The hand-labelled counting line scaled to a ``width``×``height`` picture, and its
    hand count over the whole clip."""
    labels = json.loads(LABELS.read_text("utf-8"))
    x1, y1, x2, y2 = labels["line"]["xyxy"]
    sx, sy = width / 768, height / 576
    return LineSpec("walkway", (x1 * sx, y1 * sy), (x2 * sx, y2 * sy)), labels["counts"]


def stream_part(folder: Path, frames: int, threads: int) -> None:
    line, hand = hand_line(*SIZE_WH)
    detector = NanoDet(NanoDetConfig(score_threshold=TRACKING_SCORE_THRESHOLD, threads=threads))
    clip = folder / "vtest_1080p.mp4"
    make_1080p(clip, frames)
    print(f"\n== one camera, every Nth frame: vtest upscaled to {SIZE_WH[0]}×{SIZE_WH[1]} "
          f"H.264, {frames} frames")
    print(f"hand count on the line (all 795 frames): in {hand['in']}, out {hand['out']}")
    print(f"target: >= {TARGET_FPS:.0f} analysed frames/s, decoding included\n")
    print(f"  {'decode only (PyAV, all frames)':40s} {decode_fps(clip):7.1f} frames/s")
    for name, every, side in CONFIGS:
        options = AnalysisOptions(lines=(line,), every=every, detect_side=side)
        with open_video(str(clip)) as (info, decoded):
            result = analyse(decoded, info, detector, options)
        counted = result.lines["walkway"].get("person", {"in": 0, "out": 0})
        verdict = "meets" if result.frames_per_s >= TARGET_FPS else "misses"
        print(f"  {name:40s} {result.frames_per_s:7.1f} frames/s "
              f"({result.analysed_frames / result.elapsed_s:5.1f} detections/s) "
              f"{verdict} target; line in {counted['in']}, out {counted['out']}")


# ---- 20 cameras at 1 fps ----------------------------------------------------------------

@dataclass(frozen=True)
class CameraJob:
    """One camera's work: which clip, how long, how it is sampled and decoded."""

    clip: str
    seconds: float
    sample_fps: float
    keyframes_only: bool
    threads: int  # onnxruntime threads of the process running it
    naive: bool = False


@dataclass
class CameraRun:
    """What one camera cost, stage by stage (seconds), and what it counted."""

    analysed: int = 0
    decode_s: float = 0.0
    convert_s: float = 0.0
    detect_s: float = 0.0
    track_s: float = 0.0
    cpu_s: float = 0.0
    line_in: int = 0
    line_out: int = 0
    tracks: set[int] = field(default_factory=set)

    def add(self, other: CameraRun) -> CameraRun:
        return CameraRun(self.analysed + other.analysed, self.decode_s + other.decode_s,
                         self.convert_s + other.convert_s, self.detect_s + other.detect_s,
                         self.track_s + other.track_s, self.cpu_s + other.cpu_s,
                         self.line_in + other.line_in, self.line_out + other.line_out,
                         self.tracks | other.tracks)


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _track(run: CameraRun, tracker: ByteTrack, counter: LineCounter, t_s: float,
           found: sv.Detections) -> None:
    started = time.perf_counter()
    tracked = tracker.update(found)
    counter.observe(t_s, tracked)
    if tracked.tracker_id is not None:
        run.tracks.update(int(i) for i in tracked.tracker_id)
    run.track_s += time.perf_counter() - started


def _sampled_camera(job: CameraJob, detector: NanoDet) -> CameraRun:
    """The library's way: ``open_video(sample_fps=…, keyframes_only=…)``, pixels converted
    straight to 640 px, boxes mapped back to 1080p for the line."""
    run = CameraRun()
    with open_video(job.clip, sample_fps=job.sample_fps,
                    keyframes_only=job.keyframes_only) as (info, frames):
        line, _ = hand_line(info.width, info.height)
        counter = LineCounter(line)
        tracker = ByteTrack(frame_rate=info.fps)
        while True:
            started = time.perf_counter()
            frame = next(frames, None)
            decoded = time.perf_counter()
            run.decode_s += decoded - started
            if frame is None or frame.t_s >= job.seconds:
                break
            picture = frame.bgr(DETECT_SIDE)
            converted = time.perf_counter()
            run.convert_s += converted - decoded
            found = detector.detect([picture])[0]
            scale = info.width / picture.shape[1]
            found.xyxy = (found.xyxy * scale).astype(np.float32)
            run.detect_s += time.perf_counter() - converted
            _track(run, tracker, counter, frame.t_s, found)
            run.analysed += 1
    totals = counter.totals().get("person", {"in": 0, "out": 0})
    run.line_in, run.line_out = totals["in"], totals["out"]
    return run


def _naive_camera(job: CameraJob, detector: NanoDet) -> CameraRun:
    """What a user writes first: OpenCV reads every frame, the model runs on each sampled one
    (full-size BGR, one frame at a time)."""
    run = CameraRun()
    capture = cv2.VideoCapture(job.clip)
    fps = capture.get(cv2.CAP_PROP_FPS) or CAMERA_FPS
    width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    line, _ = hand_line(width, height)
    counter, tracker = LineCounter(line), ByteTrack(frame_rate=job.sample_fps)
    every, index = round(fps / job.sample_fps), 0
    try:
        while index < job.seconds * fps:
            started = time.perf_counter()
            ok, picture = capture.read()
            decoded = time.perf_counter()
            run.decode_s += decoded - started
            if not ok:
                break
            if index % every == 0:
                found = detector.detect([np.asarray(picture, dtype=np.uint8)])[0]
                run.detect_s += time.perf_counter() - decoded
                _track(run, tracker, counter, index / fps, found)
                run.analysed += 1
            index += 1
    finally:
        capture.release()
    totals = counter.totals().get("person", {"in": 0, "out": 0})
    run.line_in, run.line_out = totals["in"], totals["out"]
    return run


def run_cameras(jobs: Sequence[CameraJob]) -> CameraRun:
    """A group of cameras analysed one after the other in one process, with one detector:
    the unit of work an executor runs (a pure function: jobs in, costs and counts out)."""
    detector = NanoDet(NanoDetConfig(score_threshold=TRACKING_SCORE_THRESHOLD,
                                     threads=jobs[0].threads))
    detector.detect([np.zeros((360, 640, 3), np.uint8)])  # onnxruntime's first run is slow
    started_cpu = _cpu_s()
    summed = CameraRun()
    for job in jobs:
        run = (_naive_camera if job.naive else _sampled_camera)(job, detector)
        summed = summed.add(run)
    summed.cpu_s = _cpu_s() - started_cpu
    return summed


def spread(executor: Executor, jobs: list[CameraJob], groups: int,
           ) -> tuple[CameraRun, float]:
    """The cameras dealt round-robin into ``groups`` (one per worker) and run; returns the
    summed costs and the wall time."""
    dealt = [jobs[g::groups] for g in range(groups) if jobs[g::groups]]
    started = time.perf_counter()
    runs = executor.map(run_cameras, dealt)
    wall_s = time.perf_counter() - started
    summed = CameraRun()
    for run in runs:
        summed = summed.add(run)
    return summed, wall_s


def report(name: str, run: CameraRun, wall_s: float, cores: int,
           baseline_fps: float | None = None) -> float:
    """One line of the cameras table; returns analysed frames/s."""
    fps = run.analysed / wall_s
    per = 1000 / max(run.analysed, 1)
    stages = (f"decode {run.decode_s * per:5.1f} convert {run.convert_s * per:4.1f} "
              f"detect {run.detect_s * per:5.1f} track {run.track_s * per:4.1f}")
    idle = (f"CPU {run.cpu_s * per:5.1f} ms/frame = {cores / (run.cpu_s / run.analysed):5.1f}"
            f" frames/s on {cores} idle cores" if run.cpu_s else "")
    ratio = f"  x{fps / baseline_fps:4.1f} naive" if baseline_fps else ""
    verdict = "meets" if fps >= TARGET_FPS else "misses"
    print(f"  {name:44s} {run.analysed:5d} frames {fps:6.1f} frames/s ({verdict}){ratio}")
    print(f"  {'':44s} ms/frame: {stages}; {idle}")
    return fps


def cameras_part(folder: Path, cameras: int, seconds: float, gops: Sequence[int],
                 executor_kind: str, workers: Sequence[int], threads: int) -> None:
    cores = os.cpu_count() or 1
    clips = {gop: str(make_camera_clip(folder / f"camera_1080p_gop{gop}.mp4", gop))
             for gop in gops}
    slow = max(1, cameras // 10)  # the slow configurations on fewer cameras: same per-frame cost
    print(f"\n== {cameras} cameras at {SAMPLE_FPS:g} fps: 1080p H.264 at {CAMERA_FPS} fps, "
          f"{seconds:g} s each ({slow} for the slower ways); keyframe every "
          f"{' or '.join(str(g) for g in gops)} frames")
    print(f"target: >= {TARGET_FPS:.0f} analysed frames/s in total on this machine "
          f"({cores} CPUs, load average {os.getloadavg()[0]:.1f}); ms/frame are wall time "
          "per analysed frame\n")
    local = LocalExecutor()

    def jobs(gop: int, count: int, keyframes_only: bool, naive: bool = False,
             ) -> list[CameraJob]:
        return [CameraJob(clips[gop], seconds, SAMPLE_FPS, keyframes_only, threads,
                          naive)] * count

    first = gops[0]
    naive, naive_wall = spread(local, jobs(first, slow, False, naive=True), 1)
    naive_fps = report(f"naive: cv2 every frame, NanoDet 1080p (GOP {first})", naive,
                       naive_wall, cores)
    for gop in gops:
        keyed, wall = spread(local, jobs(gop, cameras, True), 1)
        rate = min(SAMPLE_FPS, CAMERA_FPS / gop)
        report(f"keyframes only (GOP {gop}: {rate:g} fps)", keyed, wall, cores, naive_fps)
        every, wall = spread(local, jobs(gop, slow, False), 1)
        report(f"all frames decoded, 1 fps picked (GOP {gop})", every, wall, cores, naive_fps)
    if executor_kind == "ray":
        from vidgov.compute.ray_executor import RayConfig, RayExecutor

        for count in workers:
            started = time.perf_counter()
            with RayExecutor(RayConfig(workers=count)) as ray:
                up_s = time.perf_counter() - started
                keyed, wall = spread(ray, jobs(first, cameras, True), count)
                report(f"Ray, {count} worker(s), keyframes only (GOP {first})", keyed, wall,
                       cores, naive_fps)
                print(f"  {'':44s} (cluster up in {up_s:.1f} s, not counted)")
    print("\n== what 1 fps costs the counting: the whole clip (80 s) on one camera, "
          "line count against the hand count")
    _, hand = hand_line(*SIZE_WH)
    print(f"  {'hand count':44s} in {hand['in']:3d}, out {hand['out']:3d}")
    whole = 1e9
    ways = [(f"keyframes only, GOP {gop} ({min(SAMPLE_FPS, CAMERA_FPS / gop):g} fps)",
             CameraJob(clips[gop], whole, SAMPLE_FPS, True, threads)) for gop in gops]
    ways += [(f"all frames decoded, {fps:g} fps picked (GOP {gops[-1]})",
              CameraJob(clips[gops[-1]], whole, fps, False, threads)) for fps in (1.0, 2.0, 5.0)]
    for name, job in ways:
        run = run_cameras([job])
        print(f"  {name:44s} in {run.line_in:3d}, out {run.line_out:3d}; "
              f"{run.analysed} frames, {len(run.tracks)} tracks")


def accuracy_part(threads: int) -> None:
    labelled = {f.frame: f for f in load_labels(BOXES)}
    pictures = {}
    with av.open(str(VTEST)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in labelled:
                pictures[index] = np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8)
            if index >= max(labelled):
                break
    people = sum(len(f.people) for f in labelled.values())
    print(f"\n== people at IoU 0.5: {people} hand-labelled people in {len(labelled)} vtest "
          "frames (tests/analytics/data/vtest_boxes.json)")
    for threshold, why in [(TRACKING_SCORE_THRESHOLD, "fed to ByteTrack"),
                           (0.35, "plain detection, the default"), (0.5, "")]:
        detector = NanoDet(NanoDetConfig(score_threshold=threshold, threads=threads))
        results = []
        for index, truth in labelled.items():
            found = detector.detect([pictures[index]])[0]
            mask = found.class_id == 0
            scores = found.confidence[mask] if found.confidence is not None else []
            results.append(compare(found.xyxy[mask], scores, truth.people, truth.ignore))
        pooled = total(results)
        print(f"  score >= {threshold:.2f} {why:30s} precision {pooled.precision:.3f} "
              f"recall {pooled.recall:.3f} F1 {pooled.f1:.3f} ({pooled.true_positives} found, "
              f"{pooled.false_positives} false, {pooled.false_negatives} missed)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--part", choices=["all", "stream", "cameras", "accuracy"],
                        default="all")
    parser.add_argument("--frames", type=int, default=795, help="vtest frames (795 = all)")
    parser.add_argument("--threads", type=int, default=0, help="onnxruntime threads (0: auto)")
    parser.add_argument("--camera-threads", type=int, default=1,
                        help="onnxruntime threads per process in the cameras part (1: no "
                             "spinning threads, so CPU ms/frame is the work itself)")
    parser.add_argument("--cameras", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0, help="analysed per camera")
    parser.add_argument("--gops", type=int, nargs="+", default=[25, 50])
    parser.add_argument("--executor", choices=["local", "ray"], default="local")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="Ray workers to try, one local cluster each")
    parser.add_argument("--clips", type=Path, help="keep generated clips here (reused)")
    args = parser.parse_args()
    if not VTEST.is_file():
        raise SystemExit(f"{VTEST} is missing: install Debian's opencv-doc "
                         "(scripts/install-system-deps.sh)")
    if args.cameras < 1 or args.seconds <= 0 or min(args.gops) < 1 or min(args.workers) < 1:
        raise SystemExit("--cameras, --seconds, --gops and --workers must be positive")
    # the GOP-50 rows say the keyframes give 0.5 fps; one warning per camera would drown them
    logging.getLogger("vidgov.analytics.video").setLevel(logging.ERROR)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.clips or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        parts: dict[str, Callable[[], None]] = {
            "stream": functools.partial(stream_part, folder, args.frames, args.threads),
            "cameras": functools.partial(cameras_part, folder, args.cameras, args.seconds,
                                         args.gops, args.executor, args.workers,
                                         args.camera_threads),
            "accuracy": functools.partial(accuracy_part, args.threads),
        }
        for name, part in parts.items():
            if args.part in ("all", name):
                part()


if __name__ == "__main__":
    main()
