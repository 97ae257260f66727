"""The picture taken off the RTSP connection: SDP tracks, interleaved frames, access units,
and the session stage against the real simulated fleet (no FFmpeg involved)."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Iterator
from typing import cast

import numpy as np
import pytest

from vidgov.probing import probe as probe_module
from vidgov.probing.address import parse_address
from vidgov.probing.frames import DecodeOutcome
from vidgov.probing.probe import ProbeOptions, ProbeTarget, probe_many
from vidgov.probing.results import FaultCode, ProbeTimeouts
from vidgov.probing.rtp import START_CODE, Depacketizer, Interleaved, video_track
from vidgov.probing.rtsp import Conversation, RtspTransport
from vidgov.probing.session import UnitCollector, Watch
from vidgov.services.sweeps import picture_diagnoser
from vidgov.simulate.fleet import Condition, Fleet, PictureFormat

SPS, PPS = b"\x67\x42\x00\x1e\xab", b"\x68\xce\x3c\x80"
FAST = ProbeTimeouts(connect_s=1.0, rtsp_s=1.0, first_frame_s=3.0, window_s=2.0)


def sdp(media: str, session_control: str = "*") -> str:
    return ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=cam\r\nt=0 0\r\n"
            f"a=control:{session_control}\r\n"
            "m=audio 0 RTP/AVP 0\r\na=control:stream=1\r\n" + media)


def rtp(payload: bytes, sequence: int, timestamp: int, marker: bool = False,
        payload_type: int = 96) -> bytes:
    header = bytes((0x80, (0x80 if marker else 0) | payload_type))
    return header + sequence.to_bytes(2) + timestamp.to_bytes(4) + b"\x00\x00\x00\x01" + payload


# --- the session description -----------------------------------------------------------------


def test_video_track_reads_codec_control_and_parameter_sets() -> None:
    sets = f"{base64.b64encode(SPS).decode()},{base64.b64encode(PPS).decode()}"
    track = video_track(sdp(
        "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
        f"a=fmtp:96 packetization-mode=1;sprop-parameter-sets={sets}\r\n"
        "a=control:stream=0\r\n"), "rtsp://cam/live/")
    assert track is not None
    assert (track.codec, track.payload_type, track.clock_rate) == ("h264", 96, 90_000)
    assert track.control == "rtsp://cam/live/stream=0"  # the audio track's control is not it
    assert track.parameter_sets == START_CODE + SPS + START_CODE + PPS


@pytest.mark.parametrize(("control", "expected"), [
    ("rtsp://other/track1", "rtsp://other/track1"),
    ("*", "rtsp://cam/live"),
    ("", "rtsp://cam/live"),
    ("trackID=1", "rtsp://cam/live/trackID=1"),
])
def test_video_track_control_urls(control: str, expected: str) -> None:
    line = f"a=control:{control}\r\n" if control else ""
    track = video_track(sdp(f"m=video 0 RTP/AVP 97\r\na=rtpmap:97 H265/90000\r\n{line}"),
                        "rtsp://cam/live")
    assert track is not None
    assert (track.codec, track.control) == ("h265", expected)


def test_no_video_track_or_no_payload_type_is_none() -> None:
    assert video_track("v=0\r\nm=audio 0 RTP/AVP 0\r\n", "rtsp://cam") is None
    assert video_track("v=0\r\nm=video 0 RTP/AVP\r\n", "rtsp://cam") is None


def test_a_broken_parameter_set_attribute_is_ignored() -> None:
    track = video_track(sdp("m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
                            "a=fmtp:96 sprop-parameter-sets=%%%,\r\n"), "rtsp://cam")
    assert track is not None
    assert track.parameter_sets == b""


# --- access units ---------------------------------------------------------------------------


def test_single_nal_and_aggregated_units_end_at_the_marker() -> None:
    depacketizer = Depacketizer("h264", 96)
    stap = bytes((24,)) + len(SPS).to_bytes(2) + SPS + len(PPS).to_bytes(2) + PPS
    assert depacketizer.push(rtp(stap, 1, 1000)) == []
    [unit] = depacketizer.push(rtp(b"\x65" + b"\x11" * 20, 2, 1000, marker=True))
    assert unit.data == START_CODE + SPS + START_CODE + PPS + START_CODE + b"\x65" + b"\x11" * 20
    assert (unit.key, unit.timestamp) == (True, 1000)
    [delta] = depacketizer.push(rtp(b"\x41\x22", 3, 4600, marker=True))
    assert (delta.key, delta.data) == (False, START_CODE + b"\x41\x22")
    assert depacketizer.packets == 3


def test_fragments_are_joined_and_a_fragment_missing_its_start_is_dropped() -> None:
    depacketizer = Depacketizer("h264", 96)
    indicator = 0x60 | 28  # NRI 3, FU-A
    parts = [bytes((indicator, 0x80 | 5)) + b"a" * 5, bytes((indicator, 5)) + b"b" * 5,
             bytes((indicator, 0x40 | 5)) + b"c" * 5]
    assert depacketizer.push(rtp(parts[0], 10, 0)) == []
    assert depacketizer.push(rtp(parts[1], 11, 0)) == []
    [unit] = depacketizer.push(rtp(parts[2], 12, 0, marker=True))
    assert unit.data == START_CODE + b"\x65" + b"a" * 5 + b"b" * 5 + b"c" * 5
    assert unit.key
    # Sequence 14 follows 12: the start of this fragment (13) was lost.
    assert depacketizer.push(rtp(parts[1], 14, 3600)) == []
    assert depacketizer.push(rtp(parts[2], 15, 3600, marker=True)) == []


def test_a_timestamp_change_ends_a_unit_when_the_marker_never_comes() -> None:
    depacketizer = Depacketizer("h264", 96)
    depacketizer.push(rtp(b"\x41\x01", 1, 0))
    [first] = depacketizer.push(rtp(b"\x41\x02", 2, 3600))
    assert (first.data, first.timestamp) == (START_CODE + b"\x41\x01", 0)


def test_timestamps_unwrap_and_other_payload_types_are_ignored() -> None:
    depacketizer = Depacketizer("h264", 96)
    [before] = depacketizer.push(rtp(b"\x41\x01", 1, 0xFFFF_F000, marker=True))
    [after] = depacketizer.push(rtp(b"\x41\x01", 2, 0x0000_0A00, marker=True))
    assert after.timestamp - before.timestamp == 0x1A00
    assert depacketizer.push(rtp(b"\x41\x01", 3, 0, marker=True, payload_type=0)) == []
    assert depacketizer.push(b"\x80\x60") == []  # shorter than a header


def test_h265_fragments_and_keyframes() -> None:
    depacketizer = Depacketizer("h265", 96)
    header = bytes((49 << 1, 1))  # FU, layer 0, TID 1
    idr = 19  # IDR_W_RADL
    depacketizer.push(rtp(header + bytes((0x80 | idr,)) + b"x" * 4, 1, 0))
    [unit] = depacketizer.push(rtp(header + bytes((0x40 | idr,)) + b"y" * 4, 2, 0, marker=True))
    assert unit.data == START_CODE + bytes((idr << 1, 1)) + b"x" * 4 + b"y" * 4
    assert unit.key
    [trail] = depacketizer.push(rtp(bytes((1 << 1, 1)) + b"z", 3, 3000, marker=True))
    assert not trail.key


def fragments(header: bytes, kind: int, body: bytes, size: int) -> list[bytes]:
    """A NAL unit of ``kind`` cut into fragments of ``size`` bytes after ``header`` (the
    H.264 FU-A indicator or the H.265 FU's NAL header), each with its FU header."""
    pieces = [body[i:i + size] for i in range(0, len(body), size)]
    out = []
    for i, piece in enumerate(pieces):
        flags = (0x80 if i == 0 else 0) | (0x40 if i == len(pieces) - 1 else 0)
        out.append(header + bytes((flags | kind,)) + piece)
    return out


def h264_pictures(rng: np.random.Generator) -> list[list[bytes]]:
    """Payloads of a few seconds of H.264, one list a picture: P slices (whole or fragmented,
    some with an SEI), a keyframe a GOP (SPS, PPS, maybe an SEI, a fragmented IDR slice)."""
    pictures = []
    for index in range(40):
        body = rng.bytes(int(rng.integers(3, 40)))
        if index % 10 == 7:  # joins mid-GOP: the keyframe is the 8th picture
            sei = [b"\x06\x05\x01"] if rng.random() < 0.5 else []
            idr = fragments(bytes((0x60 | 28,)), 5, body, 8)
            pictures.append([SPS, PPS, *sei, *idr])
        elif rng.random() < 0.5:
            pictures.append([b"\x41" + body])
        else:
            pictures.append([*([b"\x06\x05\x01"] if rng.random() < 0.3 else []),
                             *fragments(bytes((0x40 | 28,)), 1, body, 8)])
    return pictures


def h265_pictures(rng: np.random.Generator) -> list[list[bytes]]:
    """The same for H.265: VPS, SPS, PPS and a fragmented CRA picture a GOP, TRAIL slices."""
    pictures = []
    for index in range(40):
        body = rng.bytes(int(rng.integers(3, 40)))
        if index % 10 == 3:
            params = [bytes((kind << 1, 1)) + b"\x01\x02" for kind in (32, 33, 34)]
            pictures.append([*params, *fragments(bytes((49 << 1, 1)), 21, body, 8)])
        elif rng.random() < 0.5:
            pictures.append([bytes((1 << 1, 1)) + body])
        else:
            pictures.append(fragments(bytes((49 << 1, 1)), 1, body, 8))
    return pictures


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("codec", ["h264", "h265"])
def test_a_viewer_from_the_keyframe_gets_every_unit_from_it_on_and_counts_every_packet(
    codec: str, seed: int
) -> None:
    """Skipping what comes before the first keyframe changes nothing a probe looks at: the
    same units from the keyframe on (less an SEI before it, which no decoder needs), the
    same packet count for the no-keyframe verdicts."""
    rng = np.random.default_rng(seed)
    pictures = h264_pictures(rng) if codec == "h264" else h265_pictures(rng)
    everything, from_key = Depacketizer(codec, 96), Depacketizer(codec, 96, from_keyframe=True)
    got_all, got_from_key = [], []
    sequence = int(rng.integers(0, 65536))
    for index, payloads in enumerate(pictures):
        for i, payload in enumerate(payloads):
            packet = rtp(payload, sequence, index * 3600, marker=i == len(payloads) - 1)
            sequence = (sequence + 1) & 0xFFFF
            got_all += everything.push(packet)
            got_from_key += from_key.push(packet)
    first_key = next(i for i, unit in enumerate(got_all) if unit.key)
    sei = START_CODE + b"\x06\x05\x01"
    assert [u._replace(data=u.data.replace(sei, b"")) for u in got_all[first_key:]] == [
        u._replace(data=u.data.replace(sei, b"")) for u in got_from_key]
    assert got_from_key[0].key
    assert got_from_key[0].data.startswith(START_CODE + (SPS if codec == "h264" else b"\x40"))
    assert from_key.packets == everything.packets == sum(map(len, pictures))


def test_an_unknown_codec_is_refused() -> None:
    with pytest.raises(ValueError, match="codec"):
        Depacketizer("mjpeg", 26)


# --- the interleaved stream -----------------------------------------------------------------


def test_interleaved_packets_and_rtsp_answers_come_apart_however_the_bytes_arrive() -> None:
    answer = b"RTSP/1.0 200 OK\r\nCSeq: 4\r\nContent-Length: 2\r\n\r\nok"
    packet = b"\x80\x60" + b"\x00" * 14
    wire = b"$\x00" + len(packet).to_bytes(2) + packet + answer + b"$\x01\x00\x02hi"
    for step in (1, 3, len(wire)):
        stream, items = Interleaved(), []
        for start in range(0, len(wire), step):
            stream.feed(wire[start:start + step])
            while (item := stream.next()) is not None:
                items.append(item)
        assert items == [(0, packet), answer, (1, b"hi")]


def test_interleaved_refuses_bytes_that_are_neither() -> None:
    stream = Interleaved()
    stream.feed(b"\x00\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="neither"):
        stream.next()


# --- against the simulated fleet ------------------------------------------------------------


@pytest.fixture(scope="module")
def fleet() -> Iterator[Fleet]:
    with Fleet([Condition.NORMAL, Condition.AUTH_REQUIRED, Condition.NO_KEYFRAME,
                Condition.NO_PACKETS]) as running:
        yield running


@pytest.mark.rtsp
def test_the_picture_comes_over_the_describe_connection_without_ffmpeg(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_ffmpeg(*_: object) -> None:
        raise AssertionError("FFmpeg was asked for a stream the session stage can play")

    monkeypatch.setattr(probe_module, "read_window", no_ffmpeg)
    normal, locked = (c for c in fleet.cameras
                      if c.condition in {Condition.NORMAL, Condition.AUTH_REQUIRED})
    results = probe_many([ProbeTarget(normal.url),
                          ProbeTarget(fleet.url_with_credentials(locked.url))],
                         ProbeOptions(timeouts=FAST, window_frames=4))
    assert [(r.playable, r.faults) for r in results] == [(True, ()), (True, ())]
    assert all(r.timings_ms["first_frame"] > 0 for r in results)


@pytest.mark.rtsp
@pytest.mark.parametrize(("condition", "fault"), [
    (Condition.NO_KEYFRAME, FaultCode.NO_KEYFRAME),
    (Condition.NO_PACKETS, FaultCode.NO_PACKETS),
])
def test_the_session_stage_names_streams_without_a_picture(
    fleet: Fleet, condition: Condition, fault: FaultCode
) -> None:
    camera = next(c for c in fleet.cameras if c.condition is condition)
    timeouts = ProbeTimeouts(connect_s=1.0, rtsp_s=1.0, first_frame_s=1.5, window_s=1.0)
    protocol, decoded = asyncio.run(RtspTransport().probe_then(
        parse_address(camera.url), timeouts, Watch(timeouts, 3, None)))
    assert protocol.fault is None
    assert decoded is not None
    assert (decoded.window, decoded.fault) == (None, fault)


@pytest.mark.rtsp
def test_the_window_is_the_stream_at_its_own_pace(fleet: Fleet) -> None:
    camera = next(c for c in fleet.cameras if c.condition is Condition.NORMAL)
    _, decoded = asyncio.run(RtspTransport().probe_then(
        parse_address(camera.url), FAST, Watch(FAST, 5, None)))
    assert decoded is not None
    assert decoded.window is not None
    window = decoded.window
    assert window.frames_bgr.shape == (5, 360, 640, 3)
    assert window.frames_bgr.std() > 20  # a picture, not grey concealment
    assert np.all(np.diff(window.pts_s) > 0)


@pytest.mark.rtsp
def test_h265_cameras_are_watched_and_diagnosed_like_h264_ones(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_ffmpeg(*_: object) -> None:
        raise AssertionError("FFmpeg was asked for a stream the session stage can play")

    monkeypatch.setattr(probe_module, "read_window", no_ffmpeg)
    conditions = [Condition.NORMAL, Condition.FROZEN, Condition.BLACK, Condition.SHAKING]
    with Fleet(conditions, picture=PictureFormat(codec="h265")) as fleet:
        cameras = fleet.cameras
        results = probe_many([ProbeTarget(c.url) for c in cameras],
                             ProbeOptions(timeouts=FAST,
                                          diagnose=picture_diagnoser(clock_every=0)))
    found = {c.condition: (r.playable, r.faults) for c, r in zip(cameras, results, strict=True)}
    assert found == {
        Condition.NORMAL: (True, ()),
        Condition.FROZEN: (False, ("frozen",)),
        Condition.BLACK: (False, ("no_signal",)),
        Condition.SHAKING: (True, ("jitter",)),
    }


class _Line:
    """The two ends of an RTSP connection the session stage reads: what the camera sent."""

    def __init__(self, sent: bytes) -> None:
        self.reader = asyncio.StreamReader()
        self.reader.feed_data(sent)
        self.reader.feed_eof()
        self.writer = self

    def close(self) -> None:
        pass


def collect(sent: bytes) -> DecodeOutcome | None:
    async def run() -> DecodeOutcome | None:
        units = UnitCollector(Depacketizer("h264", 96), 0, 3, time.perf_counter(), FAST)
        return await units.collect(cast(Conversation, _Line(sent)))
    return asyncio.run(run())


def test_a_refused_play_is_a_fault_or_ffmpegs_turn() -> None:
    refused = collect(b"RTSP/1.0 401 Unauthorized\r\nCSeq: 4\r\n\r\n")
    assert refused is not None
    assert refused.fault is FaultCode.AUTH_REQUIRED
    with pytest.raises(ValueError, match="PLAY answered 500"):
        collect(b"RTSP/1.0 500 Internal Server Error\r\nCSeq: 4\r\n\r\n")


def test_a_stream_that_ends_before_its_keyframe_is_no_keyframe() -> None:
    delta = rtp(b"\x41\x01", 1, 0, marker=True)
    ended = collect(b"RTSP/1.0 200 OK\r\nCSeq: 4\r\n\r\n$\x00" + len(delta).to_bytes(2) + delta)
    assert ended is not None
    assert (ended.fault, ended.packets) == (FaultCode.NO_KEYFRAME, 1)
