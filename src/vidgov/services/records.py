"""Paged records for the service: cameras, probe history, evidence, work orders, sweeps.

Every query here takes the caller's :class:`~vidgov.sharing.policy.Scope` and puts it in the
WHERE clause, so what lies outside it is never read: not listed, not counted, not exported,
and a direct lookup by ID finds nothing (the API answers 404, as for a camera that does not
exist).

Which cameras and orders a page holds, and how many match, is decided over the read model's
frames (:mod:`vidgov.services.cockpit`), filtered by the same scope: a ``count(*)`` or a
``LIKE '%…%'`` over 250,000 rows costs tens to hundreds of milliseconds in SQL, a polars pass
a few. The page's rows are then read from the store by key, the scope again in the WHERE
clause, so what is shown is current and never outside the scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, Engine, Row, Select, and_, func, or_, select, true
from sqlalchemy.orm import Session

from vidgov.catalog.fields import FIELD_NAMES
from vidgov.catalog.models import Camera
from vidgov.catalog.query import with_places
from vidgov.catalog.store import CAMERA_SCHEMA
from vidgov.domain.divisions import Divisions
from vidgov.errors import InvalidInput
from vidgov.maintenance.lifecycle import close_order
from vidgov.maintenance.models import WorkOrder, WorkOrderEvent
from vidgov.probing.models import CameraHealth, ProbeEvidence, ProbeRecord, Sweep
from vidgov.services.filters import PlaceFilter
from vidgov.services.read_model import CameraState, Frames, scope_conditions
from vidgov.sharing.policy import Scope


class NotFound(InvalidInput):
    """Nothing by that ID that the caller may see."""


class CameraStatus(StrEnum):
    PLAYABLE = "playable"
    UNPLAYABLE = "unplayable"
    OFFLINE = "offline"
    UNPROBED = "unprobed"


class OrderStatus(StrEnum):
    OPEN = "open"
    ESCALATED = "escalated"
    CLOSED = "closed"


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int


@dataclass(frozen=True)
class CameraQuery:
    places: PlaceFilter
    q: str | None = None
    status: CameraStatus | None = None


# --- cameras -------------------------------------------------------------------------


def _camera_select(scope: Scope, query: CameraQuery) -> Select[Camera, CameraHealth]:
    statement = (
        select(Camera, CameraHealth)
        .outerjoin(CameraHealth, CameraHealth.device_id == Camera.device_id)
        .where(scope.camera_condition(), query.places.camera_condition(),
               _status_condition(query.status), _search_condition(query.q))
    )
    return statement


def _status_condition(status: CameraStatus | None) -> ColumnElement[bool]:
    if status is CameraStatus.PLAYABLE:
        return CameraHealth.playable.is_(True)
    if status is CameraStatus.UNPLAYABLE:
        return and_(CameraHealth.online.is_(True), CameraHealth.playable.is_(False))
    if status is CameraStatus.OFFLINE:
        return CameraHealth.online.is_(False)
    if status is CameraStatus.UNPROBED:
        return CameraHealth.device_id.is_(None)
    return true()


def _search_condition(q: str | None) -> ColumnElement[bool]:
    if not q or not q.strip():
        return true()
    text = q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(Camera.device_id.like(f"{text}%", escape="\\"),
               Camera.name.like(f"%{text}%", escape="\\"),
               Camera.address.like(f"%{text}%", escape="\\"))


def camera_page(engine: Engine, divisions: Divisions, scope: Scope, query: CameraQuery,
                page: int, page_size: int, frames: Frames) -> Page:
    """A page of the matching cameras in device ID order, each with its current state.

    Which cameras match, and how many, is decided over the read model's ``frames`` (as fresh
    as they are); the page's rows are then read from the store.
    """
    conditions = [c for c in (*scope_conditions(scope, query.places),
                              _status_expr(query.status), _search_expr(query.q))
                  if c is not None]
    selected = frames.matching(("cameras", scope, query), frames.cameras, "device_id",
                               conditions)
    ids = selected.slice((page - 1) * page_size, page_size).to_list()
    rows: dict[str, Any] = {}
    if ids:
        statement = (select(*_SUMMARY_COLUMNS)
                     .outerjoin(CameraHealth, CameraHealth.device_id == Camera.device_id)
                     .where(Camera.device_id.in_(ids), scope.camera_condition(),
                            query.places.camera_condition()))
        with Session(engine) as session:
            rows = {r.device_id: r for r in session.execute(statement)}
    items = [camera_summary(r, r if r.probed_at is not None else None, divisions)
             for i in ids if (r := rows.get(i)) is not None]
    return Page(items, selected.len(), page, page_size)


#: What a list shows of a camera: read as plain rows, not ORM objects with every column.
_SUMMARY_COLUMNS = (
    Camera.device_id, Camera.name, Camera.admin_code, Camera.address, Camera.longitude,
    Camera.latitude, Camera.department, Camera.maintenance_unit, Camera.place_type,
    Camera.point_class, CameraHealth.online, CameraHealth.playable, CameraHealth.faults,
    CameraHealth.probed_at,
)


def _status_expr(status: CameraStatus | None) -> pl.Expr | None:
    """The status filter over the frame's ``state`` (see :class:`~.read_model.CameraState`)."""
    if status is None:
        return None
    state = {CameraStatus.PLAYABLE: CameraState.PLAYABLE,
             CameraStatus.UNPLAYABLE: CameraState.UNPLAYABLE,
             CameraStatus.OFFLINE: CameraState.OFFLINE,
             CameraStatus.UNPROBED: CameraState.UNPROBED}[status]
    return pl.col("state") == state


