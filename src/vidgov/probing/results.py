"""What a probe says about one camera, validated so that no stage can hand on a broken verdict.

A :class:`ProbeResult` is the one value the probing stages pass on and a sweep stores. Its URL and
detail are redacted on construction (credentials cannot be stored even by mistake), and its
verdict is consistent: a playable camera is online and carries no blocking fault, an offline one
says why.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import NamedTuple, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from vidgov.domain.urls import redact_url


class FaultCode(StrEnum):
    """Protocol-level faults: each one means the stream cannot be played."""

    UNREACHABLE = "unreachable"  # connection refused, no route, name does not resolve
    TIMEOUT = "timeout"  # a stage got no answer in its time (connect, OPTIONS, DESCRIBE, HTTP)
    AUTH_REQUIRED = "auth_required"  # 401/403: no or wrong credentials
    NOT_FOUND = "not_found"  # 404: no such stream path
    NO_VIDEO = "no_video"  # the description has no video track (audio only)
    NO_KEYFRAME = "no_keyframe"  # packets arrive, no keyframe within the first-frame time
    NO_PACKETS = "no_packets"  # the session starts, not one packet arrives
    PROTOCOL_ERROR = "protocol_error"  # the peer answers, but not in the protocol (garbage, 5xx)


#: Faults after which the device still answered at the protocol level (so it is online).
ANSWERED_FAULTS = frozenset(
    {
        FaultCode.AUTH_REQUIRED,
        FaultCode.NOT_FOUND,
        FaultCode.NO_VIDEO,
        FaultCode.NO_KEYFRAME,
        FaultCode.NO_PACKETS,
    }
)


class Stage(StrEnum):
    """Stages of a probe, in order; each has its own timeout and its own timing."""

    CONNECT = "connect"  # TCP (and TLS) connection
    OPTIONS = "options"  # RTSP OPTIONS round trip
    DESCRIBE = "describe"  # RTSP DESCRIBE round trip (with an auth retry when credentials given)
    REQUEST = "request"  # HTTP request to response head (HTTP-FLV, HLS)
    FIRST_FRAME = "first_frame"  # from opening the decoder to the first decoded keyframe
    WINDOW = "window"  # from the first frame to the end of the diagnosis window


class PictureFault(NamedTuple):
    """A finding of picture diagnosis as a probe needs it: its code, whether it blocks use,
    and the evidence kept with the result (measured value, threshold, a downscaled JPEG)."""

    code: str
    blocking: bool
    measured: float | None = None
    threshold: float | None = None
    snapshot_jpeg: bytes | None = None


_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_PROTOCOL_CODES = frozenset(code.value for code in FaultCode)
_STAGES = frozenset(stage.value for stage in Stage)


class ProbeTimeouts(BaseModel):
    """Per-stage time limits in seconds; a probe never takes longer than their sum.

    The defaults suit a LAN or a provincial network: a healthy camera answers OPTIONS in
    milliseconds; the first frame may wait a whole GOP (1–2 s on most cameras).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    connect_s: float = Field(default=2.0, gt=0, le=60)
    rtsp_s: float = Field(default=2.0, gt=0, le=60)
    first_frame_s: float = Field(default=4.0, gt=0, le=120)
    window_s: float = Field(default=3.0, gt=0, le=120)


class ProbeResult(BaseModel):
    """The verdict on one camera at one moment: online, playable, why not, how long each stage took.

    ``online``: the device answered at the protocol level (any RTSP/HTTP response, even 401/404).
    ``playable``: a frame decoded and no blocking fault was found.
    ``faults``: protocol :class:`FaultCode` values first, then picture-diagnosis codes.
    ``timings_ms``: milliseconds per :class:`Stage` reached, keyed by the stage's value.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    device_id: str | None = None
    url: str
    online: bool
    playable: bool
    faults: tuple[str, ...] = ()
    timings_ms: dict[str, float] = Field(default_factory=dict)
    probed_at: dt.datetime
    detail: str = ""
    evidence: tuple[PictureFault, ...] = ()

    @field_validator("url", "detail")
    @classmethod
    def _redacted(cls, value: str) -> str:
        return redact_url(value)

    @field_validator("device_id")
    @classmethod
    def _device_id(cls, value: str | None) -> str | None:
        # The catalog keeps malformed IDs as the clerk wrote them (the audit reports them):
        # such a camera is still probed, under the key the catalog knows it by.
        if value is not None and not value.strip():
            raise ValueError("device_id is empty")
        return value

    @field_validator("faults")
    @classmethod
    def _codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [code for code in value if not _CODE.match(code)]
        if bad:
            raise ValueError(f"fault codes must be snake_case words, got {bad}")
        return value

    @field_validator("timings_ms")
    @classmethod
    def _timings(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - _STAGES)
        if unknown:
            raise ValueError(f"unknown stages {unknown}; expected some of {sorted(_STAGES)}")
        negative = {stage: ms for stage, ms in value.items() if ms < 0}
        if negative:
            raise ValueError(f"stage timings must be >= 0 ms, got {negative}")
        return {str(stage): ms for stage, ms in value.items()}

    @field_validator("probed_at")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            raise ValueError("probed_at must carry a time zone (UTC), got a naive datetime")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        protocol = [code for code in self.faults if code in _PROTOCOL_CODES]
        if self.playable and not self.online:
            raise ValueError("a playable camera must be online")
        if self.playable and protocol:
            raise ValueError(f"a playable camera cannot have protocol faults, got {protocol}")
        if not self.online and not protocol:
            raise ValueError("an offline camera must say why (a protocol fault code)")
        return self

    @property
    def protocol_faults(self) -> tuple[FaultCode, ...]:
        """The protocol faults among :attr:`faults`."""
        return tuple(FaultCode(code) for code in self.faults if code in _PROTOCOL_CODES)


class ProtocolOutcome(NamedTuple):
    """What the protocol stage (RTSP OPTIONS+DESCRIBE, or an HTTP request) found.

    ``online``: a protocol answer came back. ``fault``: why the stream cannot be played, if the
    protocol stage already knows. ``timings_ms``: per stage reached. ``detail``: a redacted
    explanation for people.
    """

    online: bool
    fault: FaultCode | None
    timings_ms: dict[str, float]
    detail: str = ""
