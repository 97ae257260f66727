"""Bodies of the analytics routes: subscriptions, counts, events, webhooks.

Shapes the JSON schema can state (a point is two pixels, a zone has at least three points, a
rate is above 0) are stated here, so clients see them in the OpenAPI document and a wrong
shape is refused before any code runs; rules that need the whole value (ids that differ, a
zone with an area, a crowd scenario with a zone) are checked by
:class:`~vidgov.services.subscriptions.SubscriptionSpec` and answered as 422 problems.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from vidgov.analytics.detectors.base import CLASSES
from vidgov.analytics.events import EventKind
from vidgov.services.subscriptions import SCENARIOS


def _one_of(choices: tuple[str, ...], what: str) -> Callable[[str], str]:
    """A check that a string is one of ``choices``; with the schema's enum from the same
    tuple, the list follows the code (a new kind of event is a new scenario), never a copy."""

    def check(value: str) -> str:
        if value not in choices:
            raise ValueError(f"unknown {what} {value!r}: use {', '.join(choices)}")
        return value

    return check


#: What a subscription may ask for (:data:`vidgov.services.subscriptions.SCENARIOS`).
ScenarioName = Annotated[str, AfterValidator(_one_of(SCENARIOS, "scenario")),
                         WithJsonSchema({"type": "string", "enum": list(SCENARIOS)})]
#: The classes a detector reports (:data:`vidgov.analytics.detectors.base.CLASSES`).
ClassName = Annotated[str, AfterValidator(_one_of(CLASSES, "class")),
                      WithJsonSchema({"type": "string", "enum": list(CLASSES)})]

Pixel = Annotated[float, Field(ge=0, le=100_000, description="Source picture pixels")]
Point = Annotated[list[Pixel], Field(min_length=2, max_length=2, description="[x, y]")]
_NAME = r"^[A-Za-z0-9_\-\u4e00-\u9fff]{1,40}$"
RegionId = Annotated[str, Field(pattern=_NAME)]
ThresholdName = RegionId
Thresholds = Annotated[
    dict[ThresholdName, Annotated[float, Field(ge=0, le=1e9)]],
    Field(max_length=20),
    # Stated in full: pydantic's own rendering lets keys that miss the pattern hold anything.
    WithJsonSchema({"type": "object", "maxProperties": 20,
                    "patternProperties": {_NAME: {"type": "number", "minimum": 0,
                                                  "maximum": 1e9}},
                    "additionalProperties": False,
                    "description": 'e.g. {"people": 20, "seconds": 30}'})]
SampleRate = Annotated[float, Field(gt=0, le=30, description="Frames analysed per second")]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LineIn(_Input):
    id: RegionId
    start: Point
    end: Point


class ZoneIn(_Input):
    id: RegionId
    points: Annotated[list[Point], Field(min_length=3, max_length=64)]


class SubscriptionCreate(_Input):
    device_id: Annotated[str, Field(min_length=1, max_length=64)]
    scenario: ScenarioName
    lines: Annotated[list[LineIn], Field(max_length=32)] = []
    zones: Annotated[list[ZoneIn], Field(max_length=32)] = []
    sample_rate_fps: SampleRate = 2.0
    thresholds: Thresholds = {}
    enabled: bool = True


class SubscriptionUpdate(_Input):
    scenario: ScenarioName | None = None
    lines: Annotated[list[LineIn], Field(max_length=32)] | None = None
    zones: Annotated[list[ZoneIn], Field(max_length=32)] | None = None
    sample_rate_fps: SampleRate | None = None
    thresholds: Thresholds | None = None
    enabled: bool | None = None


class LineOut(BaseModel):
    id: str
    start: list[float]
    end: list[float]


class ZoneOut(BaseModel):
    id: str
    points: list[list[float]]


class SubscriptionOut(BaseModel):
    id: int
    device_id: str
    camera_name: str | None
    scenario: str
    lines: list[LineOut]
    zones: list[ZoneOut]
    sample_rate_fps: float
    thresholds: dict[str, float]
    enabled: bool
    created_by: str
    created_at: str | None
    updated_at: str | None


class CountRow(BaseModel):
    key: str | None
    name: str | None
    time: str | None
    kind: str
    class_name: str
    in_count: int
    out_count: int
    occupancy_max: int | None


class CountTotal(BaseModel):
    key: str | None
    name: str | None
    kind: str
    class_name: str
    in_count: int
    out_count: int
    occupancy_max: int | None


class CountsOut(BaseModel):
    by: str
    bucket: str
    since: str | None
    until: str | None
    rows: list[CountRow]
    totals: list[CountTotal]


class EventOut(BaseModel):
    id: int
    device_id: str
    camera_name: str | None
    admin_code: str | None
    city: str | None
    kind: str
    region_id: str
    started_at: str | None
    ended_at: str | None
    duration_s: float
    peak: float
    threshold: float
    class_names: list[str]
    track_ids: list[int]
    details: dict[str, Any]
    snapshot_url: str | None


class EventPage(BaseModel):
    items: list[EventOut]
    total: int
    page: int
    page_size: int


WebhookUrl = Annotated[str, Field(
    # Printable ASCII only, spelled out: "\s" differs between the schema's regex dialect
    # (ECMA) and the validator's (U+0085 is a space to one and not the other).
    max_length=2000,
    pattern=r"^https?://([A-Za-z0-9._~!$&'()*+,;=:%-]+@)?[A-Za-z0-9.-]+(:[0-9]{1,5})?"
            r"([/?#][!-~]*)?$",
    description="Where events are POSTed (http or https)")]
#: At least one visible character (control characters do not count: they strip away).
WebhookName = Annotated[str, Field(min_length=1, max_length=100,
                                   pattern=r"[^\s\u0000-\u001f\u007f-\u00a0]")]


class WebhookCreate(_Input):
    name: WebhookName
    url: WebhookUrl
    event_kinds: Annotated[list[EventKind], Field(
        max_length=len(EventKind), description="Kinds to send; empty: every kind")] = []


class WebhookUpdate(_Input):
    name: WebhookName | None = None
    url: WebhookUrl | None = None
    event_kinds: Annotated[list[EventKind], Field(max_length=len(EventKind))] | None = None
    enabled: bool | None = None


class WebhookOut(BaseModel):
    id: int
    name: str
    url: str
    event_kinds: list[str]
    scopes: list[str]
    department: str | None
    enabled: bool
    created_by: str
    created_at: str | None


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Signs every body (X-Vidgov-Signature); shown only now")


class DeliveryOut(BaseModel):
    id: int
    event_id: int
    status: str
    attempts: int
    next_attempt_at: str | None
    last_status: int | None
    last_error: str | None
    delivered_at: str | None
    created_at: str | None
