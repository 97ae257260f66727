"""``vidgov report``: camera states and online/playable rates."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from vidgov.catalog.exporter import write_xlsx
from vidgov.cli.context import state
from vidgov.cli.output import frame_table, print_json, stdout
from vidgov.errors import InvalidInput
from vidgov.probing.rates import RateBy
from vidgov.services.health import camera_states, rates

app = typer.Typer(help="报表 Reports: camera health and online/playable rates.",
                  no_args_is_help=True)

RATE_HEADERS = {
    "city": "市 city", "county": "县区 county", "level": "层级 level",
    "department": "部门 department", "maintenance_unit": "维护单位 unit", "day": "日期 day",
    "cameras": "设备数 cameras", "probed": "已检测 probed", "probes": "检测次数 probes",
    "online": "在线 online", "playable": "可播放 playable",
    "online_rate": "在线率% online", "playable_rate": "可播放率% playable",
}


@app.command("cameras")
def cameras_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list.")] = False,
    where: Annotated[list[str] | None, typer.Option(help="Scope, e.g. city=南宁市.")] = None,
) -> None:
    """每台设备最新状态 Each camera's latest probe: online, playable, faults."""
    states = camera_states(state(ctx).engine(), where or [])
    if as_json:
        print_json(states)
        return
    console = stdout()
    for item in states[:50]:
        faults = item["faults"]
        listed = ",".join(faults) if isinstance(faults, list) else ""
        console.print(f"{item['device_id']}  online={item['online']}  "
                      f"playable={item['playable']}  {listed}")
    if len(states) > 50:
        console.print(f"… {len(states) - 50:,} more: --json")


@app.command("rates")
def rates_command(
    ctx: typer.Context,
    by: Annotated[RateBy, typer.Option(help="Group by.")] = RateBy.CITY,
    since: Annotated[str | None, typer.Option(
        help="Rates per day from this date (YYYY-MM-DD); without it, the latest state.")]
    = None,
    where: Annotated[list[str] | None, typer.Option(help="Scope, e.g. city=南宁市.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
    xlsx: Annotated[Path | None, typer.Option(help="Write a workbook.")] = None,
) -> None:
    """在线率/可播放率 Online and playable rates by city, county, level, department, unit."""
    try:
        start = datetime.fromisoformat(since) if since else None
    except ValueError as exc:
        raise InvalidInput(f"--since {since!r}: expected YYYY-MM-DD") from exc
    table = rates(state(ctx).engine(), by, where or [], start, over_time=start is not None)
    if xlsx is not None:
        write_xlsx({"在线率": table.rename(
            {k: v for k, v in RATE_HEADERS.items() if k in table.columns})}, xlsx)
    if as_json:
        print_json(table.to_dicts())
        return
    stdout().print(frame_table(table, f"在线率与可播放率 Rates by {by.value}", RATE_HEADERS,
                               limit=60))
