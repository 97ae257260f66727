"""``vidgov sweep`` and ``vidgov worker``: probe the catalog, now or on a schedule."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from vidgov.analytics.deid import load_deidentifier
from vidgov.analytics.detect import Detector, build_detector, detector_config
from vidgov.analytics.pipeline import TRACKING_SCORE_THRESHOLD
from vidgov.cli.context import state
from vidgov.cli.output import frame_table, print_json, stderr, stdout
from vidgov.cli.report import RATE_HEADERS
from vidgov.maintenance.lifecycle import update_orders
from vidgov.probing.probe import ProbeOptions
from vidgov.probing.rates import RateBy
from vidgov.probing.results import ProbeTimeouts
from vidgov.probing.schedule import Schedule, run_worker
from vidgov.probing.sweep import Prober
from vidgov.services.health import rates
from vidgov.services.live_analytics import LiveAnalytics
from vidgov.services.subscriptions import Shard
from vidgov.services.sweeps import SweepReport, make_prober, picture_diagnoser, sweep
from vidgov.services.webhooks import deliver_until

#: The OSD clock is read on every Nth camera: OCR costs ~60 ms, a third of a playable probe's
#: CPU at every 10th. A worker sweeping every 10 minutes still reads each clock ~1.4 times a
#: day, and clock drift grows over days, not minutes.
OSD_EVERY = 100


def sweep_command(
    ctx: typer.Context,
    where: Annotated[list[str] | None, typer.Option(
        help="Scope, e.g. city=南宁市 (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Summary and rates as JSON.")] = False,
    concurrency: Annotated[int | None, typer.Option(
        min=1, help="Probes in flight, shared by the processes [default: 200 a process].")]
    = None,
    decode: Annotated[bool, typer.Option(
        help="Decode frames to prove playability (--no-decode: protocol only).")] = True,
    timeout: Annotated[float, typer.Option(
        min=0.05, max=60, help="Seconds allowed for connecting and for the RTSP answer.")]
    = 2.0,
    batch_size: Annotated[int, typer.Option(
        min=1, help="Cameras per stored batch: a killed sweep re-probes at most one batch.")]
    = 500,
    osd_every: Annotated[int, typer.Option(
        min=0, help="Read the OSD clock (clock drift, OCR ~60 ms) on every Nth camera; "
        "0 never.")] = OSD_EVERY,
    processes: Annotated[int, typer.Option(
        min=1, help="Prober processes (one core each; the probes are split among them).")]
    = 1,
) -> None:
    """巡检 Probe every camera of the scope: online, playable, picture faults; resumable."""
    engine = state(ctx).engine()
    options = ProbeOptions(decode=decode,
                           timeouts=ProbeTimeouts(connect_s=timeout, rtsp_s=timeout),
                           diagnose=picture_diagnoser(clock_every=osd_every) if decode else None)
    prober = make_prober(options, concurrency, processes=processes)
    report = sweep_with_progress(engine, where or [], prober, batch_size=batch_size,
                                 quiet=as_json)
    summary = report.summary
    if as_json:
        print_json({
            "sweep_id": summary.sweep_id, "planned": summary.planned,
            "probed": summary.probed_now, "resumed": summary.resumed,
            "orders": {"opened": report.orders.opened, "escalated": report.orders.escalated,
                       "closed": report.orders.closed},
            "rates": {
                "city": rates(engine, RateBy.CITY, where or [], None, False).to_dicts(),
                "level": rates(engine, RateBy.LEVEL, where or [], None, False).to_dicts()},
        })
        return
    stdout().print(f"sweep {summary.sweep_id}: probed {summary.probed_now:,} of "
                   f"{summary.planned:,}" + (" (resumed)" if summary.resumed else "")
                   + f"; work orders opened {report.orders.opened}, closed "
                   f"{report.orders.closed}, escalated {report.orders.escalated}")
    print_rates(engine, where or [])


def sweep_with_progress(
    engine: Engine, where: Sequence[str], prober: Prober, *, batch_size: int = 500,
    grace: timedelta | None = None, quiet: bool = False,
) -> SweepReport:
    """A sweep with a progress bar on standard error (none when ``quiet``)."""
    progress = Progress(TextColumn("巡检 sweep"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=stderr(), disable=quiet)
    with progress:
        task = progress.add_task("sweep", total=None)
        return sweep(engine, where, prober, batch_size=batch_size, grace=grace,
                     start=lambda n: progress.update(task, total=n),
                     progress=lambda n: progress.advance(task, n))


def print_rates(engine: Engine, where: Sequence[str]) -> None:
    """Online and playable rates of the scope, per city and per level."""
    console = stdout()
    for by, title in ((RateBy.CITY, "在线率与可播放率 by city"), (RateBy.LEVEL, "by level")):
        console.print(frame_table(rates(engine, by, where, None, over_time=False), title,
                                  RATE_HEADERS))


def worker_command(
    ctx: typer.Context,
    every: Annotated[int, typer.Option(min=1, help="Minutes between sweeps of a scope.")] = 10,
    scope: Annotated[list[str] | None, typer.Option(
        help='A scope to sweep, as --where items joined by spaces, e.g. "city=南宁市"; '
        "repeatable; default the whole catalog.")] = None,
    concurrency: Annotated[int | None, typer.Option(
        min=1, help="Probes in flight, shared by the processes [default: 200 a process].")]
    = None,
    osd_every: Annotated[int, typer.Option(
        min=0, help="Read the OSD clock on every Nth camera; 0 never.")] = OSD_EVERY,
    processes: Annotated[int, typer.Option(
        min=1, help="Prober processes (one core each).")] = 1,
    analytics: Annotated[bool, typer.Option(
        help="Also run the analytics subscriptions on their cameras' live streams (counts, "
        "events, a picture diagnosis from the same decode) and deliver events to webhooks.")]
    = True,
    analytics_shard: Annotated[str, typer.Option(
        help="With several workers, the share of the analytics subscriptions this one runs: "
        "I/N runs those whose id modulo N is I (give each worker its own I).")] = "0/1",
    public_url: Annotated[str, typer.Option(
        help="The service's address as subscribers reach it, for the snapshot links in "
        "webhook payloads, e.g. https://vidgov.example.gov.cn.")] = "",
) -> None:
    """巡检服务 Run sweeps on a schedule until stopped (SIGTERM/Ctrl-C); survives restarts.

    With --analytics (the default) it also runs every enabled analytics subscription on its
    camera's live stream and delivers their events to webhooks, with retries."""
    shard = Shard.parse(analytics_shard)  # bad input fails before anything starts
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    engine = state(ctx).engine()
    schedules = [Schedule(tuple(s.split()), timedelta(minutes=every)) for s in scope or [""]]
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    options = ProbeOptions(diagnose=picture_diagnoser(clock_every=osd_every))
    helpers = [threading.Thread(target=LiveAnalytics(
                   engine, detector=tracking_detector,
                   diagnose=picture_diagnoser(clock_every=osd_every),
                   redact=load_deidentifier, shard=shard).run,
                   args=(stop,), name="vidgov-live-analytics"),
               threading.Thread(target=deliver_until, args=(engine, stop),
                                kwargs={"base_url": public_url}, name="vidgov-webhooks")
               ] if analytics else []
    for helper in helpers:
        helper.start()
    try:
        run_worker(engine, schedules, make_prober(options, concurrency, processes=processes),
                   stop, after_sweep=lambda at: update_orders(engine, at))
    finally:
        stop.set()
        for helper in helpers:
            helper.join()


def tracking_detector() -> Detector:
    """The configured detector, at the score threshold that feeds the tracker."""
    config = detector_config(None)
    return build_detector(config.model_copy(update={"score_threshold": TRACKING_SCORE_THRESHOLD}))
