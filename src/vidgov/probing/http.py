"""HTTP-FLV and HLS at the protocol level: one GET, the status, and the first bytes of the body.

Platforms hand out these addresses beside RTSP. The protocol stage checks that the server answers
and what: an FLV stream starts with ``FLV``, an HLS playlist with ``#EXTM3U``; 401/403 and 404 map
to the same faults as in RTSP. Decoding (the playable verdict) is left to the frame stage, which
FFmpeg handles for both.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import time
from urllib.parse import urlsplit

from vidgov.probing.address import StreamAddress, StreamProtocol
from vidgov.probing.results import FaultCode, ProbeTimeouts, ProtocolOutcome, Stage
from vidgov.probing.rtsp import MAX_HEAD_BYTES

#: Bytes of the body read to recognise it (an FLV header is 9 bytes, ``#EXTM3U`` 7).
_SNIFF_BYTES = 64
_USER_AGENT = "vidgov-probe/0.1"


class HttpTransport:
    """``probe(address, timeouts)``: GET an HTTP-FLV or HLS address and classify the answer."""

    async def probe(self, address: StreamAddress, timeouts: ProbeTimeouts) -> ProtocolOutcome:
        """Classify one HTTP stream address; never raises for a server's behaviour."""
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
            )
        except (OSError, ssl.SSLError) as error:
            return ProtocolOutcome(False, FaultCode.UNREACHABLE, timings, type(error).__name__)
        timings[Stage.CONNECT] = round((time.perf_counter() - start) * 1000.0, 3)
        try:
            return await self._get(reader, writer, address, timeouts, timings)
        finally:
            writer.close()

    async def _get(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        address: StreamAddress,
        timeouts: ProbeTimeouts,
        timings: dict[str, float],
    ) -> ProtocolOutcome:
        parts = urlsplit(address.request_url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        auth = ""
        if address.user is not None:
            token = base64.b64encode(f"{address.user}:{address.password or ''}".encode())
            auth = f"Authorization: Basic {token.decode('ascii')}\r\n"
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeouts.rtsp_s):
                writer.write(
                    f"GET {path} HTTP/1.1\r\nHost: {address.host}:{address.port}\r\n"
                    f"User-Agent: {_USER_AGENT}\r\n{auth}Connection: close\r\n\r\n".encode()
                )
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                status_line = head.split(b"\r\n", 1)[0]
                if not status_line.startswith(b"HTTP/") or len(status_line.split()) < 2:
                    return ProtocolOutcome(
                        False, FaultCode.PROTOCOL_ERROR, timings, f"not HTTP: {head[:40]!r}"
                    )
                status = int(status_line.split()[1]) if status_line.split()[1].isdigit() else 0
                sniff = await reader.read(_SNIFF_BYTES) if status == 200 else b""
        except TimeoutError:
            return ProtocolOutcome(
                False, FaultCode.TIMEOUT, timings, f"no HTTP answer in {timeouts.rtsp_s:g} s"
            )
        except (asyncio.LimitOverrunError, asyncio.IncompleteReadError, OSError) as error:
            return ProtocolOutcome(False, FaultCode.PROTOCOL_ERROR, timings, type(error).__name__)
        timings[Stage.REQUEST] = round((time.perf_counter() - started) * 1000.0, 3)
        return _verdict(address.protocol, status, sniff, timings)


def _verdict(
    protocol: StreamProtocol, status: int, sniff: bytes, timings: dict[str, float]
) -> ProtocolOutcome:
    if status in {401, 403}:
        return ProtocolOutcome(True, FaultCode.AUTH_REQUIRED, timings, f"HTTP {status}")
    if status == 404:
        return ProtocolOutcome(True, FaultCode.NOT_FOUND, timings, "HTTP 404")
    if status != 200:
        return ProtocolOutcome(True, FaultCode.PROTOCOL_ERROR, timings, f"HTTP {status}")
    # Chunked transfer puts a size line before the first body bytes; look past it.
    body = sniff.split(b"\r\n", 1)[1] if b"\r\n" in sniff[:10] else sniff
    expected = b"#EXTM3U" if protocol is StreamProtocol.HLS else b"FLV"
    if not body.lstrip(b"\xef\xbb\xbf").startswith(expected):
        return ProtocolOutcome(
            True, FaultCode.PROTOCOL_ERROR, timings, f"expected {expected!r}, got {body[:16]!r}"
        )
    return ProtocolOutcome(True, None, timings, "")


def _client_tls() -> ssl.SSLContext:
    """TLS that checks reachability only: platform certificates are often self-signed."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
