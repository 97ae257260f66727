"""Analytics as stored: what each camera is asked to watch, what it counted, what happened, and
who is told.

Why these shapes:

- ``count_minute`` holds one row per camera × wall-clock minute × region × class, unique on
  exactly those keys, so a run delivered twice (a worker restarted after writing but before
  acknowledging) replaces its rows instead of counting everything twice.
- ``analytics_event`` is unique per camera × kind × region × start, for the same reason: a
  re-delivered event updates its row and is not announced to subscribers a second time.
- ``webhook`` carries the scope of the account that created it; an event is only ever sent to
  a webhook whose scope admits the camera, so a subscription cannot leak another city's events.
- ``webhook_delivery`` is the outbox: one row per event × webhook, written in the same
  transaction as the event, then worked off with retries by :mod:`vidgov.services.webhooks`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from vidgov.store.base import Base


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class AnalyticsSubscription(Base):
    """One camera asked to be analysed: which scenario, where (lines and zones in the source
    picture's pixels), how often (frames analysed per second), and when to raise events."""

    __tablename__ = "analytics_subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("camera.device_id"), nullable=False,
                                           index=True)
    scenario: Mapped[str] = mapped_column(Text, nullable=False)
    #: ``[{"id", "start": [x, y], "end": [x, y]}]``
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    #: ``[{"id", "points": [[x, y], ...]}]``
    zones: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    sample_rate_fps: Mapped[float] = mapped_column(Float, nullable=False)
    #: ``{"name": number}``, e.g. ``{"people": 20, "seconds": 30}``
    thresholds: Mapped[dict[str, float]] = mapped_column(JSON, nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class CountMinute(Base):
    """One minute of one region's counts for one class (see ``SERIES_SCHEMA``)."""

    __tablename__ = "count_minute"
    __table_args__ = (
        UniqueConstraint("device_id", "minute", "kind", "region_id", "class_name",
                         name="uq_count_minute_key"),
        # City- and county-wide questions read a time range across many cameras.
        Index("ix_count_minute_minute", "minute"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("camera.device_id"), nullable=False)
    minute: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)  # line | zone
    region_id: Mapped[str] = mapped_column(Text, nullable=False)
    class_name: Mapped[str] = mapped_column(Text, nullable=False)
    in_count: Mapped[int] = mapped_column(Integer, nullable=False)
    out_count: Mapped[int] = mapped_column(Integer, nullable=False)
    occupancy_max: Mapped[int | None] = mapped_column(Integer)
    occupancy_mean: Mapped[float | None] = mapped_column(Float)
    dwell_s_mean: Mapped[float | None] = mapped_column(Float)
    dwell_s_max: Mapped[float | None] = mapped_column(Float)


class AnalyticsEvent(Base):
    """A crowd, congestion or stopped vehicle, in wall-clock time, with its evidence picture
    (de-identified before it reaches the store)."""

    __tablename__ = "analytics_event"
    __table_args__ = (
        UniqueConstraint("device_id", "kind", "region_id", "started_at",
                         name="uq_analytics_event_key"),
        Index("ix_analytics_event_started_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("camera.device_id"), nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    region_id: Mapped[str] = mapped_column(Text, nullable=False)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    peak: Mapped[float] = mapped_column(Float, nullable=False)
    threshold: Mapped[float] = mapped_column(Float, nullable=False)
    class_names: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    track_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    snapshot_jpeg: Mapped[bytes | None] = mapped_column(LargeBinary)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class Webhook(Base):
    """An address told about events. ``scope_prefixes`` (None: the whole region) and
    ``maintenance_unit`` are the creating account's scope, ``scopes`` its admin codes."""

    __tablename__ = "webhook"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    url: Mapped[str] = mapped_column(Text, nullable=False)
    event_kinds: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    scopes: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    scope_prefixes: Mapped[list[str] | None] = mapped_column(JSON)
    maintenance_unit: Mapped[str | None] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text)
    #: Signs each body (HMAC-SHA256); kept because signing needs it, shown once at creation.
    secret: Mapped[str] = mapped_column(Text, nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class WebhookDelivery(Base):
    """One event owed to one webhook, and how its attempts went."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "webhook_id", name="uq_webhook_delivery_event_webhook"),
        # The worker's question, every few seconds: what is due now?
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("analytics_event.id"), nullable=False)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhook.id"), nullable=False,
                                            index=True)
    status: Mapped[str] = mapped_column(Text, nullable=False)  # DeliveryStatus
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
