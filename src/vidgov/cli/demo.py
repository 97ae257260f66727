"""``vidgov demo``: the main job on the embedded default, end to end.

Synthesise a Guangxi estate, import it, audit it and print the scorecards; start a simulated
camera fleet and point the estate's cameras at it; then serve the cockpit until Ctrl-C while
the worker sweeps (the first sweep starts at once and the map fills in as its batches land,
so the cockpit is up in seconds, not after a sweep of every camera): what an operator's
first day with vidgov looks like, on any machine, with nothing to download.
"""

from __future__ import annotations

import logging
import signal
import tempfile
import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlalchemy import Engine

from vidgov.analytics.deid import load_deidentifier
from vidgov.api.app import create_app
from vidgov.catalog.exporter import Encoding
from vidgov.catalog.importer import import_catalog
from vidgov.catalog.scorecard import GroupBy
from vidgov.cli.audit import print_report
from vidgov.cli.context import state
from vidgov.cli.output import stages, stdout
from vidgov.cli.sweep import OSD_EVERY, print_rates, sweep_with_progress, tracking_detector
from vidgov.domain.divisions import load_divisions
from vidgov.maintenance.lifecycle import Policy, update_orders
from vidgov.probing.probe import ProbeOptions
from vidgov.probing.schedule import Schedule, run_worker
from vidgov.probing.sweep import Prober
from vidgov.services.catalog import audit_catalog
from vidgov.services.demo import DEMO_CLIP, demo_logins, point_at_fleet, watch_real_place
from vidgov.services.estate import write_estate
from vidgov.services.live_analytics import LiveAnalytics
from vidgov.services.sweeps import make_prober, picture_diagnoser
from vidgov.services.webhooks import deliver_until
from vidgov.settings import load_settings
from vidgov.simulate.fleet import Condition, Fleet, assign_conditions


def demo_command(
    ctx: typer.Context,
    cameras: Annotated[int, typer.Option(min=1, help="Size of the synthetic estate.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Same seed, same estate.")] = 1,
    mounts: Annotated[int, typer.Option(
        min=0, help="Simulated RTSP cameras the estate's cameras share (0: no fleet, "
        "no sweep).")] = 120,
    serve: Annotated[bool, typer.Option(
        help="Serve the cockpit until Ctrl-C while the worker sweeps (--no-serve: one sweep, "
        "its rates, then exit).")] = True,
    host: Annotated[str, typer.Option(help="Address the cockpit listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Cockpit port.")] = 8000,
    every: Annotated[int, typer.Option(min=1, help="Minutes between the worker's sweeps.")
                     ] = 10,
) -> None:
    """演示 The main job: estate, audit, fleet, then the cockpit while the worker sweeps."""
    engine = state(ctx).engine()
    console = stdout()
    with tempfile.TemporaryDirectory(prefix="vidgov-demo-") as folder, stages(3) as progress:
        catalog = Path(folder) / "广西视频监控资源目录.csv"
        progress.start(f"1/3 synthesising {cameras:,} cameras (GBK CSV, as clerks send it)")
        written = write_estate(cameras, seed, [], catalog, None, Encoding.GBK)
        progress.done()
        progress.start("2/3 importing")
        imported = import_catalog(engine, [catalog])
        progress.done()
        progress.start("3/3 auditing")
        report = audit_catalog(engine, [], date.today())
        progress.done()
    console.print(
        f"synthesised {written.records:,} cameras with {written.defects:,} catalog defects; "
        "imported: " + ", ".join(f"{k} {v:,}" for k, v in imported.counts().items()))
    print_report(report, [GroupBy.CITY])
    console.print("more: vidgov audit --by county --by department --by maintenance_unit, "
                  "--where city=南宁市, --xlsx 校验结果.xlsx")
    if mounts == 0:
        return
    scene = DEMO_CLIP.is_file() and serve  # a real place to analyse, when opencv-doc is there
    conditions = assign_conditions(mounts, seed=seed) + ([Condition.SCENE] if scene else [])
    with Fleet(conditions, clip=DEMO_CLIP if scene else None) as fleet:
        picture_urls = [c.url for c in fleet.cameras if c.condition is not Condition.SCENE]
        pointed = point_at_fleet(engine, picture_urls)
        console.print(f"simulated fleet: {mounts} RTSP cameras on 127.0.0.1 serve the "
                      f"{pointed:,} catalog cameras with a stream address")
        watched = watch_real_place(engine, fleet.cameras[-1].url) if scene else None
        if watched is not None:
            console.print(f"live analytics: camera {watched} (南宁市) shows a real plaza; the "
                          "worker counts its people and raises crowd events "
                          "(vidgov events list, or the API's /api/analytics)")
        prober = make_prober(ProbeOptions(diagnose=picture_diagnoser(clock_every=OSD_EVERY)))
        if not serve:
            swept = sweep_with_progress(engine, [], prober, grace=timedelta(0))
            print_rates(engine, [])
            console.print(f"work orders opened: {swept.orders.opened}")
            return
        _serve(engine, ctx, prober, host, port, every)


def _serve(engine: Engine, ctx: typer.Context, prober: Prober, host: str, port: int,
           every: int) -> None:
    console = stdout()
    logins = demo_logins(engine, load_divisions())
    stop = threading.Event()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("vidgov").setLevel(logging.INFO)  # ours; not every library's chatter
    first = threading.Event()

    def after_sweep(at: datetime) -> None:
        # A fault must outlast the grace period to open an order; the demo has none, so the
        # work-order board fills with the first sweep.
        changes = update_orders(engine, at, Policy(grace=timedelta(0)))
        if not first.is_set() and not stop.is_set():  # not a sweep cut short by Ctrl-C
            first.set()
            print_rates(engine, [])
            console.print(f"first sweep done; work orders opened: {changes.opened}")

    worker = threading.Thread(
        target=run_worker, name="vidgov-worker", daemon=True,
        args=(engine, [Schedule((), timedelta(minutes=every))], prober, stop),
        kwargs={"after_sweep": after_sweep})
    worker.start()
    helpers = [threading.Thread(target=LiveAnalytics(
                   engine, detector=tracking_detector, redact=load_deidentifier,
                   diagnose=picture_diagnoser(clock_every=0)).run,
                   args=(stop,), name="vidgov-live-analytics", daemon=True),
               threading.Thread(target=deliver_until, args=(engine, stop),
                                name="vidgov-webhooks", daemon=True)]
    for helper in helpers:
        helper.start()
    settings = load_settings()
    url = state(ctx).database_url
    if url:
        settings = settings.model_copy(update={"database_url": url})
    console.print(f"\n驾驶舱 cockpit: http://{host}:{port}/   (API: /docs, metrics: /metrics)")
    for login in logins:
        console.print(f"  登录 login: {login.username} / {login.password}   ({login.note})")
    console.print(f"the worker sweeps now and every {every} min (the map fills in as it goes; "
                  "the first sweep of 20,000 cameras takes a few minutes); Ctrl-C stops "
                  "everything")
    previous = signal.getsignal(signal.SIGTERM)
    try:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning",
                    access_log=False, timeout_graceful_shutdown=10)
    except KeyboardInterrupt:  # uvicorn has shut down and passes Ctrl-C on: the way out
        pass
    finally:
        stop.set()
        worker.join(timeout=30)
        for helper in helpers:
            helper.join(timeout=15)
        signal.signal(signal.SIGTERM, previous)
