"""The life of a work order, driven by each camera's latest health after every sweep.

- A fault that has lasted past the grace period opens an order for the camera's maintenance
  unit (one per camera and fault: a brief glitch opens nothing, a lasting one opens one).
- An order past its SLA is escalated, once.
- An order whose fault is gone from the camera's latest probe closes itself ("recovered").
- People may close an order by hand, with a reason; the history keeps every step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from vidgov.catalog.models import Camera
from vidgov.errors import InvalidInput
from vidgov.maintenance.models import WorkOrder, WorkOrderEvent
from vidgov.probing.models import CameraHealth

OPEN_STATES = ("open", "escalated")


@dataclass(frozen=True)
class Policy:
    """How long a fault must last before an order opens, and how long the unit has to fix it."""

    grace: timedelta = timedelta(minutes=30)
    sla: timedelta = timedelta(hours=48)


@dataclass(frozen=True)
class Changes:
    opened: int = 0
    escalated: int = 0
    closed: int = 0


def update_orders(engine: Engine, now: datetime, policy: Policy = Policy()) -> Changes:
    """Bring every order in line with the cameras' latest health; one transaction."""
    opened = escalated = closed = 0
    with Session(engine) as session, session.begin():
        health = {h.device_id: h for h in session.scalars(select(CameraHealth))}
        orders = session.scalars(
            select(WorkOrder).where(WorkOrder.status.in_(OPEN_STATES))).all()
        open_keys = {(o.device_id, o.fault) for o in orders}
        for order in orders:
            state = health.get(order.device_id)
            if state is not None and order.fault not in state.faults:
                _close(session, order, _aware(state.probed_at), "recovered",
                       "摄像机恢复正常，自动关闭 camera passed again")
                closed += 1
            elif order.status == "open" and _aware(order.due_at) <= now:
                order.status, order.escalated_at = "escalated", now
                session.add(WorkOrderEvent(order_id=order.id, at=now, kind="escalated",
                                           detail="超过处置时限，已升级 SLA passed"))
                escalated += 1
        units = _units(session, [h.device_id for h in health.values() if h.faults])
        for state in health.values():
            if _aware(state.since) > now - policy.grace:
                continue
            for fault in state.faults:
                if (state.device_id, fault) in open_keys:
                    continue
                order = WorkOrder(
                    device_id=state.device_id, fault=fault,
                    maintenance_unit=units.get(state.device_id), status="open",
                    opened_at=now, due_at=now + policy.sla)
                session.add(order)
                session.flush()
                session.add(WorkOrderEvent(
                    order_id=order.id, at=now, kind="opened",
                    detail=f"故障 {fault} 持续超过 {policy.grace}，派单给 "
                           f"{order.maintenance_unit or '（未填维护单位）'}"))
                opened += 1
    return Changes(opened, escalated, closed)


def close_order(engine: Engine, order_id: int, reason: str, now: datetime | None = None) -> None:
    """Close an order by hand; refused for an order that does not exist or is closed."""
    now = now or datetime.now(UTC)
    with Session(engine) as session, session.begin():
        order = session.get(WorkOrder, order_id)
        if order is None:
            raise InvalidInput(f"no work order {order_id}")
        if order.status == "closed":
            raise InvalidInput(f"work order {order_id} is already closed")
        _close(session, order, now, "manual", reason)


def _close(session: Session, order: WorkOrder, at: datetime, reason: str, detail: str) -> None:
    order.status, order.closed_at, order.close_reason = "closed", at, reason
    session.add(WorkOrderEvent(order_id=order.id, at=at, kind="closed", detail=detail))


def _units(session: Session, device_ids: Sequence[str]) -> dict[str, str | None]:
    units: dict[str, str | None] = {}
    for start in range(0, len(device_ids), 500):
        chunk = device_ids[start:start + 500]
        rows = session.execute(
            select(Camera.device_id, Camera.maintenance_unit)
            .where(Camera.device_id.in_(chunk)))
        units.update((device_id, unit) for device_id, unit in rows)
    return units


def _aware(value: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they are stored in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