def _search_expr(q: str | None) -> pl.Expr | None:
    """Like :func:`_search_condition`: ID prefix, or part of the name or address (ASCII
    letters in any case, as SQLite's LIKE)."""
    if not q or not q.strip():
        return None
    text = q.strip()
    lower = text.lower()
    return (pl.col("device_id").str.starts_with(text)
            | pl.col("name_lc").str.contains(lower, literal=True)
            | pl.col("address_lc").str.contains(lower, literal=True)).fill_null(False)


def camera_summary(camera: Camera | Row[Any], health: CameraHealth | Row[Any] | None,
                   divisions: Divisions) -> dict[str, Any]:
    code = camera.admin_code or ""
    city, county = divisions.city_code(code), divisions.county_code(code)
    return {
        "device_id": camera.device_id, "name": camera.name, "admin_code": camera.admin_code,
        "city": _name(divisions, city), "county": _name(divisions, county),
        "address": camera.address, "longitude": camera.longitude, "latitude": camera.latitude,
        "department": camera.department, "maintenance_unit": camera.maintenance_unit,
        "place_type": camera.place_type, "point_class": camera.point_class,
        "online": health.online if health is not None else None,
        "playable": health.playable if health is not None else None,
        "faults": list(health.faults) if health is not None else [],
        "probed_at": _iso(health.probed_at) if health is not None else None,
    }


def _name(divisions: Divisions, code: str | None) -> str | None:
    division = divisions.get(code) if code else None
    return division.name if division else None


def camera_detail(engine: Engine, divisions: Divisions, scope: Scope, device_id: str,
                  findings: pl.DataFrame) -> dict[str, Any]:
    """The record, its latest state, its catalog findings and its work orders."""
    with Session(engine) as session:
        row = session.execute(
            select(Camera, CameraHealth)
            .outerjoin(CameraHealth, CameraHealth.device_id == Camera.device_id)
            .where(Camera.device_id == device_id, scope.camera_condition())).first()
        if row is None:
            raise NotFound(f"no camera {device_id!r}")
        camera, health = row
        orders = list(session.scalars(select(WorkOrder).where(WorkOrder.device_id == device_id)
                                      .order_by(WorkOrder.id.desc())))
    record = {name: _jsonable(getattr(camera, name)) for name in FIELD_NAMES}
    record.update(camera_summary(camera, health, divisions))
    record["stream_url"] = _redacted(camera.stream_url)
    record["sub_stream_url"] = _redacted(camera.sub_stream_url)
    record["since"] = _iso(health.since) if health else None
    record["findings"] = findings.filter(pl.col("device_id") == device_id).select(
        "code", "severity", "field", "value", "detail", "suggestion").to_dicts()
    record["orders"] = [order_summary(o, camera.name) for o in orders]
    return record


def probe_history(engine: Engine, scope: Scope, device_id: str, limit: int
                  ) -> list[dict[str, Any]]:
    with Session(engine) as session:
        _visible_camera(session, scope, device_id)
        probes = session.scalars(select(ProbeRecord).where(ProbeRecord.device_id == device_id)
                                 .order_by(ProbeRecord.probed_at.desc()).limit(limit))
        return [{"sweep_id": p.sweep_id, "probed_at": _iso(p.probed_at), "online": p.online,
                 "playable": p.playable, "faults": list(p.faults),
                 "timings_ms": dict(p.timings_ms)} for p in probes]


def latest_snapshot(engine: Engine, scope: Scope, device_id: str) -> tuple[bytes, str]:
    """The newest evidence picture of the camera and the fault it shows."""
    with Session(engine) as session:
        _visible_camera(session, scope, device_id)
        evidence = session.scalars(
            select(ProbeEvidence).where(ProbeEvidence.device_id == device_id,
                                        ProbeEvidence.snapshot_jpeg.is_not(None))
            .order_by(ProbeEvidence.probed_at.desc(), ProbeEvidence.id.desc()).limit(1)).first()
    if evidence is None or evidence.snapshot_jpeg is None:
        raise NotFound(f"no snapshot of camera {device_id!r}")
    return evidence.snapshot_jpeg, evidence.code


def _visible_camera(session: Session, scope: Scope, device_id: str) -> Camera:
    camera = session.scalars(select(Camera).where(Camera.device_id == device_id,
                                                  scope.camera_condition())).first()
    if camera is None:
        raise NotFound(f"no camera {device_id!r}")
    return camera


