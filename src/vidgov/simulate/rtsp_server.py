"""The simulated fleet's RTSP server: GStreamer's RTSP server, one shared live pipeline per kind.

This file runs as a *script* under Debian's ``/usr/bin/python3`` (whose ``python3-gi`` has the
GObject bindings), started by :class:`vidgov.simulate.fleet.Fleet` as a child process. It imports
only the standard library and ``gi``, so it works under any Python that has ``gi``; the venv
needs no compiled PyGObject. Why a child process rather than a thread of the caller: the GLib
main loop and a dozen encoders get their own GIL and their own crash domain, the probes measured
against the fleet do not share an interpreter with the cameras, and the fleet is stopped by
closing one pipe (the child exits when its stdin reaches EOF, so it also dies with its parent).

Protocol with the parent (one JSON object a line):

* stdin, first line: the plan ``{"width", "height", "fps", "gop_frames", "codec", "mounts": {kind:
  [path, ...]}, "user", "password"}`` (credentials travel on the pipe, never on a command line).
* stdout: ``{"port": N}`` once the server listens on 127.0.0.1:N (port chosen by the kernel),
  or ``{"error": "..."}``.
* stdin EOF: stop the server and exit 0.

Mount kinds are picture conditions (``normal``, ``black``, ``frozen``, ...) or the protocol
faults this server can express: ``auth_required`` (RTSPAuth: the anonymous role may see the
factory but not construct it, so DESCRIBE answers 401), ``no_video`` (audio only),
``no_keyframe`` (its keyframes dropped), and ``scene``: a real clip played in a loop (the
plan's ``"scene"``: ``{"pattern", "frames", "width", "height", "fps"}``). A path that is not
mounted answers 404. Every kind is one factory mounted at all of its paths whose media key is
the kind, so a thousand mounts cost one pipeline per kind; a kind whose picture does not show
the time is encoded once, at start, and replayed (:data:`LOOPED`). Each media answers "not
seekable" to the seeking query, so the server never seeks the shared live pipeline when a client
asks for ``Range: npt=0-``: a late viewer waits for the next keyframe, as with a real camera.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import sys
import threading
import time
from typing import Any

#: Picture kinds, each a pipeline that starts from a moving test scene. The scene is SMPTE
#: bars (three rows of colour and grey patches, black, white, a small patch of snow at the
#: bottom) scrolling sideways at 3 px a frame, so a healthy picture has colour, edges in both
#: directions and motion, and each fault takes away or adds one thing. (SMPTE RP 219 bars have
#: no snow but ignore ``horizontal-speed``: no motion.) ``{caps}`` is the fleet's raw format.
_PATTERN = "pattern=smpte"
_SCENE = f"videotestsrc is-live=true {_PATTERN} horizontal-speed=3"
_CLOCK = (
    'textoverlay name=osd valignment=top halignment=left font-desc="DejaVu Sans Mono 14" '
    "shaded-background=true"
)
_PICTURES: dict[str, str] = {
    "normal": f"{_SCENE} ! {{caps}} ! {_CLOCK}",
    "black": "videotestsrc is-live=true pattern=black ! {caps}",
    "frozen": (
        f"videotestsrc num-buffers=1 {_PATTERN} ! {{caps}} ! imagefreeze is-live=true ! {{caps}}"
    ),
    "blurred": (
        f"{_SCENE} ! {{caps}} ! videoscale ! video/x-raw,width={{w10}},height={{h10}} "
        "! videoscale method=bilinear ! {caps}"
    ),
    "occluded": (
        # a green tarp over the left 60 %: a flat cover, not a dark picture
        f"{_SCENE} ! {{caps}} ! videobox name=occlude left={{occ}} fill=green "
        "! videobox left=-{occ} fill=green ! {caps}"
    ),
    "colour_cast": f"{_SCENE} ! {{caps}} ! coloreffects preset=sepia ! videoconvert ! {{caps}}",
    "noise": "videotestsrc is-live=true pattern=snow ! {caps}",
    "overexposed": f"{_SCENE} ! {{caps}} ! videobalance brightness=0.9 contrast=0.6",
    # dim, not black: luma about 0-70 (brightness -0.45 put every Y at 0, a picture that only
    # out-of-gamut chroma carried, which no camera sends), and the faint colour of a dark scene
    "underexposed": (
        f"{_SCENE} ! {{caps}} ! videobalance brightness=-0.12 contrast=0.4 saturation=0.4"
    ),
    "shaking": f"{_SCENE} ! {{caps}} ! videobox name=shake border-alpha=1 fill=black ! {{caps}}",
    "osd_drift": f"{_SCENE} ! {{caps}} ! {_CLOCK}",
    "auth_required": f"{_SCENE} ! {{caps}}",
    "no_keyframe": f"{_SCENE} ! {{caps}}",
}

#: Kinds whose picture never shows the time: their frames are encoded once, when the server
#: starts, as a loop of whole GOPs (:func:`_loop_frames`), and played from memory at the
#: fleet's frame rate. Why: a dozen encoders running for as long as anyone watches were half
#: of the fleet's CPU in a sweep (about 0.3 of this machine's 2 cores, taken from the prober
#: measured beside it), and a province's cameras encode in their own hardware. A probe still
#: meets a live stream: frames paced in real time, a late viewer waiting for the next
#: keyframe, parameter sets before each one. A window starts at a keyframe, and every loop
#: starts with one, so no window spans the jump back to the loop's first frame. The clock
#: kinds stay live: their OSD must show the time now.
CLOCK_KINDS = frozenset({"normal", "osd_drift"})
LOOPED = frozenset(_PICTURES) - CLOCK_KINDS

#: How far the ``osd_drift`` clock is off the wall clock, in seconds (it shows 3 h 25 min early).
OSD_DRIFT_S = -12_345.0
#: The burned-in clock's format, as on the cameras the province buys.
OSD_FORMAT = "%Y-%m-%d %H:%M:%S"
#: The clock shows Beijing time (UTC+8), as the province's cameras do, whatever this host's zone.
OSD_UTC_OFFSET = dt.timedelta(hours=8)


def _encoder(gop_frames: int, codec: str = "h264") -> str:
    """x264 (or x265) tuned for many cheap live streams: no B-frames, fixed GOP, one thread;
    Annex B out, one access unit a buffer."""
    if codec == "h265":
        return (
            "videoconvert ! video/x-raw,format=I420 ! x265enc tune=zerolatency "
            f"speed-preset=ultrafast key-int-max={gop_frames} bitrate=600 "
            "option-string=pools=1:frame-threads=1 name=enc ! h265parse config-interval=-1"
        )
    return (
        "videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency speed-preset=ultrafast "
        f"key-int-max={gop_frames} bitrate=600 threads=1 name=enc ! h264parse config-interval=-1"
    )


def _payloader(codec: str = "h264") -> str:
    return f"rtp{codec}pay name=pay0 pt=96 config-interval=-1"


def _loop_frames(plan: dict[str, Any]) -> int:
    """Whole GOPs making up at least two seconds: what a looped kind plays over and over."""
    gop, fps = int(plan["gop_frames"]), int(plan["fps"])
    return gop * max(1, -(-2 * fps // gop))


def _encoding(kind: str, plan: dict[str, Any]) -> str:
    """The pipeline that encodes a looped kind's frames once, as fast as it can, into ``sink``."""
    codec = str(plan.get("codec", "h264"))
    finite = _picture(kind, plan).replace("is-live=true", f"num-buffers={_loop_frames(plan)}")
    return (
        f"{finite} ! {_encoder(int(plan['gop_frames']), codec)} "
        f"! video/x-{codec},stream-format=byte-stream,alignment=au "
        "! appsink name=sink sync=false"
    )


