"""Work orders and their history.

One order per camera and fault while it is open (a partial unique index enforces it), routed
to the camera's maintenance unit, with an SLA clock; every change is an event row, so the full
history of an order survives its closing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from vidgov.store.base import Base


class WorkOrder(Base):
    __tablename__ = "work_order"
    __table_args__ = (
        Index("uq_work_order_open", "device_id", "fault", unique=True,
              sqlite_where=text("status != 'closed'"),
              postgresql_where=text("status != 'closed'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    fault: Mapped[str] = mapped_column(Text, nullable=False)
    maintenance_unit: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, nullable=False)  # open | escalated | closed
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    close_reason: Mapped[str | None] = mapped_column(Text)


class WorkOrderEvent(Base):
    __tablename__ = "work_order_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id"), nullable=False,
                                          index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)  # opened | escalated | closed
    detail: Mapped[str] = mapped_column(Text, nullable=False)
