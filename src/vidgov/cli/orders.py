"""``vidgov orders``: maintenance work orders, as the units that must fix cameras see them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from vidgov.cli.context import state
from vidgov.cli.output import print_json, stdout
from vidgov.errors import InvalidInput
from vidgov.maintenance.lifecycle import close_order
from vidgov.maintenance.models import WorkOrder
from vidgov.services.health import list_orders, order_history

app = typer.Typer(help="运维工单 Maintenance work orders.", no_args_is_help=True)


def _as_dict(order: WorkOrder) -> dict[str, object]:
    return {
        "id": order.id, "device_id": order.device_id, "fault": order.fault,
        "maintenance_unit": order.maintenance_unit, "status": order.status,
        "opened_at": order.opened_at, "due_at": order.due_at,
        "escalated_at": order.escalated_at, "closed_at": order.closed_at,
        "close_reason": order.close_reason,
    }


@app.command("list")
def list_command(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(
        help="open (open or escalated), escalated or closed; default all.")] = None,
    unit: Annotated[str | None, typer.Option(help="One maintenance unit.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
) -> None:
    """工单列表 List work orders."""
    if status not in (None, "open", "escalated", "closed"):
        raise InvalidInput(f"--status {status!r}: expected open, escalated or closed")
    orders = list_orders(state(ctx).engine(), status, unit)
    if as_json:
        print_json([_as_dict(o) for o in orders])
        return
    table = Table(title="运维工单 Work orders", title_justify="left")
    for column in ("id", "设备编码", "故障", "维护单位", "状态", "派单时间", "时限"):
        table.add_column(column)
    for o in orders:
        table.add_row(str(o.id), o.device_id, o.fault, o.maintenance_unit or "（未填）",
                      o.status, f"{o.opened_at:%Y-%m-%d %H:%M}", f"{o.due_at:%Y-%m-%d %H:%M}")
    stdout().print(table)


@app.command("show")
def show_command(
    ctx: typer.Context,
    order_id: Annotated[int, typer.Argument(help="The order's number.")],
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
) -> None:
    """工单详情 One order with its full history."""
    order, events = order_history(state(ctx).engine(), order_id)
    if order is None:
        raise InvalidInput(f"no work order {order_id}")
    history = [{"at": e.at, "kind": e.kind, "detail": e.detail} for e in events]
    if as_json:
        print_json({**_as_dict(order), "history": history})
        return
    console = stdout()
    console.print(f"[bold]#{order.id}[/] {order.device_id} {order.fault} → "
                  f"{order.maintenance_unit or '（未填）'} [{order.status}]")
    for item in history:
        console.print(f"  {item['at']:%Y-%m-%d %H:%M}  {item['kind']:<9} {item['detail']}")


@app.command("close")
def close_command(
    ctx: typer.Context,
    order_id: Annotated[int, typer.Argument(help="The order's number.")],
    reason: Annotated[str, typer.Option(help="Why it is closed (kept in the history).")],
) -> None:
    """关闭工单 Close an order by hand."""
    close_order(state(ctx).engine(), order_id, reason)
    stdout().print(f"work order {order_id} closed")
