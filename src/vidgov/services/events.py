"""Events found by analytics, as people look for them: lists, one event, its picture, an export.

Every query takes the caller's :class:`~vidgov.sharing.policy.Scope` and puts it in the WHERE
clause, like the camera queries: an event of a camera outside the scope is never read, counted
or shown, and looking one up by ID finds nothing (404, as for an event that does not exist).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vidgov.analytics.events import Event, EventKind
from vidgov.analytics.models import AnalyticsEvent
from vidgov.analytics.records import Record, stored_event_record
from vidgov.catalog.models import Camera
from vidgov.domain.divisions import Divisions
from vidgov.errors import InvalidInput
from vidgov.services.analytics import iso, utc
from vidgov.services.filters import PlaceFilter
from vidgov.services.records import NotFound, Page
from vidgov.sharing.policy import Scope

_EXPORT_PAGE = 1000  # events read a page at a time when exporting


@dataclass(frozen=True)
class EventQuery:
    since: datetime | None = None
    until: datetime | None = None
    kind: EventKind | None = None
    device_id: str | None = None
    places: PlaceFilter = field(default_factory=PlaceFilter)

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and \
                utc(self.since) >= utc(self.until):
            raise InvalidInput(f"since ({iso(self.since)}) must be before until "
                               f"({iso(self.until)})")


_EVENT_COLUMNS = (AnalyticsEvent.id, AnalyticsEvent.device_id, Camera.name.label("camera_name"),
                  Camera.admin_code, AnalyticsEvent.kind, AnalyticsEvent.region_id,
                  AnalyticsEvent.started_at, AnalyticsEvent.ended_at, AnalyticsEvent.peak,
                  AnalyticsEvent.threshold, AnalyticsEvent.class_names,
                  AnalyticsEvent.track_ids, AnalyticsEvent.details,
                  AnalyticsEvent.snapshot_jpeg.is_not(None).label("has_snapshot"))


def snapshot_path(event_id: int) -> str:
    """Where the API serves an event's picture (subscribers fetch it with their token)."""
    return f"/api/analytics/events/{event_id}/snapshot"


def event_json(row: Any, divisions: Divisions | None = None) -> dict[str, Any]:
    city = None
    if divisions is not None and row.admin_code:
        code = divisions.city_code(row.admin_code)
        division = divisions.get(code) if code else None
        city = division.name if division else None
    started, ended = utc(row.started_at), utc(row.ended_at)
    return {"id": row.id, "device_id": row.device_id, "camera_name": row.camera_name,
            "admin_code": row.admin_code, "city": city, "kind": row.kind,
            "region_id": row.region_id,
            "started_at": iso(started), "ended_at": iso(ended),
            "duration_s": round((ended - started).total_seconds(), 3), "peak": row.peak,
            "threshold": row.threshold, "class_names": list(row.class_names),
            "track_ids": list(row.track_ids), "details": dict(row.details),
            "snapshot_url": snapshot_path(row.id) if row.has_snapshot else None}


def event_page(session: Session, divisions: Divisions, scope: Scope, query: EventQuery,
               page: int, page_size: int) -> Page:
    """Events of cameras in scope, newest first; ``since``/``until`` bound the start."""
    conditions = [scope.camera_condition(), query.places.camera_condition()]
    if query.since is not None:
        conditions.append(AnalyticsEvent.started_at >= utc(query.since))
    if query.until is not None:
        conditions.append(AnalyticsEvent.started_at < utc(query.until))
    if query.kind is not None:
        conditions.append(AnalyticsEvent.kind == query.kind.value)
    if query.device_id:
        conditions.append(AnalyticsEvent.device_id == query.device_id)
    joined = (select(AnalyticsEvent.id)
              .join(Camera, Camera.device_id == AnalyticsEvent.device_id).where(*conditions))
    total = session.scalar(select(func.count()).select_from(joined.subquery())) or 0
    rows = session.execute(
        select(*_EVENT_COLUMNS).join(Camera, Camera.device_id == AnalyticsEvent.device_id)
        .where(*conditions)
        .order_by(AnalyticsEvent.started_at.desc(), AnalyticsEvent.id.desc())
        .offset((page - 1) * page_size).limit(page_size))
    return Page([event_json(r, divisions) for r in rows], total, page, page_size)


def event_records(session: Session, divisions: Divisions, scope: Scope, query: EventQuery,
                  ) -> Iterator[Record]:
    """Every event of the query in scope, newest first, as GA/T 1400-style event objects
    (:func:`vidgov.analytics.records.stored_event_record`), a page at a time."""
    page = 1
    while True:
        found = event_page(session, divisions, scope, query, page, _EXPORT_PAGE)
        for e in found.items:
            started, ended = datetime.fromisoformat(e["started_at"]), \
                datetime.fromisoformat(e["ended_at"])
            event = Event(EventKind(e["kind"]), e["device_id"], e["region_id"], 0.0,
                          (ended - started).total_seconds(), e["peak"], e["threshold"],
                          tuple(e["class_names"]), tuple(e["track_ids"]), e["details"])
            yield stored_event_record(event, started, e["id"], e["snapshot_url"])
        if page * _EXPORT_PAGE >= found.total:
            return
        page += 1


def event_detail(session: Session, divisions: Divisions | None, scope: Scope,
                 event_id: int) -> dict[str, Any]:
    row = session.execute(
        select(*_EVENT_COLUMNS).join(Camera, Camera.device_id == AnalyticsEvent.device_id)
        .where(AnalyticsEvent.id == event_id, scope.camera_condition())).first()
    if row is None:
        raise NotFound(f"no event {event_id}")
    return event_json(row, divisions)


def event_snapshot(session: Session, scope: Scope, event_id: int) -> bytes:
    """The event's de-identified picture, if the caller may see its camera."""
    jpeg = session.scalar(
        select(AnalyticsEvent.snapshot_jpeg)
        .join(Camera, Camera.device_id == AnalyticsEvent.device_id)
        .where(AnalyticsEvent.id == event_id, scope.camera_condition()))
    if jpeg is None:
        raise NotFound(f"no picture of event {event_id}")
    return jpeg
