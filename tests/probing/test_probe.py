"""Probing against real servers on loopback: every protocol fault classified exactly, frames for
every picture condition, credentials never shown, a hung camera never stalls a sweep.

Tests marked ``rtsp`` run against the simulated fleet (GStreamer's RTSP server); the others need
only this process (an asyncio RTSP server of our own, a threaded HTTP server).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from vidgov.errors import ConfigurationError
from vidgov.probing.address import StreamProtocol, UnsupportedAddress, parse_address
from vidgov.probing.frames import DecodedWindow
from vidgov.probing.probe import ProbeOptions, ProbeTarget, probe, probe_many, run_loop
from vidgov.probing.results import PictureFault, ProbeResult, ProbeTimeouts, Stage
from vidgov.probing.rtsp import authorization, sdp_has_video
from vidgov.simulate.faulty_server import FaultMode, FaultyServer
from vidgov.simulate.fleet import EXPECTED_FAULT, PICTURE_CONDITIONS, Condition, Fleet

FAST = ProbeTimeouts(connect_s=1.0, rtsp_s=1.0, first_frame_s=3.0, window_s=2.0)
NOW = dt.datetime(2024, 5, 17, 6, 32, 7, tzinfo=dt.UTC)
SECRET = "pa55-w0rd"


# --- values and parsing ------------------------------------------------------------------------


def make_result(**overrides: object) -> ProbeResult:
    fields: dict[str, object] = {
        "device_id": "45010300001320000001",
        "url": "rtsp://10.0.0.1/live",
        "online": True,
        "playable": True,
        "probed_at": NOW,
    }
    fields.update(overrides)
    return ProbeResult.model_validate(fields)


def test_result_redacts_credentials_on_construction() -> None:
    result = make_result(
        url=f"rtsp://admin:{SECRET}@10.0.0.1/live",
        online=False,
        playable=False,
        faults=("timeout",),
        detail=f"could not open 'rtsp://admin:{SECRET}@10.0.0.1/live'",
    )
    assert result.url == "rtsp://***@10.0.0.1/live"
    assert SECRET not in result.model_dump_json()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"online": False, "playable": True, "faults": ("timeout",)}, "must be online"),
        ({"playable": True, "faults": ("no_video",)}, "cannot have protocol faults"),
        ({"online": False, "playable": False}, "must say why"),
        ({"probed_at": dt.datetime(2024, 5, 17, 6, 32)}, "time zone"),
        ({"device_id": "  "}, "device_id"),
        ({"faults": ("Black Screen",)}, "snake_case"),
        ({"timings_ms": {"connect": -1.0}}, ">= 0 ms"),
        ({"timings_ms": {"handshake": 1.0}}, "unknown stages"),
    ],
)
def test_inconsistent_results_are_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make_result(**overrides)


def test_a_camera_the_catalog_keeps_under_a_malformed_id_is_still_probed() -> None:
    # A spreadsheet turned the ID into scientific notation; the audit reports it, the
    # sweep must still say whether the camera plays.
    assert make_result(device_id="4.50102000113260E+19").device_id == "4.50102000113260E+19"


def test_a_playable_camera_may_carry_non_blocking_picture_findings() -> None:
    result = make_result(faults=("blur",), timings_ms={Stage.CONNECT: 1.5})
    assert result.playable
    assert result.protocol_faults == ()
    assert result.timings_ms == {"connect": 1.5}


@pytest.mark.parametrize(
    ("url", "protocol", "port", "request_url", "user", "password"),
    [
        ("rtsp://10.0.0.1/live", StreamProtocol.RTSP, 554, "rtsp://10.0.0.1/live", None, None),
        (
            "RTSP://admin:p%40ss@10.0.0.1:8554/h264?ch=1",
            StreamProtocol.RTSP,
            8554,
            "rtsp://10.0.0.1:8554/h264?ch=1",
            "admin",
            "p@ss",
        ),
        (
            "https://p.gx/live/1.flv",
            StreamProtocol.HTTP_FLV,
            443,
            "https://p.gx/live/1.flv",
            None,
            None,
        ),
        ("http://p.gx/hls/1.m3u8", StreamProtocol.HLS, 80, "http://p.gx/hls/1.m3u8", None, None),
    ],
)
def test_addresses_keep_credentials_apart(
    url: str,
    protocol: StreamProtocol,
    port: int,
    request_url: str,
    user: str | None,
    password: str | None,
) -> None:
    address = parse_address(url)
    assert (address.protocol, address.port, address.request_url) == (protocol, port, request_url)
    assert (address.user, address.password) == (user, password)
    assert "p@ss" not in repr(address)


@pytest.mark.parametrize("url", ["udp://10.0.0.1:1234", "rtsp:///live", f"ftp://u:{SECRET}@h/x"])
def test_unusable_addresses_are_refused_without_showing_credentials(url: str) -> None:
    with pytest.raises(UnsupportedAddress) as caught:
        parse_address(url)
    assert SECRET not in str(caught.value)


def test_an_unsupported_address_is_a_fault_not_a_crash() -> None:
    result = probe(f"ftp://u:{SECRET}@10.0.0.1/x", ProbeOptions(timeouts=FAST))
    assert result.faults == ("protocol_error",)
    assert SECRET not in result.model_dump_json()


def test_digest_answer_matches_rfc_2617() -> None:
    challenge = (
        'Digest realm="testrealm@host.com", qop="auth,auth-int", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )
    header = authorization(
        [challenge], "GET", "/dir/index.html", "Mufasa", "Circle Of Life", cnonce="0a4f113b"
    )
    assert header is not None
    assert 'response="6629fae49393a05397450978507c4ef1"' in header
    assert 'opaque="5ccc069c403ebaf9f0171e9517f40e41"' in header


def test_basic_answer_when_only_basic_is_offered() -> None:
    assert authorization(['Basic realm="cam"'], "DESCRIBE", "rtsp://h/x", "a", "b") == (
        "Basic YTpi"
    )
    assert authorization(['Bearer realm="cam"'], "DESCRIBE", "rtsp://h/x", "a", "b") is None


def test_sdp_video_track_detection() -> None:
    assert sdp_has_video("v=0\r\nm=audio 0 RTP/AVP 8\r\nm=video 0 RTP/AVP 96\r\n")
    assert not sdp_has_video("v=0\r\nm=audio 0 RTP/AVP 8\r\n")


# --- our own misbehaving RTSP server (no GStreamer needed) ----------------------------------------


@pytest.fixture(scope="module")
def faulty() -> Iterator[FaultyServer]:
    with FaultyServer() as server:
        yield server


def faulty_url(server: FaultyServer, mode: FaultMode, user: str = "") -> str:
    return f"rtsp://{user}127.0.0.1:{server.ports[mode]}/cam/1"


def test_garbage_is_a_protocol_error(faulty: FaultyServer) -> None:
    result = probe(faulty_url(faulty, FaultMode.GARBAGE), ProbeOptions(timeouts=FAST))
    assert (result.online, result.playable, result.faults) == (False, False, ("protocol_error",))


def test_no_packets_passes_the_protocol_stage_and_fails_decoding(faulty: FaultyServer) -> None:
    url = faulty_url(faulty, FaultMode.NO_PACKETS)
    protocol_only = probe(url, ProbeOptions(timeouts=FAST, decode=False))
    assert (protocol_only.online, protocol_only.faults) == (True, ())
    assert not protocol_only.playable  # no frame, no proof
    timeouts = FAST.model_copy(update={"first_frame_s": 1.0})
    started = time.perf_counter()
    result = probe(url, ProbeOptions(timeouts=timeouts))
    assert (result.online, result.playable, result.faults) == (True, False, ("no_packets",))
    assert time.perf_counter() - started < timeouts.first_frame_s + 0.5


def test_a_hung_camera_does_not_stall_probe_many(faulty: FaultyServer) -> None:
    """Ten hung cameras, two slots: the sweep takes about five rounds of one RTSP timeout."""
    hung = [faulty_url(faulty, FaultMode.HANG)] * 10
    garbage = [faulty_url(faulty, FaultMode.GARBAGE)] * 4
    timeouts = ProbeTimeouts(connect_s=0.5, rtsp_s=0.3)
    started = time.perf_counter()
    results = probe_many(
        hung + garbage, ProbeOptions(timeouts=timeouts, decode=False), concurrency=2
    )
    elapsed = time.perf_counter() - started
    assert [r.faults for r in results] == [("timeout",)] * 10 + [("protocol_error",)] * 4
    assert elapsed < 5 * timeouts.rtsp_s + 1.0, elapsed


# --- HTTP-FLV and HLS ----------------------------------------------------------------------------


class _Platform(BaseHTTPRequestHandler):
    """A streaming platform's HTTP side: one FLV stream, one playlist, one locked stream."""

    def do_GET(self) -> None:
        routes = {
            "/live/1.flv": (200, b"FLV\x01\x05\x00\x00\x00\x09"),
            "/hls/1.m3u8": (200, b"#EXTM3U\n#EXT-X-VERSION:3\n"),
            "/locked/1.flv": (401, b""),
            "/html/1.flv": (200, b"<html>login</html>"),
        }
        status, body = routes.get(self.path, (404, b""))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def platform() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Platform)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.parametrize(
    ("path", "online", "faults"),
    [
        ("/live/1.flv", True, ()),
        ("/hls/1.m3u8", True, ()),
        ("/locked/1.flv", True, ("auth_required",)),
        ("/gone/1.m3u8", True, ("not_found",)),
        ("/html/1.flv", True, ("protocol_error",)),
    ],
)
def test_http_addresses_are_classified(
    platform: str, path: str, online: bool, faults: tuple[str, ...]
) -> None:
    result = probe(platform + path, ProbeOptions(timeouts=FAST, decode=False))
    assert (result.online, result.faults) == (online, faults)
    assert Stage.REQUEST in result.timings_ms


