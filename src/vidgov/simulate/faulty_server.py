"""Cameras that misbehave at the protocol level, served by a small asyncio RTSP server of our own.

GStreamer's RTSP server is too well-behaved to fake these, so each mode gets one loopback
listener (port chosen by the kernel) shared by every camera of that mode; the path is ignored:

* ``no_packets``: answers OPTIONS, DESCRIBE (an SDP with a real H.264 video track), SETUP and PLAY
  correctly, then never sends a single RTP packet. A bare ``ffprobe`` reports success here.
* ``hang``: accepts the connection, reads whatever comes and never answers a byte.
* ``garbage``: answers every request with bytes that are not RTSP.

The server runs its own event loop in one thread, started and stopped by :class:`FaultyServer`
(a context manager), so it works beside any caller, asyncio or not.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from enum import StrEnum
from types import TracebackType

#: An SDP a real 640×360 H.264 camera sends (SPS/PPS from the fleet's own encoder), so a client
#: sees a complete, decodable description and has to wait for packets to learn anything is wrong.
_SDP = (
    "v=0\r\n"
    "o=- 1 1 IN IP4 127.0.0.1\r\n"
    "s=vidgov simulated camera\r\n"
    "t=0 0\r\n"
    "a=control:*\r\n"
    "a=range:npt=now-\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=framerate:10\r\n"
    "a=fmtp:96 packetization-mode=1;"
    "sprop-parameter-sets=Z0LAFtoCgL/lwFqDAwNSgAAAAwCAAAAKR4sXUA==,aM48gA==;"
    "profile-level-id=42c016\r\n"
    "a=control:stream=0\r\n"
)
#: Longest request head we read before dropping a client (bytes): keeps a bad client bounded.
_MAX_HEAD_BYTES = 16_384


class FaultMode(StrEnum):
    """How a listener misbehaves."""

    NO_PACKETS = "no_packets"
    HANG = "hang"
    GARBAGE = "garbage"


class FaultyServer:
    """One loopback listener per :class:`FaultMode`, served from a private event-loop thread."""

    def __init__(self, modes: tuple[FaultMode, ...] = tuple(FaultMode)) -> None:
        self._modes = modes
        self._ports: dict[FaultMode, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._sessions = itertools.count(1_000_001)

    @property
    def ports(self) -> dict[FaultMode, int]:
        """The TCP port on 127.0.0.1 of each mode's listener (after :meth:`start`)."""
        return dict(self._ports)

    @property
    def native_thread_id(self) -> int | None:
        """The kernel's id of the serving thread (to measure its CPU), ``None`` when stopped."""
        return self._thread.native_id if self._thread is not None else None

    def start(self) -> FaultyServer:
        """Start listening; returns once every listener is bound (at most 10 s)."""
        self._thread = threading.Thread(target=self._run, name="vidgov-faulty-rtsp", daemon=True)
        self._thread.start()
        if not self._ready.wait(10.0):
            raise RuntimeError("the faulty RTSP server did not start within 10 s")
        if self._error is not None:
            raise RuntimeError(f"the faulty RTSP server failed: {self._error}") from self._error
        return self

    def stop(self) -> None:
        """Close every listener and connection and join the thread."""
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stopped.set)
        if self._thread is not None:
            self._thread.join(10.0)
            self._thread = None

    def __enter__(self) -> FaultyServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as error:  # reported to start(); the thread must not die silently
            self._error = error
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stopped = asyncio.Event()
        writers: set[asyncio.StreamWriter] = set()
        servers = []
        for mode in self._modes:
            server = await asyncio.start_server(
                self._handler(mode, writers), host="127.0.0.1", port=0, backlog=1024
            )
            self._ports[mode] = int(server.sockets[0].getsockname()[1])
            servers.append(server)
        self._ready.set()
        await self._stopped.wait()
        for server in servers:
            server.close()
        for writer in list(writers):
            writer.close()
        for server in servers:
            await server.wait_closed()

    def _handler(
        self, mode: FaultMode, writers: set[asyncio.StreamWriter]
    ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writers.add(writer)
            try:
                if mode is FaultMode.HANG:
                    while await reader.read(4096):
                        pass
                    return
                session = str(next(self._sessions))
                async for head in _requests(reader):
                    if mode is FaultMode.GARBAGE:
                        writer.write(b"\x16\x03\x01\x00\xa5garbage from a broken camera\r\n\r\n")
                    else:
                        writer.write(_answer(head, session))
                    await writer.drain()
            except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                pass
            finally:
                writers.discard(writer)
                writer.close()

        return handle


async def _requests(reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
    """Yield each request head (bytes up to the blank line), skipping any request body."""
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > _MAX_HEAD_BYTES:
            return
        length = _header(head, "content-length")
        if length and length.isdigit():
            await reader.readexactly(int(length))
        yield head


def _header(head: bytes, name: str) -> str | None:
    for line in head.decode("latin-1").split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def _answer(head: bytes, session: str) -> bytes:
    """A correct answer to each method of a PLAY session that will never carry data."""
    request_line = head.decode("latin-1").split("\r\n", 1)[0]
    method, _, rest = request_line.partition(" ")
    url = rest.rsplit(" ", 1)[0]
    cseq = _header(head, "cseq") or "0"
    headers = [f"CSeq: {cseq}", "Server: vidgov faulty camera"]
    body = b""
    if method == "OPTIONS":
        headers.append("Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER")
    elif method == "DESCRIBE":
        body = _SDP.encode()
        headers += [
            "Content-Type: application/sdp",
            f"Content-Base: {url.rstrip('/')}/",
            f"Content-Length: {len(body)}",
        ]
    elif method == "SETUP":
        transport = _header(head, "transport") or "RTP/AVP/TCP;unicast;interleaved=0-1"
        headers += [f"Transport: {transport}", f"Session: {session};timeout=60"]
    elif method == "PLAY":
        headers += [f"Session: {session}", "Range: npt=now-", f"RTP-Info: url={url}"]
    elif method not in {"TEARDOWN", "GET_PARAMETER", "SET_PARAMETER", "PAUSE"}:
        return f"RTSP/1.0 405 Method Not Allowed\r\n{headers[0]}\r\n\r\n".encode()
    return ("RTSP/1.0 200 OK\r\n" + "\r\n".join(headers) + "\r\n\r\n").encode() + body
