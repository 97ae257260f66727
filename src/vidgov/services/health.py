"""Health use cases for the CLI and API: camera states, rates, work orders."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import polars as pl
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from vidgov.catalog.query import parse_where
from vidgov.domain.divisions import load_divisions
from vidgov.maintenance.models import WorkOrder, WorkOrderEvent
from vidgov.probing.rates import (
    RateBy,
    current_rates,
    labelled_cameras,
    rates_over_time,
    read_health,
)


def camera_states(engine: Engine, where: Sequence[str]) -> list[dict[str, object]]:
    """Each catalog camera's latest state; never-probed cameras have online = None."""
    cameras = labelled_cameras(engine, load_divisions()).filter(parse_where(where))
    joined = cameras.join(read_health(engine), on="device_id", how="left").sort("device_id")
    return [
        {"device_id": r["device_id"], "online": r["online"], "playable": r["playable"],
         "faults": json.loads(r["faults"]) if r["faults"] else [],
         "probed_at": r["probed_at"]}
        for r in joined.iter_rows(named=True)
    ]


def rates(engine: Engine, by: RateBy, where: Sequence[str], since: datetime | None,
          over_time: bool) -> pl.DataFrame:
    cameras = labelled_cameras(engine, load_divisions()).filter(parse_where(where))
    if over_time:
        return rates_over_time(engine, cameras, by, since)
    return current_rates(cameras, read_health(engine), by)


def list_orders(engine: Engine, status: str | None, unit: str | None) -> list[WorkOrder]:
    query = select(WorkOrder).order_by(WorkOrder.id)
    if status == "open":
        query = query.where(WorkOrder.status != "closed")
    elif status:
        query = query.where(WorkOrder.status == status)
    if unit:
        query = query.where(WorkOrder.maintenance_unit == unit)
    with Session(engine) as session:
        return list(session.scalars(query))


def order_history(engine: Engine, order_id: int) -> tuple[WorkOrder | None, list[WorkOrderEvent]]:
    with Session(engine) as session:
        order = session.get(WorkOrder, order_id)
        events = list(session.scalars(
            select(WorkOrderEvent).where(WorkOrderEvent.order_id == order_id)
            .order_by(WorkOrderEvent.id)))
    return order, events
