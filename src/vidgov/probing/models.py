"""What sweeps leave in the store: every probe, each camera's latest state, daily roll-ups.

History is kept: a probe result row per camera per sweep (unique, so a resumed sweep can never
probe a camera twice or lose one), ``camera_health`` for the latest state (what reports and
work orders read), and ``health_daily`` where old probe rows are rolled up instead of deleted.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from vidgov.store.base import Base


class Sweep(Base):
    """One pass of probes over a scope of the catalog."""

    __tablename__ = "sweep"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(Text, nullable=False)  # the --where items, as written
    status: Mapped[str] = mapped_column(Text, nullable=False)  # running | finished
    planned: Mapped[int] = mapped_column(Integer, nullable=False)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ProbeRecord(Base):
    """One camera probed in one sweep."""

    __tablename__ = "probe_result"
    __table_args__ = (UniqueConstraint("sweep_id", "device_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweep.id"), nullable=False)
    device_id: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    probed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    online: Mapped[bool] = mapped_column(Boolean, nullable=False)
    playable: Mapped[bool] = mapped_column(Boolean, nullable=False)
    faults: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    timings_ms: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


class ProbeEvidence(Base):
    """What a picture fault was diagnosed on: the measured value, its threshold, the frame."""

    __tablename__ = "probe_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweep.id"), nullable=False)
    device_id: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    probed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    code: Mapped[str] = mapped_column(Text, nullable=False)
    measured: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    snapshot_jpeg: Mapped[bytes | None] = mapped_column(LargeBinary)


class CameraHealth(Base):
    """Each camera's latest probe, and since when it has been in that state."""

    __tablename__ = "camera_health"

    device_id: Mapped[str] = mapped_column(Text, primary_key=True)
    probed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    online: Mapped[bool] = mapped_column(Boolean, nullable=False)
    playable: Mapped[bool] = mapped_column(Boolean, nullable=False)
    faults: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweep.id"), nullable=False)


class HealthDaily(Base):
    """Probe rows older than the retention window, rolled up per camera and day."""

    __tablename__ = "health_daily"

    device_id: Mapped[str] = mapped_column(Text, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    probes: Mapped[int] = mapped_column(Integer, nullable=False)
    online: Mapped[int] = mapped_column(Integer, nullable=False)
    playable: Mapped[int] = mapped_column(Integer, nullable=False)
