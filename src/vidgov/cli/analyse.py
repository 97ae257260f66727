"""``vidgov analyse run``: count people and vehicles crossing lines in one clip or stream,
and raise crowd, congestion and stopped-vehicle events in its zones."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import polars as pl
import supervision as sv
import typer
from pydantic import BaseModel, ValidationError
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from vidgov.analytics.annotate import annotated_video
from vidgov.analytics.custom import UserModelConfig, UserModelDetector
from vidgov.analytics.deid import load_deidentifier
from vidgov.analytics.detect import Detector, build_detector, detector_config
from vidgov.analytics.events import (
    CongestionConfig,
    CrowdConfig,
    PresenceConfig,
    Redact,
    StoppedConfig,
)
from vidgov.analytics.pipeline import (
    TRACKING_SCORE_THRESHOLD,
    AnalysisOptions,
    AnalysisResult,
    Counters,
    Scenario,
    analyse,
)
from vidgov.analytics.records import write_jsonl
from vidgov.analytics.video import VideoFrame, is_stream, open_video
from vidgov.analytics.zones import parse_line, parse_zone
from vidgov.cli.output import frame_table, print_json, stderr, stdout
from vidgov.domain.urls import redact_url
from vidgov.errors import InvalidInput

app = typer.Typer(help="视频分析 Video analytics: counting lines and zones over tracked "
                  "people and vehicles; crowd, congestion and stopped-vehicle events.",
                  no_args_is_help=True)

ConfigT = TypeVar("ConfigT", bound=BaseModel)


def _config(cls: type[ConfigT], options: dict[str, str], **values: Any) -> ConfigT:
    """A threshold config from CLI values; an invalid one is one line naming the option."""
    try:
        return cls(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        key = str(first["loc"][0]) if first["loc"] else ""
        raise InvalidInput(f"{options.get(key, key)}: {first['msg']}") from None


@app.command("run")
def run_command(
    source: Annotated[str, typer.Argument(
        help="A video file or a stream URL (rtsp://…); credentials are never shown.")],
    scenario: Annotated[Scenario, typer.Option(
        help="What to measure: count = per-class line crossings, zone occupancy and dwell; "
        "crowd, congestion, stopped = count plus events in each --zone; custom = a model of "
        "your own (--custom-model) whose objects staying in a zone are events.")]
    = Scenario.COUNT,
    line: Annotated[list[str] | None, typer.Option(
        help="A counting line x1,y1,x2,y2 in source pixels, optionally ID=x1,y1,x2,y2; "
        "crossing from the right of start→end to its left is 'in' (repeatable).")] = None,
    zone: Annotated[list[str] | None, typer.Option(
        help="A zone polygon x1,y1,x2,y2,x3,y3,… (at least 3 vertices), optionally ID=…; "
        "occupancy and dwell per class (repeatable).")] = None,
    every: Annotated[int, typer.Option(
        min=1, help="Run the detector on every Nth frame (all frames are decoded).")] = 1,
    fps: Annotated[float | None, typer.Option(
        min=0.01, help="Analyse this many frames a second instead (e.g. 1 for a long 1080p "
        "recording); with --keyframes-only only the keyframes that are samples are decoded, "
        "the cheap way when they come at least that often.")] = None,
    keyframes_only: Annotated[bool, typer.Option(
        help="With --fps: decode only the keyframes taken as samples.")] = False,
    out: Annotated[Path | None, typer.Option(
        help="Write an annotated MP4 here: boxes, track ids, lines with counts, zones; faces "
        "and licence plates blurred.")]
    = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Totals per line and class, the per-minute series, events and records "
        "as JSON.")]
    = False,
    records: Annotated[Path | None, typer.Option(
        help="Write GA/T 1400-style records (one per person or vehicle track, one per event) "
        "here as JSON Lines.")] = None,
    evidence: Annotated[Path | None, typer.Option(
        help="Write each event's evidence snapshot (faces and plates blurred) into this "
        "existing folder as JPEG.")] = None,
    start_time: Annotated[datetime | None, typer.Option(
        formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
        help="Wall-clock time of the first frame (local), for the records' ISO times.")]
    = None,
    crowd_people: Annotated[int | None, typer.Option(
        help="crowd: people in a zone at once that make a crowd (default 10).")] = None,
    crowd_seconds: Annotated[float | None, typer.Option(
        help="crowd: … for at least this many seconds (default 5).")] = None,
    crowd_growth: Annotated[int | None, typer.Option(
        help="crowd: also an event when the count rises by this many people … (0: off) "
        "(default 8).")] = None,
    crowd_window: Annotated[float | None, typer.Option(
        help="crowd: … within this many seconds (default 10).")] = None,
    congestion_vehicles: Annotated[int | None, typer.Option(
        help="congestion: vehicles in a zone at once … (default 5).")] = None,
    congestion_speed: Annotated[float | None, typer.Option(
        help="congestion: … whose median speed is below this many box heights per second "
        "… (default 0.2).")] = None,
    congestion_seconds: Annotated[float | None, typer.Option(
        help="congestion: … for at least this many seconds (default 10).")] = None,
    stopped_seconds: Annotated[float | None, typer.Option(
        help="stopped: a vehicle still in a zone for this many seconds (default 30).")]
    = None,
    stopped_move: Annotated[float | None, typer.Option(
        help="stopped: 'still' is moving less than this many box heights (default 0.5).")]
    = None,
    custom_model: Annotated[Path | None, typer.Option(
        help="custom: your own YOLO-family ONNX model (vidgov ships none for garbage piles "
        "or parcels; see docs/analytics.md).")] = None,
    custom_classes: Annotated[str | None, typer.Option(
        help="custom: the model's labels in output order, comma-separated.")] = None,
    presence_seconds: Annotated[float | None, typer.Option(
        help="custom: an object present in a zone this many seconds is an event "
        "(default 10).")] = None,
    camera_id: Annotated[str | None, typer.Option(
        help="The camera id the series is filed under (default: the file's name).")] = None,
    model: Annotated[Path | None, typer.Option(
        help="A YOLO ONNX export to use instead of the bundled NanoDet.")] = None,
    threads: Annotated[int, typer.Option(
        min=0, help="Detector CPU threads; 0 lets onnxruntime choose.")] = 0,
) -> None:
    """计数与事件 Track people and vehicles in one clip or stream: counts on lines and zones,
    crowd / congestion / stopped-vehicle events in zones."""
    options = AnalysisOptions(
        camera_id=camera_id or _default_camera_id(source), scenario=scenario,
        lines=tuple(parse_line(text, f"line{i + 1}") for i, text in enumerate(line or [])),
        zones=tuple(parse_zone(text, f"zone{i + 1}") for i, text in enumerate(zone or [])),
        every=every, started_at=start_time,
        crowd=_crowd_config(crowd_people, crowd_seconds, crowd_growth, crowd_window),
        congestion=_config(CongestionConfig, {"vehicles": "--congestion-vehicles",
                                              "max_speed_h_s": "--congestion-speed",
                                              "seconds": "--congestion-seconds"},
                           vehicles=congestion_vehicles, max_speed_h_s=congestion_speed,
                           seconds=congestion_seconds),
        stopped=_config(StoppedConfig, {"seconds": "--stopped-seconds",
                                        "max_move_h": "--stopped-move"},
                        seconds=stopped_seconds, max_move_h=stopped_move),
        presence=_config(PresenceConfig, {"seconds": "--presence-seconds"},
                         seconds=presence_seconds))
    if fps is not None and every != 1:
        raise InvalidInput("give --every or --fps, not both")
    if keyframes_only and fps is None:
        raise InvalidInput("--keyframes-only needs --fps (how often to take a keyframe)")
    if evidence is not None and not evidence.is_dir():
        raise InvalidInput(f"--evidence {evidence}: no such folder")
    counters = Counters.for_options(options)
    with ExitStack() as stack:
        info, frames = stack.enter_context(  # bad input fails first
            open_video(source, sample_fps=fps, keyframes_only=keyframes_only))
        detector = _detector(scenario, model, custom_model, custom_classes, threads)
        # pictures leave vidgov only de-identified; without an exit for them, none are taken.
        # The video gets a de-identifier of its own: it runs in another thread.
        redact: Redact | None = load_deidentifier() if evidence is not None else None
        write = (stack.enter_context(annotated_video(out, info, counters.lines, counters.zones,
                                                     deidentifier=load_deidentifier()))
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
                         counters=counters, redact=redact)
    if records is not None:
        write_jsonl(result.records, records)
    if evidence is not None:
        for n, event in enumerate(result.events, start=1):
            if event.snapshot_jpeg is not None:
                name = f"{n:03d}-{event.kind}-{event.region_id}-{event.started_s:.1f}s.jpg"
                (evidence / name).write_bytes(event.snapshot_jpeg)
    if as_json:
        print_json(result.to_json())
        return
    _print_summary(result, out, scenario)


def _detector(scenario: Scenario, model: Path | None, custom_model: Path | None,
              custom_classes: str | None, threads: int) -> Detector:
    """The bundled detector (or ``--model``), or for ``custom`` the user's own model."""
    if scenario != Scenario.CUSTOM:
        if custom_model is not None:
            raise InvalidInput("--custom-model is for --scenario custom")
        config = detector_config(model).model_copy(
            update={"score_threshold": TRACKING_SCORE_THRESHOLD, "threads": threads})
        return build_detector(config)
    if custom_model is None or not custom_classes:
        raise InvalidInput("scenario custom needs --custom-model MODEL.onnx and "
                           "--custom-classes a,b,…: vidgov ships no model for it")
    names = tuple(c.strip() for c in custom_classes.split(",") if c.strip())
    return UserModelDetector(_config(UserModelConfig, {"class_names": "--custom-classes"},
                                     model_path=custom_model, class_names=names,
                                     score_threshold=TRACKING_SCORE_THRESHOLD, threads=threads))


