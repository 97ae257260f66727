"""RTSP at the protocol level: connect, OPTIONS, DESCRIBE, and read the SDP for a video track.

This is the cheap stage of a sweep: a few kilobytes and two round trips a camera, no decoding,
so one core checks thousands of cameras a second. Every stage has its own timeout, a response is
read only up to a bounded size, and anything that is not RTSP is reported as such, so a hung or
garbage-speaking camera costs at most its timeouts.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from vidgov.probing.address import StreamAddress
from vidgov.probing.results import FaultCode, ProbeTimeouts, ProtocolOutcome, Stage

#: Longest response head (status line and headers) we accept, in bytes.
MAX_HEAD_BYTES = 16_384
#: Longest SDP body we accept, in bytes (a real one is under 2 KB).
MAX_BODY_BYTES = 65_536
_USER_AGENT = "vidgov-probe/0.1"
_STATUS = re.compile(rb"^RTSP/\d\.\d (\d{3})")
_AUTH_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]*))')
T = TypeVar("T")


@dataclass(frozen=True)
class RtspResponse:
    """One RTSP response: status code, headers (lower-case names, repeated ones joined), body."""

    status: int
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        values = self.headers.get(name.lower())
        return values[0] if values else None


class NotRtsp(Exception):
    """The peer answered with something that is not an RTSP response."""


def sdp_has_video(sdp: str) -> bool:
    """Whether an SDP description offers a video track (an ``m=video`` line)."""
    return any(line.startswith("m=video") for line in sdp.splitlines())


def _elapsed_ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000.0, 3)


async def read_response(reader: asyncio.StreamReader) -> RtspResponse:
    """Read one response; raises :class:`NotRtsp` for anything else, ``EOFError`` on close."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError:
        raise NotRtsp(f"no end of response head within {MAX_HEAD_BYTES} bytes") from None
    except asyncio.IncompleteReadError as error:
        if error.partial and not _STATUS.match(error.partial):
            raise NotRtsp(f"not an RTSP answer: {error.partial[:40]!r}") from None
        raise EOFError("the camera closed the connection without answering") from None
    match = _STATUS.match(head)
    if match is None:
        raise NotRtsp(f"not an RTSP answer: {head[:40]!r}")
    headers: dict[str, list[str]] = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers.setdefault(name.strip().lower(), []).append(value.strip())
    body = b""
    length_text = headers.get("content-length", ["0"])[0]
    if not length_text.isdigit() or int(length_text) > MAX_BODY_BYTES:
        raise NotRtsp(f"unusable Content-Length {length_text[:20]!r}")
    if int(length_text):
        try:
            body = await reader.readexactly(int(length_text))
        except asyncio.IncompleteReadError:
            raise EOFError("the camera closed the connection mid-body") from None
    return RtspResponse(int(match.group(1)), headers, body)


def authorization(
    challenges: list[str],
    method: str,
    uri: str,
    user: str,
    password: str,
    cnonce: str | None = None,
) -> str | None:
    """The ``Authorization`` value answering the camera's ``WWW-Authenticate`` challenges.

    Digest (RFC 2617, MD5, with or without ``qop=auth``) is preferred, as cameras usually ask for
    it; Basic otherwise. ``None`` when no challenge is understood. ``cnonce``: the client nonce
    for ``qop=auth`` (random unless given, as tests do).
    """
    for challenge in challenges:
        scheme, _, rest = challenge.partition(" ")
        if scheme.lower() != "digest":
            continue
        params = {m[0].lower(): m[1] or m[2] for m in _AUTH_PARAM.findall(rest)}
        realm, nonce = params.get("realm", ""), params.get("nonce", "")
        if params.get("algorithm", "MD5").upper() != "MD5":
            continue
        ha1 = _md5(f"{user}:{realm}:{password}")
        ha2 = _md5(f"{method}:{uri}")
        fields = f'username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}"'
        if "auth" in params.get("qop", "").split(","):
            cnonce, nc = cnonce or secrets.token_hex(8), "00000001"
            response = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
            fields += f', qop=auth, nc={nc}, cnonce="{cnonce}"'
        else:
            response = _md5(f"{ha1}:{nonce}:{ha2}")
        if "opaque" in params:
            fields += f', opaque="{params["opaque"]}"'
        return f'Digest {fields}, response="{response}"'
    if any(c.lower().startswith("basic") for c in challenges):
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return f"Basic {token}"
    return None


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