def _picture(kind: str, plan: dict[str, Any]) -> str:
    width, height, fps = int(plan["width"]), int(plan["height"]), int(plan["fps"])
    caps = f"video/x-raw,width={width},height={height},framerate={fps}/1"
    return _PICTURES[kind].format(
        caps=caps, w10=max(width // 10, 8), h10=max(height // 10, 8), occ=int(width * 0.6)
    )


def _launch(kind: str, plan: dict[str, Any]) -> str:
    codec = str(plan.get("codec", "h264"))
    if kind == "scene":
        # A real clip unpacked into JPEG files (vidgov.simulate.scene), looped with running
        # timestamps, at its own size and rate, one keyframe a second.
        scene = plan["scene"]
        source = (
            f'multifilesrc location={scene["pattern"]} loop=true start-index=1 '
            f'stop-index={int(scene["frames"])} caps="image/jpeg,framerate={int(scene["fps"])}/1"'
            " ! jpegdec"
        )
        return f"( {source} ! {_encoder(int(scene['fps']))} ! {_payloader()} )"
    if kind == "no_video":
        return (
            "( audiotestsrc is-live=true wave=sine ! audio/x-raw,rate=8000,channels=1 "
            "! alawenc ! rtppcmapay name=pay0 pt=8 )"
        )
    if kind in LOOPED:
        # Paced and stamped by the feeder (see main); its caps are the encoder's (set when
        # the media is configured). Parsed already, with the parameter sets before each
        # keyframe.
        return (
            "( appsrc name=loop is-live=true format=time "
            f"! {_payloader(codec)} )"
        )
    encoder = _encoder(int(plan["gop_frames"]), codec)
    return f"( {_picture(kind, plan)} ! {encoder} ! {_payloader(codec)} )"


def main() -> int:  # noqa: PLR0915 - one composition root for the child process
    """Serve the plan read from stdin until stdin closes; returns the exit status."""
    # Imported by name so that type checkers of the venv, which has no ``gi``, see ``Any``.
    gi = importlib.import_module("gi")
    for namespace in ("Gst", "GstRtsp", "GstRtspServer"):
        gi.require_version(namespace, "1.0")
    GLib, Gst, GstRtsp, GstRtspServer = (  # noqa: N806 - the bindings' own names
        importlib.import_module(f"gi.repository.{name}")
        for name in ("GLib", "Gst", "GstRtsp", "GstRtspServer")
    )

    Gst.init(None)
    plan: dict[str, Any] = json.loads(sys.stdin.readline())

    factory_base: Any = GstRtspServer.RTSPMediaFactory

    class KindFactory(factory_base):  # type: ignore[misc]
        """One factory per kind, mounted at every path of that kind, one media for them all."""

        def __init__(self, kind: str) -> None:
            super().__init__()
            self.kind = kind
            self.set_launch(_launch(kind, plan))
            self.set_shared(True)
            # A camera keeps streaming when nobody watches; a new viewer joins mid-GOP.
            self.set_suspend_mode(GstRtspServer.RTSPSuspendMode.NONE)
            self.set_eos_shutdown(False)
            self.set_stop_on_disconnect(False)
            self.set_latency(0)
            self.set_protocols(GstRtsp.RTSPLowerTrans.TCP | GstRtsp.RTSPLowerTrans.UDP)

        def do_gen_key(self, url: Any) -> str:
            return self.kind

        def do_configure(self, media: Any) -> None:
            GstRtspServer.RTSPMediaFactory.do_configure(self, media)
            element = media.get_element()
            _refuse_seeking(element)
            if self.kind in loops:
                caps, units = loops[self.kind]
                source = element.get_by_name("loop")
                source.set_property("caps", caps)
                feeding.append((source, units, []))
            if self.kind in CLOCK_KINDS:
                _run_clock(element, OSD_DRIFT_S if self.kind == "osd_drift" else 0.0)

    def _refuse_seeking(element: Any) -> None:
        def on_query(pad: Any, info: Any) -> Any:
            query = info.get_query()
            if query is not None and query.type == Gst.QueryType.SEEKING:
                # A new seeking query already says "not seekable"; answering it untouched is
                # enough (PyGObject cannot make a probed query writable to set it again).
                return Gst.PadProbeReturn.HANDLED
            return Gst.PadProbeReturn.OK

        pay = element.get_by_name("pay0")
        pay.get_static_pad("src").add_probe(Gst.PadProbeType.QUERY_UPSTREAM, on_query)

    def _encode_loop(kind: str) -> Any:
        """Start encoding ``kind``'s loop; :func:`_loop_units` collects it."""
        pipeline = Gst.parse_launch(_encoding(kind, plan))
        if kind == "shaking":
            _shake(pipeline)
        pipeline.set_state(Gst.State.PLAYING)
        return pipeline

    def _loop_units(kind: str, pipeline: Any) -> tuple[Any, list[bytes]]:
        """The caps and encoded access units of ``kind``'s loop (a camera that sends no
        keyframe loses its keyframes here, as a live one would at its encoder)."""
        sink = pipeline.get_by_name("sink")
        units, caps = [], None
        while (sample := sink.emit("try-pull-sample", 20 * Gst.SECOND)) is not None:
            caps = sample.get_caps()
            buffer = sample.get_buffer()
            if kind == "no_keyframe" and not buffer.has_flags(Gst.BufferFlags.DELTA_UNIT):
                continue
            data = buffer.extract_dup(0, buffer.get_size())
            units.append(data)
        error = pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
        pipeline.set_state(Gst.State.NULL)
        if error is not None or not sink.get_property("eos") or not units:
            said = error.parse_error()[0].message if error is not None else "no end of stream"
            raise RuntimeError(f"encoding the {kind} loop failed: {said}")
        return caps, units

    # appsrc, its loop, [units pushed, running time of the first] once it has had one
    feeding: list[tuple[Any, list[bytes], list[int]]] = []

    def _feed() -> None:
        """Push every looped kind's next access unit, ``fps`` times a second on the wall clock.

        Only to a source whose last unit has left: a media the server holds prepared but
        nobody has played yet is blocked (and a live one in PAUSED takes nothing), so its
        queue neither grows nor skips, and its first viewer gets the next unit after the one
        it holds, never a burst or a broken chain of references. Each unit is stamped one
        frame after the one before (from the running time of the first), so the timestamps
        a viewer sees step evenly, also after a wait. A thread of its own: preparing a media
        waits for its first frame."""
        period, tick = 1.0 / int(plan["fps"]), 0
        frame_ns = Gst.SECOND // int(plan["fps"])
        start = time.monotonic()
        while True:
            if time.monotonic() - (start + tick * period) > period:
                start, tick = time.monotonic(), 0  # fell behind (a busy machine): no burst
            for source, units, pushed in list(feeding):
                if source.get_property("current-level-buffers") == 0:
                    if not pushed:
                        first = source.get_current_running_time()
                        pushed.extend((0, 0 if first == Gst.CLOCK_TIME_NONE else first))
                    buffer = Gst.Buffer.new_wrapped(units[pushed[0] % len(units)])
                    buffer.pts = buffer.dts = pushed[1] + pushed[0] * frame_ns
                    buffer.duration = frame_ns
                    pushed[0] += 1
                    source.emit("push-buffer", buffer)
            tick += 1
            time.sleep(max(0.0, start + tick * period - time.monotonic()))

    def _run_clock(element: Any, offset_s: float) -> None:
        osd = element.get_by_name("osd")

        def tick() -> bool:
            now = dt.datetime.now(dt.UTC) + OSD_UTC_OFFSET
            shown = now + dt.timedelta(seconds=offset_s)
            osd.set_property("text", shown.strftime(OSD_FORMAT))
            return True

        tick()
        GLib.timeout_add(200, tick)

    def _shake(element: Any) -> None:
        box = element.get_by_name("shake")
        state = {"n": 0}
        # A deterministic, jerky walk of up to 14 px: what a camera on a swaying pole shows.
        offsets = [(7, -5), (-9, 4), (12, 9), (-4, -12), (14, 2), (-13, 7), (3, -9), (-7, 13)]

        def on_buffer(pad: Any, info: Any) -> Any:
            dx, dy = offsets[state["n"] % len(offsets)]
            state["n"] += 1
            box.set_property("left", dx)
            box.set_property("right", -dx)
            box.set_property("top", dy)
            box.set_property("bottom", -dy)
            return Gst.PadProbeReturn.OK

        box.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, on_buffer)

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service("0")
    server.set_backlog(1024)
    # Clients get their own threads (and main contexts): DESCRIBE storms use both cores.
    server.get_thread_pool().set_max_threads(4)

    auth = GstRtspServer.RTSPAuth()
    anonymous = GstRtspServer.RTSPToken()
    anonymous.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "anonymous")
    auth.set_default_token(anonymous)
    viewer = GstRtspServer.RTSPToken()
    viewer.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "viewer")
    auth.add_basic(
        GstRtspServer.RTSPAuth.make_basic(str(plan["user"]), str(plan["password"])), viewer
    )
    server.set_auth(auth)

    # Every looped kind's frames are encoded at once (a pipeline each, all running together).
    encoding = {kind: _encode_loop(kind) for kind in plan["mounts"] if kind in LOOPED}
    loops = {kind: _loop_units(kind, pipeline) for kind, pipeline in encoding.items()}
    if loops:
        threading.Thread(target=_feed, name="loop-feeder", daemon=True).start()

    mounts = server.get_mount_points()
    factories: dict[str, Any] = {}
    for kind, paths in plan["mounts"].items():
        factory = KindFactory(kind)
        factory.add_role_from_structure(
            Gst.Structure.new_from_string(
                f"anonymous, media.factory.access=(boolean)true, "
                f"media.factory.construct=(boolean){str(kind != 'auth_required').lower()}"
            )
        )
        factory.add_role_from_structure(
            Gst.Structure.new_from_string(
                "viewer, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
            )
        )
        factories[kind] = factory
        for path in paths:
            mounts.add_factory(path, factory)

    loop = GLib.MainLoop()
    if server.attach(None) == 0:
        print(json.dumps({"error": "could not listen on 127.0.0.1"}), flush=True)
        return 1

    def on_stdin(channel: Any, condition: Any) -> bool:
        loop.quit()
        return False

    GLib.io_add_watch(
        GLib.IOChannel.unix_new(sys.stdin.fileno()),
        GLib.PRIORITY_DEFAULT,
        GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR,
        on_stdin,
    )
    # Sessions of probes that vanish without TEARDOWN are reaped, or a sweep leaks them.
    pool = server.get_session_pool()
    GLib.timeout_add_seconds(2, lambda: pool.cleanup() >= 0)
    port = server.get_bound_port()
    # Prepare each kind's shared media now and hold it: the camera streams whether anyone
    # watches or not, and the last viewer leaving does not tear the pipeline down.
    held = []
    for kind, factory in factories.items():
        path = plan["mounts"][kind][0]
        _, url = GstRtsp.RTSPUrl.parse(f"rtsp://127.0.0.1:{port}{path}")
        media = factory.construct(url)
        thread = server.get_thread_pool().get_thread(
            GstRtspServer.RTSPThreadType.MEDIA, GstRtspServer.RTSPContext()
        )
        media.prepare(thread)
        held.append(media)
    print(json.dumps({"port": port}), flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