def _crowd_config(people: int | None, seconds: float | None, growth: int | None,
                  window: float | None) -> CrowdConfig:
    """``--crowd-growth 0`` turns the sudden-growth trigger off."""
    config = _config(CrowdConfig, {"people": "--crowd-people", "seconds": "--crowd-seconds",
                                   "growth_people": "--crowd-growth",
                                   "growth_window_s": "--crowd-window"},
                     people=people, seconds=seconds, growth_people=growth or None,
                     growth_window_s=window)
    return config.model_copy(update={"growth_people": None}) if growth == 0 else config


def _default_camera_id(source: str) -> str:
    return redact_url(source) if is_stream(source) else Path(source).stem


def _print_summary(result: AnalysisResult, out: Path | None, scenario: Scenario) -> None:
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
    if result.events:
        events = pl.DataFrame([
            {"kind": str(e.kind), "zone": e.region_id, "from_s": round(e.started_s, 1),
             "to_s": round(e.ended_s, 1), "peak": e.peak, "threshold": e.threshold,
             "reason": str(e.details.get("reason", "")), "tracks": len(e.track_ids),
             "snapshot": "yes" if e.snapshot_jpeg is not None else "no"}
            for e in result.events])
        console.print(frame_table(events, "事件 events"))
    elif scenario != Scenario.COUNT:
        console.print(f"no {scenario} events")
    if out is not None:
        console.print(f"annotated video: {out}")