def camera_frame(engine: Engine, divisions: Divisions, scope: Scope, query: CameraQuery
                 ) -> pl.DataFrame:
    """Every catalog field of the matching cameras, for downloads."""
    statement = _camera_select(scope, query).with_only_columns(
        *(getattr(Camera, name) for name in FIELD_NAMES)).order_by(Camera.device_id)
    with Session(engine) as session:
        rows = session.execute(statement).all()
    schema = {name: CAMERA_SCHEMA[name] for name in FIELD_NAMES}
    frame = pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")
    return with_places(frame, divisions)


# --- work orders ---------------------------------------------------------------------


def _order_select(scope: Scope) -> Select[WorkOrder, str | None]:
    statement = (select(WorkOrder, Camera.name)
            .join(Camera, Camera.device_id == WorkOrder.device_id)
            .where(scope.camera_condition()))
    return statement


def order_page(engine: Engine, scope: Scope, places: PlaceFilter, status: OrderStatus | None,
               device_id: str | None, page: int, page_size: int, frames: Frames) -> Page:
    """A page of the matching orders, newest first; which ones, and how many, is decided
    over the read model's ``frames``, the page's rows are then read from the store."""
    conditions = scope_conditions(scope, places)
    if status is not None:
        conditions.append(pl.col("status") == status.value)
    if device_id:
        conditions.append(pl.col("device_id") == device_id)
    selected = frames.matching(("orders", scope, places, status, device_id), frames.orders,
                               "id", conditions)
    ids = selected.slice((page - 1) * page_size, page_size).to_list()
    rows: dict[int, Any] = {}
    if ids:
        statement = (select(*_ORDER_COLUMNS, Camera.name.label("camera_name"))
                     .join(Camera, Camera.device_id == WorkOrder.device_id)
                     .where(WorkOrder.id.in_(ids), scope.camera_condition(),
                            places.camera_condition()))
        with Session(engine) as session:
            rows = {r.id: r for r in session.execute(statement)}
    return Page([order_summary(r, r.camera_name) for i in ids if (r := rows.get(i)) is not None],
                selected.len(), page, page_size)


_ORDER_COLUMNS = (WorkOrder.id, WorkOrder.device_id, WorkOrder.fault, WorkOrder.maintenance_unit,
                  WorkOrder.status, WorkOrder.opened_at, WorkOrder.due_at, WorkOrder.escalated_at,
                  WorkOrder.closed_at, WorkOrder.close_reason)


def order_summary(order: WorkOrder | Row[Any], camera_name: str | None) -> dict[str, Any]:
    return {
        "id": order.id, "device_id": order.device_id, "camera_name": camera_name,
        "fault": order.fault, "maintenance_unit": order.maintenance_unit,
        "status": order.status, "opened_at": _iso(order.opened_at),
        "due_at": _iso(order.due_at), "escalated_at": _iso(order.escalated_at),
        "closed_at": _iso(order.closed_at), "close_reason": order.close_reason,
    }


def order_detail(engine: Engine, scope: Scope, order_id: int) -> dict[str, Any]:
    with Session(engine) as session:
        row = session.execute(_order_select(scope).where(WorkOrder.id == order_id)).first()
        if row is None:
            raise NotFound(f"no work order {order_id}")
        order, name = row
        events = session.scalars(select(WorkOrderEvent)
                                 .where(WorkOrderEvent.order_id == order_id)
                                 .order_by(WorkOrderEvent.id))
        detail = order_summary(order, name)
        detail["events"] = [{"at": _iso(e.at), "kind": e.kind, "detail": e.detail}
                            for e in events]
    return detail


def close_visible_order(engine: Engine, scope: Scope, order_id: int, reason: str,
                        closed_by: str) -> dict[str, Any]:
    """Close an order the caller can see (a unit sees only its own); refused otherwise."""
    order_detail(engine, scope, order_id)  # raises NotFound outside the scope
    close_order(engine, order_id, f"{closed_by}: {reason}")
    return order_detail(engine, scope, order_id)


# --- sweeps --------------------------------------------------------------------------


def sweep_page(engine: Engine, page: int, page_size: int) -> Page:
    with Session(engine) as session:
        total = session.scalar(select(func.count()).select_from(Sweep)) or 0
        sweeps = session.scalars(select(Sweep).order_by(Sweep.id.desc())
                                 .offset((page - 1) * page_size).limit(page_size))
        probed = dict(session.execute(
            select(ProbeRecord.sweep_id, func.count()).group_by(ProbeRecord.sweep_id)).all())
        items = [{"id": s.id, "scope": s.scope, "status": s.status, "planned": s.planned,
                  "probed": int(probed.get(s.id, 0)), "started_at": _iso(s.started_at),
                  "finished_at": _iso(s.finished_at)} for s in sweeps]
    return Page(items, total, page, page_size)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def _jsonable(value: object) -> object:
    if isinstance(value, datetime):
        return _iso(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _redacted(url: str | None) -> str | None:
    """Stream addresses are shown without the credentials some catalogs carry in them."""
    if not url:
        return url
    from vidgov.domain.urls import redact_url

    return redact_url(url)