# --- the simulated fleet -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fleet() -> Iterator[Fleet]:
    fleet = Fleet.one_of_each()
    try:
        fleet.start()
    except ConfigurationError as error:
        pytest.fail(f"the simulated fleet cannot start: {error}")
    yield fleet
    fleet.stop()


class Sweep:
    """One probe_many over the whole fleet, with every decoded window kept."""

    def __init__(self, fleet: Fleet, store: Path) -> None:
        self.windows: dict[str, DecodedWindow] = {}
        options = ProbeOptions(timeouts=FAST, window_frames=8, on_window=self.keep)
        self.results = dict(
            zip(
                (c.condition for c in fleet.cameras),
                probe_many([c.url for c in fleet.cameras], options, decode_workers=12),
                strict=True,
            )
        )
        self.by_url = {c.url: c.condition for c in fleet.cameras}
        self.stored: dict[Condition, Path] = {}
        for url, window in self.windows.items():
            condition = self.by_url[url]
            path = store / f"{condition.value}.npz"
            np.savez(path, frames_bgr=window.frames_bgr, pts_s=window.pts_s)
            self.stored[condition] = path

    def keep(self, target: ProbeTarget, window: DecodedWindow) -> None:
        self.windows[target.url] = window


@pytest.fixture(scope="module")
def sweep(fleet: Fleet, tmp_path_factory: pytest.TempPathFactory) -> Sweep:
    return Sweep(fleet, tmp_path_factory.mktemp("windows"))


