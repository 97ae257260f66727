"""The camera record as stored: one row per GB/T 28181 device ID.

Values are kept as the clerk wrote them once normalised; a value that could not be parsed is
kept verbatim in ``raw_values`` and columns we do not know in ``extra``, so an import never
loses what was in the file.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from vidgov.store.base import Base


class Camera(Base):
    __tablename__ = "camera"

    device_id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    admin_code: Mapped[str | None] = mapped_column(Text, index=True)
    grassroots_code: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    department: Mapped[str | None] = mapped_column(Text)
    maintenance_unit: Mapped[str | None] = mapped_column(Text)
    maintenance_contact: Mapped[str | None] = mapped_column(Text)
    point_class: Mapped[int | None] = mapped_column(Integer)
    place_type: Mapped[str | None] = mapped_column(Text)
    manufacturer: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(Text)
    install_date: Mapped[date | None] = mapped_column(Date)
    stream_url: Mapped[str | None] = mapped_column(Text)
    sub_stream_url: Mapped[str | None] = mapped_column(Text)
    secrecy: Mapped[int | None] = mapped_column(Integer)
    raw_values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(Text)
    source_line: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                 index=True)
