"""Response and request bodies: the API's contract, published in its OpenAPI schema."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class MeOut(BaseModel):
    username: str
    role: str
    department: str | None
    maintenance_unit: str | None
    scopes: list[str]
    scope_names: list[str]
    actions: list[str]


class CameraOut(BaseModel):
    device_id: str
    name: str | None
    admin_code: str | None
    city: str | None
    county: str | None
    address: str | None
    longitude: float | None
    latitude: float | None
    department: str | None
    maintenance_unit: str | None
    place_type: str | None
    point_class: int | None
    online: bool | None
    playable: bool | None
    faults: list[str]
    probed_at: str | None


class CameraPage(BaseModel):
    items: list[CameraOut]
    total: int
    page: int
    page_size: int


class FindingOut(BaseModel):
    device_id: str
    code: str
    severity: str | None = None
    field: str | None = None
    value: str | None = None
    detail: str | None = None
    suggestion: str | None = None
    city: str | None = None
    county: str | None = None


class FindingPage(BaseModel):
    items: list[FindingOut]
    total: int
    page: int
    page_size: int


class OrderOut(BaseModel):
    id: int
    device_id: str
    camera_name: str | None
    fault: str
    maintenance_unit: str | None
    status: str
    opened_at: str | None
    due_at: str | None
    escalated_at: str | None
    closed_at: str | None
    close_reason: str | None


class OrderEventOut(BaseModel):
    at: str | None
    kind: str
    detail: str


class OrderDetail(OrderOut):
    events: list[OrderEventOut]


class OrderPage(BaseModel):
    items: list[OrderOut]
    total: int
    page: int
    page_size: int


class CloseOrder(BaseModel):
    reason: str = Field(min_length=1, max_length=500,
                        description="What was done (e.g. 已更换电源适配器).")


class CameraDetail(CameraOut):
    grassroots_code: str | None = None
    maintenance_contact: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    install_date: str | None = None
    stream_url: str | None = None
    sub_stream_url: str | None = None
    secrecy: int | None = None
    since: str | None = None
    findings: list[dict[str, Any]]
    orders: list[OrderOut]


class ProbeOut(BaseModel):
    sweep_id: int
    probed_at: str | None
    online: bool
    playable: bool
    faults: list[str]
    timings_ms: dict[str, Any]


class KpisOut(BaseModel):
    cameras: int
    probed: int
    online: int
    playable: int
    online_rate: float
    playable_rate: float
    open_orders: int
    catalog_score: float


class RatesOut(BaseModel):
    by: str
    rows: list[dict[str, Any]]


class TrendOut(BaseModel):
    rows: list[dict[str, Any]]


class MapPoints(BaseModel):
    fields: list[str] = ["lon", "lat", "state"]
    states: dict[str, int] = {"playable": 0, "unplayable": 1, "offline": 2, "unprobed": 3}
    points: list[list[float]]


class RegionOut(BaseModel):
    code: str
    name: str
    lon: float | None
    lat: float | None
    cameras: int
    online_rate: float
    playable_rate: float


class RegionsOut(BaseModel):
    level: str
    rows: list[RegionOut]


class ScorecardsOut(BaseModel):
    by: str
    rows: list[dict[str, Any]]


class SweepOut(BaseModel):
    id: int
    scope: str
    status: str
    planned: int
    probed: int
    started_at: str | None
    finished_at: str | None


class SweepPage(BaseModel):
    items: list[SweepOut]
    total: int
    page: int
    page_size: int


class UserOut(BaseModel):
    username: str
    role: str
    scopes: list[str]
    department: str | None
    maintenance_unit: str | None
    disabled: bool


class UserPage(BaseModel):
    items: list[UserOut]
    total: int
    page: int
    page_size: int