@pytest.mark.rtsp
@pytest.mark.parametrize("condition", list(EXPECTED_FAULT))
def test_each_protocol_fault_is_classified_exactly(sweep: Sweep, condition: Condition) -> None:
    result = sweep.results[condition]
    assert result.faults == (EXPECTED_FAULT[condition],), result.detail
    assert not result.playable
    offline = {Condition.PORT_CLOSED, Condition.HANG}
    assert result.online is (condition not in offline)


@pytest.mark.rtsp
@pytest.mark.parametrize("condition", PICTURE_CONDITIONS)
def test_picture_conditions_are_online_and_yield_a_window(
    sweep: Sweep, condition: Condition
) -> None:
    result = sweep.results[condition]
    assert (result.online, result.playable, result.faults) == (True, True, ()), result.detail
    for stage in (Stage.CONNECT, Stage.OPTIONS, Stage.DESCRIBE, Stage.FIRST_FRAME, Stage.WINDOW):
        assert stage in result.timings_ms
    window = np.load(sweep.stored[condition])
    assert window["frames_bgr"].shape == (8, 360, 640, 3)
    assert window["frames_bgr"].dtype == np.uint8
    # In order at 10 fps, from the stream's own timestamps. (The simulated frozen camera,
    # GStreamer's imagefreeze, hands its very first viewer the frame it prerolled, up to a
    # second older than the next: the first step may be longer, never shorter or backwards.)
    steps = np.diff(window["pts_s"])
    assert np.allclose(steps[1:], 0.1, atol=0.02)
    assert 0.08 <= steps[0] <= 1.12


