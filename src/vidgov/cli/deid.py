"""``vidgov deid IN OUT``: a picture or video with its faces and licence plates blurred."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any

import av
import cv2
import numpy as np
import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from vidgov.analytics.deid import DeidConfig, Deidentified, Deidentifier, load_deidentifier
from vidgov.analytics.video import VideoInfo, is_stream, open_video
from vidgov.cli.output import print_json, stderr, stdout
from vidgov.errors import InvalidInput

PICTURE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
VIDEO_OUT_SUFFIXES = (".mp4",)


@dataclass
class Tally:
    """What one run blurred, for the summary line and ``--json``."""

    kind: str
    frames: int = 0
    faces: int = 0
    plates: int = 0
    frames_with_faces: int = 0
    frames_with_plates: int = 0
    started: float = field(default_factory=time.perf_counter)

    def add(self, result: Deidentified) -> None:
        found = result.found
        self.frames += 1
        self.faces += len(found.faces_xyxy)
        self.plates += len(found.plates_xyxy)
        self.frames_with_faces += bool(len(found.faces_xyxy))
        self.frames_with_plates += bool(len(found.plates_xyxy))

    def to_json(self, source: Path, out: Path) -> dict[str, Any]:
        return {"input": str(source), "output": str(out), "kind": self.kind,
                "frames": self.frames, "faces": self.faces, "plates": self.plates,
                "frames_with_faces": self.frames_with_faces,
                "frames_with_plates": self.frames_with_plates,
                "elapsed_s": round(time.perf_counter() - self.started, 3)}


def deid_command(
    source: Annotated[Path, typer.Argument(
        help="A picture (jpg, png, bmp, webp, tif) or a video file (mp4, avi, mkv, …).")],
    out: Annotated[Path, typer.Argument(
        help="Where to write: a picture of a picture kind, an .mp4 for a video.")],
    as_json: Annotated[bool, typer.Option(
        "--json", help="Counts of blurred faces and plates as JSON on stdout.")] = False,
    faces: Annotated[bool, typer.Option(help="Blur faces.")] = True,
    plates: Annotated[bool, typer.Option(help="Blur licence plates.")] = True,
    face_threshold: Annotated[float, typer.Option(
        min=0.01, max=0.99, help="Lowest face score blurred (lower hides more).")] = 0.6,
    plate_threshold: Annotated[float, typer.Option(
        min=0.01, max=0.99, help="Lowest plate score blurred (lower hides more).")] = 0.5,
    hold: Annotated[int, typer.Option(
        min=0, max=25, help="Video: each frame also blurs what was found this many frames "
        "before and after it, so a face missed for a frame stays hidden.")] = 2,
    threads: Annotated[int, typer.Option(
        min=0, help="Plate detector CPU threads; 0 lets onnxruntime choose.")] = 0,
) -> None:
    """隐私保护 Blur faces and licence plates in a picture or a video (video → MP4)."""
    kind = _check_paths(source, out)
    deidentifier = load_deidentifier(DeidConfig(
        faces=faces, plates=plates, face_score_threshold=face_threshold,
        plate_score_threshold=plate_threshold, hold_frames=hold, threads=threads))
    tally = Tally(kind)
    if kind == "picture":
        _deid_picture(source, out, deidentifier, tally)
    else:
        _deid_video(source, out, deidentifier, tally)
    if as_json:
        print_json(tally.to_json(source, out))
        return
    stdout().print(f"{out}: {_plural(tally.faces, 'face')} and "
                   f"{_plural(tally.plates, 'plate')} blurred in {_plural(tally.frames, 'frame')}")


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _check_paths(source: Path, out: Path) -> str:
    """``"picture"`` or ``"video"``; bad paths fail here, before any model is loaded."""
    if is_stream(str(source)):
        raise InvalidInput(f"deid reads files, not streams: {source}")
    if not source.is_file():
        raise InvalidInput(f"input not found: {source}")
    if out.resolve() == source.resolve():
        raise InvalidInput(f"output {out} is the input: write the blurred copy elsewhere")
    if not out.parent.is_dir():
        raise InvalidInput(f"cannot write {out}: folder {out.parent} does not exist")
    picture_in = source.suffix.lower() in PICTURE_SUFFIXES
    picture_out = out.suffix.lower() in PICTURE_SUFFIXES
    if picture_in and not picture_out:
        raise InvalidInput(f"{source} is a picture: name the output with a picture suffix "
                           f"({', '.join(PICTURE_SUFFIXES)}), not {out.suffix or 'none'}")
    if not picture_in and out.suffix.lower() not in VIDEO_OUT_SUFFIXES:
        raise InvalidInput(f"{source} is read as a video: name the output .mp4, "
                           f"not {out.suffix or 'none'}")
    return "picture" if picture_in else "video"


def _deid_picture(source: Path, out: Path, deidentifier: Deidentifier, tally: Tally) -> None:
    # np.fromfile + imdecode rather than imread: imread returns None without saying why
    picture = cv2.imdecode(np.fromfile(source, dtype=np.uint8), cv2.IMREAD_COLOR)
    if picture is None:
        raise InvalidInput(f"cannot read {source} as a picture")
    result = deidentifier.deidentify([np.asarray(picture, dtype=np.uint8)])[0]
    ok, encoded = cv2.imencode(out.suffix.lower(), result.picture)
    if not ok:
        raise InvalidInput(f"cannot encode a picture as {out.suffix}")
    out.write_bytes(encoded.tobytes())
    tally.add(result)


def _deid_video(source: Path, out: Path, deidentifier: Deidentifier, tally: Tally) -> None:
    with ExitStack() as stack:
        info, frames = stack.enter_context(open_video(str(source)))
        write = stack.enter_context(_mp4_writer(out, info))
        progress = stack.enter_context(Progress(
            TextColumn("隐私保护 deid"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TimeRemainingColumn(), console=stderr(), transient=True))
        task = progress.add_task("frames", total=info.frames)
        for result in deidentifier.deidentify_video(frame.bgr() for frame in frames):
            write(result.picture)
            tally.add(result)
            progress.advance(task)
    if tally.frames == 0:
        out.unlink(missing_ok=True)
        raise InvalidInput(f"no frames decoded from {source}")


def _codec() -> str:
    return next((c for c in ("libx264", "h264", "mpeg4") if c in av.codecs_available), "mpeg4")


@contextmanager
def _mp4_writer(path: Path, info: VideoInfo) -> Iterator[Any]:
    """``write(picture)`` appends one BGR frame to an MP4 at the source's size and rate.

    Odd sizes are kept by encoding 4:4:4 (4:2:0 needs even sides), so a round trip never
    crops a pixel of evidence.
    """
    container = av.open(str(path), mode="w")
    try:
        stream: Any = container.add_stream(
            _codec(), rate=Fraction(info.fps).limit_denominator(1001))
        stream.width, stream.height = info.width, info.height
        even = info.width % 2 == 0 and info.height % 2 == 0
        stream.pix_fmt = "yuv420p" if even or stream.codec_context.name != "libx264" \
            else "yuv444p"
        stream.options = {"crf": "18"} if stream.codec_context.name == "libx264" else {}

        def write(picture: np.ndarray) -> None:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="bgr24")
            container.mux(stream.encode(frame))

        yield write
        container.mux(stream.encode(None))
    finally:
        container.close()
