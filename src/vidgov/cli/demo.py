"""``vidgov demo``: the main job on the embedded default, end to end.

Synthesise a Guangxi estate, import it into the store, audit it, print the scorecards: what an
operator's first day with vidgov looks like, on any machine, with nothing to download.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from vidgov.catalog.exporter import Encoding
from vidgov.catalog.importer import import_catalog
from vidgov.catalog.scorecard import GroupBy
from vidgov.cli.audit import print_report
from vidgov.cli.context import state
from vidgov.cli.output import stages, stdout
from vidgov.services.catalog import audit_catalog
from vidgov.services.estate import write_estate


def demo_command(
    ctx: typer.Context,
    cameras: Annotated[int, typer.Option(min=1, help="Size of the synthetic estate.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Same seed, same estate.")] = 1,
) -> None:
    """演示 Synthesise an estate, import it, audit it and print the scorecards."""
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
