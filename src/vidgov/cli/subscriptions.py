"""``vidgov subscriptions`` and ``vidgov events``: what the worker analyses live, and what it found.

The same use cases as the API's (:mod:`vidgov.services.analytics`), for the operator at the
console: the whole region is in scope here, as for every command that opens the store itself.
"""

from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from vidgov.analytics.events import EventKind
from vidgov.analytics.live import event_configs
from vidgov.analytics.pipeline import Scenario
from vidgov.analytics.records import write_jsonl
from vidgov.analytics.zones import parse_line, parse_zone
from vidgov.cli.context import state
from vidgov.cli.output import print_json, stdout
from vidgov.domain.divisions import load_divisions
from vidgov.errors import InvalidInput
from vidgov.services import events, subscriptions
from vidgov.services.events import EventQuery
from vidgov.services.subscriptions import Line, SubscriptionSpec, Zone
from vidgov.sharing.policy import Scope

app = typer.Typer(help="分析订阅 Analytics subscriptions: cameras the worker analyses live.",
                  no_args_is_help=True)
events_app = typer.Typer(help="分析事件 Events found by live analytics (crowds, congestion, "
                         "stopped vehicles).", no_args_is_help=True)


def _threshold(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise InvalidInput(f"bad --threshold {text!r}: expected NAME=NUMBER, "
                           "e.g. people=10") from None


@app.command("add")
def add_command(
    ctx: typer.Context,
    device_id: Annotated[str, typer.Argument(help="The camera's device ID (设备编码).")],
    scenario: Annotated[Scenario, typer.Option(
        help="count: lines and zones; crowd, congestion, stopped: events in zones; custom: a "
        "user model's objects staying in a zone.")] = Scenario.COUNT,
    line: Annotated[list[str] | None, typer.Option(
        help="A counting line x1,y1,x2,y2 in source pixels, optionally ID=… (repeatable).")]
    = None,
    zone: Annotated[list[str] | None, typer.Option(
        help="A zone x1,y1,x2,y2,x3,y3,… in source pixels, optionally ID=… (repeatable).")]
    = None,
    rate: Annotated[float, typer.Option(
        help="Frames analysed per second (1–2 suit counting people).")] = 2.0,
    threshold: Annotated[list[str] | None, typer.Option(
        help="An event threshold NAME=NUMBER of the scenario, e.g. people=10 seconds=5 "
        "(see docs/analytics.md; repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The subscription as JSON.")] = False,
) -> None:
    """添加订阅 Have the worker analyse a camera's live stream."""
    thresholds = dict(_threshold(t) for t in threshold or [])
    event_configs(scenario, thresholds)
    lines = [parse_line(t, f"line{i + 1}") for i, t in enumerate(line or [])]
    zones = [parse_zone(t, f"zone{i + 1}") for i, t in enumerate(zone or [])]
    spec = SubscriptionSpec(
        scenario.value, tuple(Line(v.id, v.start, v.end) for v in lines),
        tuple(Zone(v.id, v.points) for v in zones), rate, thresholds)
    with Session(state(ctx).engine()) as session, session.begin():
        made = subscriptions.create_subscription(session, Scope.everything(), device_id, spec,
                                             _operator())
    if as_json:
        print_json(made)
        return
    stdout().print(f"subscription {made['id']}: {scenario.value} on {device_id} at {rate:g} "
                   "frames/s; `vidgov worker` runs it")


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


@app.command("list")
def list_command(
    ctx: typer.Context,
    device_id: Annotated[str | None, typer.Option(help="One camera's only.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
) -> None:
    """订阅列表 List subscriptions."""
    with Session(state(ctx).engine()) as session:
        found = subscriptions.list_subscriptions(session, Scope.everything(), device_id)
    if as_json:
        print_json(found)
        return
    table = Table(title="分析订阅 Subscriptions", title_justify="left")
    for column in ("id", "设备编码", "名称", "场景", "线/区域", "帧/秒", "阈值", "启用"):
        table.add_column(column)
    for s in found:
        regions = ", ".join(r["id"] for r in [*s["lines"], *s["zones"]])
        table.add_row(str(s["id"]), s["device_id"], s["camera_name"] or "", s["scenario"],
                      regions, f"{s['sample_rate_fps']:g}",
                      " ".join(f"{k}={v:g}" for k, v in s["thresholds"].items()),
                      "是" if s["enabled"] else "否")
    stdout().print(table)


@app.command("disable")
def disable_command(
    ctx: typer.Context,
    subscription_id: Annotated[int, typer.Argument(help="The subscription's number.")],
) -> None:
    """停用订阅 Stop analysing (what was counted stays, with its subscription)."""
    with Session(state(ctx).engine()) as session, session.begin():
        subscriptions.disable_subscription(session, Scope.everything(), subscription_id)
    stdout().print(f"subscription {subscription_id} disabled")


@events_app.command("list")
def events_command(
    ctx: typer.Context,
    kind: Annotated[EventKind | None, typer.Option(help="One kind of event.")] = None,
    device_id: Annotated[str | None, typer.Option(help="One camera's only.")] = None,
    since: Annotated[datetime | None, typer.Option(
        help="Events that began at or after this time (ISO, UTC unless it says).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
) -> None:
    """事件列表 Events, newest first."""
    query = EventQuery(since=since, kind=kind, device_id=device_id)
    with Session(state(ctx).engine()) as session:
        page = events.event_page(session, load_divisions(), Scope.everything(), query, 1,
                                    limit)
    if as_json:
        print_json({"total": page.total, "items": page.items})
        return
    table = Table(title=f"分析事件 Events ({page.total})", title_justify="left")
    for column in ("id", "类型", "设备编码", "名称", "区域", "开始", "结束", "峰值", "阈值"):
        table.add_column(column)
    for e in page.items:
        table.add_row(*(_cell(e.get(k)) for k in (
            "id", "kind", "device_id", "camera_name", "region_id", "started_at", "ended_at",
            "peak", "threshold")))
    stdout().print(table)


@events_app.command("export")
def export_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Argument(help="The JSON Lines file to write (UTF-8).")],
    kind: Annotated[EventKind | None, typer.Option(help="One kind of event.")] = None,
    device_id: Annotated[str | None, typer.Option(help="One camera's only.")] = None,
    since: Annotated[datetime | None, typer.Option(
        help="Events that began at or after this time (ISO, UTC unless it says).")] = None,
    until: Annotated[datetime | None, typer.Option(
        help="Events that began before this time.")] = None,
) -> None:
    """事件导出 Events as GA/T 1400-style event objects, one JSON object a line."""
    query = EventQuery(since=since, until=until, kind=kind, device_id=device_id)
    with Session(state(ctx).engine()) as session:
        written = write_jsonl(events.event_records(session, load_divisions(),
                                                      Scope.everything(), query), out)
    stdout().print(f"{written:,} events written to {out}")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return "" if value is None else str(value)