@pytest.mark.rtsp
def test_windows_show_their_condition(sweep: Sweep) -> None:
    """Coarse checks that each picture shows its condition (real diagnosis lives elsewhere)."""
    frames = {c: np.load(p)["frames_bgr"].astype(np.float32) for c, p in sweep.stored.items()}
    brightness = {c: f.mean() for c, f in frames.items()}
    motion = {c: np.abs(np.diff(f, axis=0)).mean() for c, f in frames.items()}
    assert brightness[Condition.BLACK] < 5
    assert brightness[Condition.UNDEREXPOSED] < brightness[Condition.NORMAL] - 40
    assert brightness[Condition.OVEREXPOSED] > brightness[Condition.NORMAL] + 40
    assert motion[Condition.FROZEN] < 0.5 < motion[Condition.NORMAL]
    assert motion[Condition.SHAKING] > 2 * motion[Condition.NORMAL]
    occluded_left = frames[Condition.OCCLUDED][:, :, : int(640 * 0.55)]
    assert occluded_left.std(axis=(0, 1, 2)).max() < 3  # one flat cover
    b, _, r = frames[Condition.COLOUR_CAST].mean(axis=(0, 1, 2))
    assert r > b + 30  # sepia: red over blue


@pytest.mark.rtsp
def test_osd_clock_drift_is_burned_in(sweep: Sweep) -> None:
    """Both cameras burn a clock into the top left (a shaded box); their digits differ.

    Reading the time is the quality package's job (OCR); here the box must be there and differ.
    """
    box = (slice(15, 55), slice(20, 250))
    normal = np.load(sweep.stored[Condition.NORMAL])["frames_bgr"][0][box].astype(int)
    drift = np.load(sweep.stored[Condition.OSD_DRIFT])["frames_bgr"][0][box].astype(int)
    bars = np.load(sweep.stored[Condition.FROZEN])["frames_bgr"][0][box].astype(int)
    assert normal.mean() < bars.mean() - 40  # the shaded box darkens the bars behind it
    assert drift.mean() < bars.mean() - 40
    assert np.abs(normal - drift).mean() > 2


@pytest.mark.rtsp
def test_credentials_open_the_camera_and_never_appear(
    fleet: Fleet, caplog: pytest.LogCaptureFixture
) -> None:
    camera = next(c for c in fleet.cameras if c.condition is Condition.AUTH_REQUIRED)
    user, password = fleet.credentials
    right = fleet.url_with_credentials(camera.url)
    wrong = right.replace(password, SECRET)
    caplog.set_level(logging.DEBUG)
    opened, refused = probe_many(
        [ProbeTarget(right, "45010300001320000013"), ProbeTarget(wrong)],
        ProbeOptions(timeouts=FAST, window_frames=2),
    )
    assert (opened.playable, opened.faults) == (True, ())
    assert refused.faults == ("auth_required",)
    shown = " ".join(
        [opened.model_dump_json(), refused.model_dump_json(), caplog.text, repr(ProbeTarget(right))]
    )
    for secret in (password, SECRET):
        assert secret not in shown
    assert f"{user}:" not in shown
    assert "rtsp://***@127.0.0.1" in opened.url


@pytest.mark.rtsp
def test_blocking_findings_make_a_camera_unplayable(fleet: Fleet) -> None:
    camera = next(c for c in fleet.cameras if c.condition is Condition.BLACK)

    def diagnose(window: DecodedWindow) -> list[PictureFault]:
        return [PictureFault("black", blocking=window.frames_bgr.mean() < 5)]

    result = probe(camera.url, ProbeOptions(timeouts=FAST, window_frames=2, diagnose=diagnose))
    assert (result.online, result.playable, result.faults) == (True, False, ("black",))


def test_digest_helper_is_md5_of_the_standard_fields() -> None:
    """Guards the non-qop branch against the same formula written out (RFC 2069 style)."""
    header = authorization(['Digest realm="r", nonce="n"'], "DESCRIBE", "rtsp://h/x", "u", "p")
    ha1 = hashlib.md5(b"u:r:p").hexdigest()
    ha2 = hashlib.md5(b"DESCRIBE:rtsp://h/x").hexdigest()
    assert header is not None
    assert f'response="{hashlib.md5(f"{ha1}:n:{ha2}".encode()).hexdigest()}"' in header


def test_probes_run_on_uvloop_where_it_is_installed() -> None:
    """The event loop's own Python was a fifth of a playable probe's CPU: the pinned
    dependencies install uvloop, and the probes must actually run on it."""

    async def loop_module() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert run_loop(loop_module()).startswith("uvloop")
