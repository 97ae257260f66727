"""The picture stage on the protocol stage's own connection: SETUP, PLAY, a keyframe, a window.

After DESCRIBE the probe asks for the video track over the same TCP connection (RTP
interleaved, as FFmpeg's ``rtsp_transport=tcp`` does), takes access units off it as they come
(:mod:`vidgov.probing.rtp`), and decodes the window in one go on a decoder thread. The verdicts
are the decode stage's (:mod:`vidgov.probing.frames`): nothing after PLAY before the
first-frame deadline is ``no_packets``, packets but no keyframe ``no_keyframe``; only a
decoded frame makes a window.

A camera this cannot watch (another codec, a refused TCP transport, an answer it does not
understand) returns None, and the probe asks FFmpeg instead, as before: nothing a camera does
here can make it look worse than FFmpeg would find it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from concurrent.futures import Executor

from vidgov.probing.frames import DecodeOutcome, decode_access_units
from vidgov.probing.results import FaultCode, ProbeTimeouts, Stage
from vidgov.probing.rtp import CODECS, AccessUnit, Depacketizer, Interleaved, video_track
from vidgov.probing.rtsp import Conversation, NotRtsp, RtspResponse

_STATUS = re.compile(rb"^RTSP/\d\.\d (\d{3})")
_CHANNELS = re.compile(r"interleaved=(\d+)", re.IGNORECASE)
#: Bytes read from the socket at once: a 1080p keyframe is a few hundred kilobytes.
_READ_BYTES = 1 << 16


class Watch:
    """What :meth:`RtspTransport.probe_then` runs after a passing DESCRIBE: a decoded window
    of ``frames`` frames, a fault, or None for "ask FFmpeg"."""

    def __init__(self, timeouts: ProbeTimeouts, frames: int, decoders: Executor | None) -> None:
        if frames < 1:
            raise ValueError(f"frames must be >= 1, got {frames}")
        self.timeouts, self.frames, self.decoders = timeouts, frames, decoders

    async def __call__(self, talk: Conversation, describe: RtspResponse) -> DecodeOutcome | None:
        base = (describe.header("content-base") or describe.header("content-location")
                or talk.uri)
        track = video_track(describe.body.decode("utf-8", "replace"), base)
        if track is None or track.codec not in CODECS:
            return None
        started = time.perf_counter()
        try:
            setup = await talk.request(
                "SETUP", track.control, "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n")
            refused = _refusal("SETUP", setup.status)
            if refused is not None or setup.status != 200:
                return refused
            session = (setup.header("session") or "").split(";")[0].strip()
            channel = _channel(setup.header("transport") or "")
            talk.send("PLAY", base, f"Session: {session}\r\nRange: npt=0.000-\r\n")
            depacketizer = Depacketizer(track.codec, track.payload_type, from_keyframe=True)
            units = UnitCollector(depacketizer, channel, self.frames, started, self.timeouts)
            missing = await units.collect(talk)
        except (TimeoutError, NotRtsp, EOFError, OSError, ValueError):
            return None  # an answer we cannot follow: FFmpeg's turn
        if missing is not None or units.captured_at is None:
            return missing
        first_ms = units.first_ms
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.decoders, decode_access_units, track.codec, track.parameter_sets,
            track.clock_rate, units.units, units.captured_at,
            {Stage.FIRST_FRAME.value: round(first_ms, 3),
             Stage.WINDOW.value: round((time.perf_counter() - started) * 1000 - first_ms, 3)},
            units.packets)


def _refusal(method: str, status: int) -> DecodeOutcome | None:
    """The fault an answer to SETUP or PLAY means, when it is one (else None)."""
    if status in {401, 403}:
        return DecodeOutcome(None, FaultCode.AUTH_REQUIRED, 0, {}, f"{method} answered {status}")
    if status == 404:
        return DecodeOutcome(None, FaultCode.NOT_FOUND, 0, {}, f"{method} answered 404")
    return None


def _channel(transport: str) -> int:
    match = _CHANNELS.search(transport)
    return int(match.group(1)) if match else 0


class UnitCollector:
    """Reads the interleaved stream until ``frames`` access units from the first keyframe
    on are in, or a deadline passes: first frame ``first_frame_s`` after SETUP, then the
    window ``window_s`` after the keyframe."""

    def __init__(self, depacketizer: Depacketizer, channel: int, frames: int, started: float,
                 timeouts: ProbeTimeouts) -> None:
        self.depacketizer, self.channel, self.frames = depacketizer, channel, frames
        self.started, self.timeouts = started, timeouts
        self.units: list[AccessUnit] = []
        self.first_ms = 0.0  # from SETUP to the keyframe
        self.captured_at: dt.datetime | None = None  # when the keyframe came

    @property
    def packets(self) -> int:
        return self.depacketizer.packets

    async def collect(self, talk: Conversation) -> DecodeOutcome | None:
        """None when the window's units are in (:attr:`units`, from the keyframe on), else
        the outcome without a picture: a refused PLAY, ``no_packets`` or ``no_keyframe``.
        Raises ``ValueError`` for an answer to PLAY that is neither (FFmpeg's turn)."""
        timeouts = self.timeouts
        stream = Interleaved()
        refused: DecodeOutcome | None = None
        try:
            async with asyncio.timeout(timeouts.first_frame_s) as deadline:
                refused = await self._read(talk, stream, deadline)
        except TimeoutError:
            # An event loop busy with hundreds of probes may reach the deadline before the
            # bytes that came in time: those still count (what is buffered, without waiting).
            try:
                async with asyncio.timeout(0):
                    refused = await self._read(talk, stream, None)
            except TimeoutError:
                pass
        talk.writer.close()  # hang up now: the camera stops sending while we decode
        if refused is not None:
            return refused
        if not self.units or self.captured_at is None:
            detail = (f"{self.packets} packets and no keyframe in {timeouts.first_frame_s:g} s"
                      if self.packets else f"no packet in {timeouts.first_frame_s:g} s")
            fault = FaultCode.NO_KEYFRAME if self.packets else FaultCode.NO_PACKETS
            return DecodeOutcome(None, fault, self.packets, {}, detail)
        return None

    async def _read(self, talk: Conversation, stream: Interleaved,
                    deadline: asyncio.Timeout | None) -> DecodeOutcome | None:
        """Read until the window is full or the stream ends; a refusal of PLAY if one came.
        ``deadline`` moves to the end of the window when the keyframe arrives."""
        while len(self.units) < self.frames:
            item = stream.next()
            if item is None:
                data = await talk.reader.read(_READ_BYTES)
                if not data:
                    return None
                stream.feed(data)
            elif isinstance(item, bytes):
                status = _status(item)  # PLAY's answer, or the camera's own request
                if status is not None and status != 200:
                    refused = _refusal("PLAY", status)
                    if refused is None:
                        raise ValueError(f"PLAY answered {status}")
                    return refused
            elif item[0] == self.channel:
                for unit in self.depacketizer.push(item[1]):
                    self._keep(unit, deadline)
        return None

    def _keep(self, unit: AccessUnit, deadline: asyncio.Timeout | None) -> None:
        if len(self.units) >= self.frames:
            return  # a packet that ended two units at once: the window is full
        if not self.units:
            if not unit.key:
                return  # a late viewer waits for the next keyframe
            self.first_ms = (time.perf_counter() - self.started) * 1000.0
            self.captured_at = dt.datetime.now(dt.UTC)
            if deadline is not None:
                loop = asyncio.get_running_loop()
                deadline.reschedule(loop.time() + self.timeouts.window_s)
        self.units.append(unit)


def _status(message: bytes) -> int | None:
    """The status of an RTSP answer; None for a request the camera sends (a keep-alive)."""
    match = _STATUS.match(message)
    return int(match.group(1)) if match else None
