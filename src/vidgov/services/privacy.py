"""Pictures leave the platform de-identified: faces and licence plates blurred on the way out.

Why at the exit and not only at capture: event snapshots are blurred when they are taken (the
pipeline cannot make one without the de-identifier), but a health sweep keeps the evidence
frame of a picture fault as the camera sent it, because blurring every faulty camera's frame
during a 250,000-camera sweep would cost the sweep a third of its speed (~70 ms a picture).
Those pictures are only ever shown through the API, so they are blurred there, when someone
asks for one: a cost paid per picture viewed, not per camera swept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import cv2
import numpy as np

from vidgov.analytics.deid import Deidentifier, load_deidentifier
from vidgov.errors import InvalidInput

_JPEG_QUALITY = 85


class JpegRedactor:
    """A stored JPEG in, the same picture with faces and plates blurred out.

    The de-identifier loads on first use (a service that never shows a picture never loads
    it) and is used by one request at a time: OpenCV's face detector keeps per-call state.
    """

    def __init__(self, load: Callable[[], Deidentifier] = load_deidentifier) -> None:
        self._load = load
        self._deidentifier: Deidentifier | None = None
        self._lock = threading.Lock()

    def __call__(self, jpeg: bytes) -> bytes:
        picture = cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), cv2.IMREAD_COLOR)
        if picture is None:  # never hand on what we could not look at
            raise InvalidInput("the stored picture cannot be decoded, so it is not shown")
        with self._lock:
            if self._deidentifier is None:
                self._deidentifier = self._load()
            blurred = self._deidentifier(np.asarray(picture, dtype=np.uint8))
        ok, data = cv2.imencode(".jpg", blurred, [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY])
        if not ok:
            raise InvalidInput("the de-identified picture cannot be encoded")
        return bytes(data.tobytes())
