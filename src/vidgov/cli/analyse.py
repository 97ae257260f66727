"""``vidgov analyse run``: count people and vehicles crossing lines in one clip or stream."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import supervision as sv
import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from vidgov.analytics.annotate import annotated_video
from vidgov.analytics.detect import build_detector, detector_config
from vidgov.analytics.pipeline import (
    TRACKING_SCORE_THRESHOLD,
    AnalysisOptions,
    AnalysisResult,
    Counters,
    Scenario,
    analyse,
)
from vidgov.analytics.video import VideoFrame, is_stream, open_video
from vidgov.analytics.zones import parse_line, parse_zone
from vidgov.cli.output import frame_table, print_json, stderr, stdout
from vidgov.domain.urls import redact_url

app = typer.Typer(help="视频分析 Video analytics: counting lines and zones over tracked "
                  "people and vehicles.", no_args_is_help=True)


@app.command("run")
def run_command(
    source: Annotated[str, typer.Argument(
        help="A video file or a stream URL (rtsp://…); credentials are never shown.")],
    scenario: Annotated[Scenario, typer.Option(
        help="What to measure: count = per-class line crossings, zone occupancy and dwell.")]
    = Scenario.COUNT,
    line: Annotated[list[str] | None, typer.Option(
        help="A counting line x1,y1,x2,y2 in source pixels, optionally ID=x1,y1,x2,y2; "
        "crossing from the right of start→end to its left is 'in' (repeatable).")] = None,
    zone: Annotated[list[str] | None, typer.Option(
        help="A zone polygon x1,y1,x2,y2,x3,y3,… (at least 3 vertices), optionally ID=…; "
        "occupancy and dwell per class (repeatable).")] = None,
    every: Annotated[int, typer.Option(
        min=1, help="Run the detector on every Nth frame (all frames are decoded).")] = 1,
    out: Annotated[Path | None, typer.Option(
        help="Write an annotated MP4 here: boxes, track ids, lines with counts, zones.")]
    = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Totals per line and class and the per-minute series as JSON.")]
    = False,
    camera_id: Annotated[str | None, typer.Option(
        help="The camera id the series is filed under (default: the file's name).")] = None,
    model: Annotated[Path | None, typer.Option(
        help="A YOLO ONNX export to use instead of the bundled NanoDet.")] = None,
    threads: Annotated[int, typer.Option(
        min=0, help="Detector CPU threads; 0 lets onnxruntime choose.")] = 0,
) -> None:
    """计数 Track people and vehicles in one clip or stream and count them on lines and zones."""
    options = AnalysisOptions(
        camera_id=camera_id or _default_camera_id(source), scenario=scenario,
        lines=tuple(parse_line(text, f"line{i + 1}") for i, text in enumerate(line or [])),
        zones=tuple(parse_zone(text, f"zone{i + 1}") for i, text in enumerate(zone or [])),
        every=every)
    config = detector_config(model).model_copy(
        update={"score_threshold": TRACKING_SCORE_THRESHOLD, "threads": threads})
    counters = Counters.for_options(options)
    with ExitStack() as stack:
        info, frames = stack.enter_context(open_video(source))  # bad input fails first
        detector = build_detector(config)
        write = (stack.enter_context(annotated_video(out, info, counters.lines, counters.zones))
                 if out is not None else None)
        progress = stack.enter_context(Progress(
            TextColumn("分析 analyse"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TimeRemainingColumn(), console=stderr(), transient=True))
        task = progress.add_task("frames", total=info.frames)

        def on_frame(frame: VideoFrame, tracked: sv.Detections) -> None:
            if write is not None:
                write(frame, tracked)
            progress.advance(task)

        result = analyse(frames, info, detector, options, on_frame=on_frame,
                         counters=counters)
    if as_json:
        print_json(result.to_json())
        return
    _print_summary(result, out)


def _default_camera_id(source: str) -> str:
    return redact_url(source) if is_stream(source) else Path(source).stem


def _print_summary(result: AnalysisResult, out: Path | None) -> None:
    console = stdout()
    console.print(f"{result.source}: {result.frames:,} frames ({result.duration_s:.1f} s), "
                  f"{result.analysed_frames:,} analysed in {result.elapsed_s:.1f} s "
                  f"({result.frames_per_s:.1f} frames/s)")
    rows: list[dict[str, Any]] = [
        {"line": line_id, "class": name, "in": n["in"], "out": n["out"]}
        for line_id, by_class in result.lines.items() for name, n in sorted(by_class.items())]
    if rows:
        console.print(frame_table(pl.DataFrame(rows), "过线计数 line counts"))
    elif result.lines:
        console.print("no crossings")
    zones = (result.series.filter(pl.col("kind") == "zone")
             .group_by("region_id", "class_name", maintain_order=True)
             .agg(visits=pl.col("in_count").sum(), occupancy_max=pl.col("occupancy_max").max(),
                  dwell_s_max=pl.col("dwell_s_max").max())
             .filter(pl.col("occupancy_max") > 0))
    if zones.height:
        console.print(frame_table(zones, "区域 zones: occupancy and dwell"))
    if out is not None:
        console.print(f"annotated video: {out}")