class Conversation:
    """One RTSP connection's requests: numbered, answered within ``rtsp_s``, and signed with
    the credentials once the camera has asked for them (the same challenge answers SETUP and
    PLAY, computed for each method and URI). ``answered``: some response came back."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 address: StreamAddress, timeouts: ProbeTimeouts) -> None:
        self.reader, self.writer = reader, writer
        self.address, self.timeouts = address, timeouts
        self.uri = address.request_url
        self.answered = False
        self._cseq = 0
        self._challenges: list[str] = []

    def send(self, method: str, uri: str, extra: str = "") -> None:
        """Write a request without waiting for its answer (PLAY: packets may come first)."""
        self._cseq += 1
        signed = self._authorization(method, uri)
        self.writer.write(
            f"{method} {uri} RTSP/1.0\r\nCSeq: {self._cseq}\r\nUser-Agent: {_USER_AGENT}\r\n"
            f"{extra}{signed}\r\n".encode())

    async def request(self, method: str, uri: str, extra: str = "") -> RtspResponse:
        """Send a request and read its answer; once, again signed, if it asks for credentials
        we have. Raises ``TimeoutError``, :class:`NotRtsp`, ``EOFError`` or ``OSError``."""
        response = await self._exchange(method, uri, extra)
        if response.status == 401 and self.address.user is not None and not self._challenges:
            self._challenges = response.headers.get("www-authenticate", [])
            if self._authorization(method, uri):
                response = await self._exchange(method, uri, extra)
        return response

    async def _exchange(self, method: str, uri: str, extra: str) -> RtspResponse:
        self.send(method, uri, extra)
        async with asyncio.timeout(self.timeouts.rtsp_s):
            await self.writer.drain()
            response = await read_response(self.reader)
        self.answered = True
        return response

    def _authorization(self, method: str, uri: str) -> str:
        if not self._challenges or self.address.user is None:
            return ""
        header = authorization(self._challenges, method, uri, self.address.user,
                               self.address.password or "")
        return f"Authorization: {header}\r\n" if header else ""


#: Continues a conversation whose DESCRIBE found a playable description (the session stage).
Continuation = Callable[[Conversation, RtspResponse], Awaitable[T]]


class RtspTransport:
    """``probe(address, timeouts)``: connect, OPTIONS and DESCRIBE one camera, then hang up."""

    async def probe(self, address: StreamAddress, timeouts: ProbeTimeouts) -> ProtocolOutcome:
        """Classify one camera at the protocol level; never raises for a camera's behaviour."""
        outcome, _ = await self.probe_then(address, timeouts, None)
        return outcome

    async def probe_then(
        self, address: StreamAddress, timeouts: ProbeTimeouts, then: Continuation[T] | None
    ) -> tuple[ProtocolOutcome, T | None]:
        """:meth:`probe`, and when the camera passes, ``then`` on the same connection before
        hanging up (its result second; None when it did not run)."""
        timings: dict[str, float] = {}
        start = time.perf_counter()
        try:
            async with asyncio.timeout(timeouts.connect_s):
                reader, writer = await asyncio.open_connection(
                    address.host,
                    address.port,
                    ssl=_client_tls() if address.tls else None,
                    limit=MAX_HEAD_BYTES,
                )
        except TimeoutError:
            return ProtocolOutcome(
                False, FaultCode.TIMEOUT, timings, f"no connection in {timeouts.connect_s:g} s"
            ), None
        except (OSError, ssl.SSLError) as error:
            return ProtocolOutcome(False, FaultCode.UNREACHABLE, timings, _reason(error)), None
        timings[Stage.CONNECT] = _elapsed_ms(start)
        talk = Conversation(reader, writer, address, timeouts)
        try:
            outcome, describe = await self._talk(talk, timings)
            if outcome.fault is not None or describe is None or then is None:
                return outcome, None
            return outcome, await then(talk, describe)
        finally:
            writer.close()

    async def _talk(
        self, talk: Conversation, timings: dict[str, float]
    ) -> tuple[ProtocolOutcome, RtspResponse | None]:
        stage = Stage.OPTIONS
        try:
            started = time.perf_counter()
            options = await talk.request("OPTIONS", talk.uri)
            timings[Stage.OPTIONS] = _elapsed_ms(started)
            stage = Stage.DESCRIBE
            started = time.perf_counter()
            describe = await talk.request("DESCRIBE", talk.uri, "Accept: application/sdp\r\n")
            timings[Stage.DESCRIBE] = _elapsed_ms(started)
        except TimeoutError:
            return ProtocolOutcome(
                talk.answered,
                FaultCode.TIMEOUT,
                timings,
                f"no answer to {stage.value.upper()} in {talk.timeouts.rtsp_s:g} s",
            ), None
        except NotRtsp as error:
            return ProtocolOutcome(talk.answered, FaultCode.PROTOCOL_ERROR, timings,
                                   str(error)), None
        except (EOFError, OSError) as error:
            fault = FaultCode.PROTOCOL_ERROR if talk.answered else FaultCode.UNREACHABLE
            return ProtocolOutcome(talk.answered, fault, timings, _reason(error)), None
        return _verdict(options, describe, timings), describe


def _verdict(
    options: RtspResponse, describe: RtspResponse, timings: dict[str, float]
) -> ProtocolOutcome:
    status = describe.status
    if status in {401, 403} or options.status == 401:
        return ProtocolOutcome(
            True, FaultCode.AUTH_REQUIRED, timings, f"DESCRIBE answered {status}"
        )
    if status == 404:
        return ProtocolOutcome(True, FaultCode.NOT_FOUND, timings, "DESCRIBE answered 404")
    if status != 200:
        return ProtocolOutcome(
            True, FaultCode.PROTOCOL_ERROR, timings, f"DESCRIBE answered {status}"
        )
    sdp = describe.body.decode("utf-8", "replace")
    if not sdp_has_video(sdp):
        return ProtocolOutcome(True, FaultCode.NO_VIDEO, timings, "the SDP has no video track")
    return ProtocolOutcome(True, None, timings, "")


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _client_tls() -> ssl.SSLContext:
    """TLS for ``rtsps``: cameras carry self-signed certificates; this checks reachability only."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
