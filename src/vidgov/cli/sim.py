"""``vidgov sim``: simulators for tests and demos (a real RTSP camera fleet on loopback)."""

from __future__ import annotations

import signal
import threading
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from vidgov.catalog.exporter import write_csv
from vidgov.cli.context import state
from vidgov.cli.output import frame_table, stderr, stdout
from vidgov.errors import InvalidInput
from vidgov.services.fleet import register_fleet
from vidgov.simulate.fleet import Fleet, PictureFormat, parse_mix


class Codec(StrEnum):
    """The video codecs the simulated cameras can send."""

    H264 = "h264"
    H265 = "h265"


app = typer.Typer(help="模拟 Simulators: a real RTSP camera fleet on 127.0.0.1.",
                  no_args_is_help=True)


@app.command("fleet")
def fleet_command(
    ctx: typer.Context,
    cameras: Annotated[int, typer.Option(min=1, help="How many cameras.")] = 100,
    mix: Annotated[str | None, typer.Option(
        help="Condition weights, e.g. normal=70,black=5,port_closed=15; default: about 80% "
        "online and 70% playable, as the region reports.")] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same fleet.")] = 1,
    clip: Annotated[Path | None, typer.Option(
        help="A video of a real place that the 'scene' cameras show in a loop (give scene a "
        "weight in --mix), e.g. for analytics subscriptions.")] = None,
    register: Annotated[bool, typer.Option(
        help="Write the fleet into the catalog (a synthetic estate pointing at it).")] = False,
    manifest: Annotated[Path | None, typer.Option(
        help="CSV of each camera's condition and what a sweep must find.")] = None,
    duration: Annotated[float, typer.Option(
        help="Seconds to serve; 0 serves until Ctrl-C or SIGTERM.")] = 0.0,
    codec: Annotated[Codec, typer.Option(
        help="What the picture cameras send: H.264 (most of the estate) or H.265.")]
    = Codec.H264,
) -> None:
    """摄像机模拟 Serve simulated cameras, one condition each, until stopped."""
    try:
        weights = parse_mix(mix) if mix else None
    except ValueError as exc:
        raise InvalidInput(f"--mix: {exc}") from exc
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    picture = PictureFormat(codec=codec.value)
    with Fleet.from_mix(cameras, weights, seed=seed, clip=clip, picture=picture) as fleet:
        table = None
        if register:
            table = register_fleet(state(ctx).engine(), fleet.cameras, seed)
        if manifest is not None:
            if table is None:
                raise InvalidInput("--manifest needs --register (it lists device IDs)")
            write_csv(table, manifest, text_columns=["device_id"])
        counts: dict[str, int] = {}
        for camera in fleet.cameras:
            counts[camera.condition.value] = counts.get(camera.condition.value, 0) + 1
        console = stdout()
        console.print(f"serving {len(fleet.cameras):,} cameras on 127.0.0.1"
                      + (", registered in the catalog" if register else ""))
        console.print(frame_table(pl.DataFrame(
            {"condition": list(counts), "cameras": list(counts.values())}), "conditions"))
        stderr().print("Ctrl-C stops the fleet" if duration == 0 else
                       f"serving for {duration:g} s")
        stop.wait(duration if duration > 0 else None)
