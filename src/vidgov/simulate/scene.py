"""A real place for the simulated fleet: a recorded clip served in a loop as a live camera.

Why: the analytics chain (a subscription on a camera → detection → counts and events in the
store) must run end to end in tests against a camera that shows real people, not test bars.
The clip is decoded once here, in the venv (PyAV), into numbered JPEG files; the RTSP server's
pipeline (:mod:`vidgov.simulate.rtsp_server`) reads them with GStreamer's ``multifilesrc
loop=true``, which restarts at the first file with timestamps that keep running, so the camera
never ends and a viewer sees the clip's own picture size and rate. JPEG rather than the clip
itself: the server then needs no demuxer for whatever container the user has, and seeking
back to the start of a shared live pipeline (which disturbs every viewer) never happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import av
import cv2

from vidgov.errors import InvalidInput

#: Frames kept from the clip: a minute at 10 fps is plenty for a loop, and bounds the disk used.
MAX_FRAMES: Final = 600
_JPEG_QUALITY: Final = 90


@dataclass(frozen=True, slots=True)
class Scene:
    """A clip unpacked for the server: ``pattern`` % i for i in 1..frames is a JPEG file."""

    pattern: str
    frames: int
    width: int
    height: int
    fps: int

    def plan(self) -> dict[str, Any]:
        """What the RTSP server child reads from its plan (JSON-safe)."""
        return {"pattern": self.pattern, "frames": self.frames, "width": self.width,
                "height": self.height, "fps": self.fps}


def unpack_clip(clip: Path, folder: Path, max_frames: int = MAX_FRAMES) -> Scene:
    """Decode ``clip`` into JPEG files under ``folder`` (at most ``max_frames`` of them).

    The picture keeps its size (cropped to even numbers, as H.264 4:2:0 needs) and its rate
    rounded to whole frames per second, so lines and zones drawn on the clip hold for the camera.
    """
    if not clip.is_file():
        raise InvalidInput(f"no such clip: {clip}")
    try:
        container = av.open(str(clip))
    except av.FFmpegError as exc:
        raise InvalidInput(f"cannot read clip {clip}: {exc}") from exc
    with container:
        if not container.streams.video:
            raise InvalidInput(f"clip {clip} has no video track")
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.base_rate
        fps = max(1, round(float(rate))) if rate else 25
        written = 0
        width = height = 0
        for frame in container.decode(stream):
            picture = frame.to_ndarray(format="bgr24")
            height, width = picture.shape[0] // 2 * 2, picture.shape[1] // 2 * 2
            written += 1
            ok, data = cv2.imencode(".jpg", picture[:height, :width],
                                    [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY])
            if not ok:
                raise InvalidInput(f"cannot encode frame {written} of {clip} as JPEG")
            (folder / f"{written:05d}.jpg").write_bytes(data.tobytes())
            if written >= max_frames:
                break
    if written == 0:
        raise InvalidInput(f"clip {clip} has no decodable frame")
    return Scene(str(folder / "%05d.jpg"), written, width, height, fps)
