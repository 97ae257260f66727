"""Live analytics end to end: a subscription on a camera of the simulated fleet that shows a
real place (vtest, people on a plaza, served in a loop over RTSP) yields per-minute counts,
a crowd event with a de-identified snapshot, and a picture diagnosis from the same decode —
stored, and visible through the API only to users whose regional scope holds the camera. A
second subscribed camera is dead: it is retried in its own threads and never stalls the first.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from catalog.builders import make_camera, write_csv_file
from vidgov.analytics.deid import load_deidentifier
from vidgov.analytics.detect import NanoDet, NanoDetConfig
from vidgov.analytics.detectors.nanodet import MODELS_DIR
from vidgov.analytics.models import CountMinute
from vidgov.analytics.pipeline import TRACKING_SCORE_THRESHOLD
from vidgov.api.app import create_app
from vidgov.catalog.importer import import_catalog
from vidgov.domain.divisions import load_divisions
from vidgov.errors import InvalidInput
from vidgov.probing.models import CameraHealth, ProbeRecord
from vidgov.services import subscriptions
from vidgov.services.live_analytics import LiveAnalytics, LiveSettings
from vidgov.services.subscriptions import (
    Shard,
    analysis_options,
    enabled_subscriptions,
    spec_from_json,
)
from vidgov.services.sweeps import picture_diagnoser
from vidgov.settings import Settings
from vidgov.sharing.accounts import create_user
from vidgov.sharing.policy import Role, Scope
from vidgov.simulate.fleet import Condition, Fleet

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")  # Debian's opencv-doc
SCENE, DEAD = "45010300001320000001", "45030200001320000020"  # Nanning, Guilin
PASSWORD = "correct horse battery"
PLAZA = {"id": "plaza", "points": [[0, 150], [768, 150], [768, 576], [0, 576]]}
GATE = {"id": "gate", "start": [420, 576], "end": [420, 150]}


def catalog(engine: Engine, folder: Path, scene_url: str) -> None:
    rows = [make_camera(1, device_id=SCENE, stream_url=scene_url),
            make_camera(20, device_id=DEAD, admin_code="450302", longitude="110.2900",
                        latitude="25.2800", stream_url="rtsp://127.0.0.1:9/nothing-here")]
    import_catalog(engine, [write_csv_file(folder / "catalog.csv", rows)])


def subscribe(engine: Engine, device_id: str) -> None:
    spec = spec_from_json("crowd", [GATE], [PLAZA], sample_rate_fps=2.0,
                          thresholds={"people": 2, "seconds": 2, "clear_s": 1})
    with Session(engine) as session, session.begin():
        subscriptions.create_subscription(session, Scope.everything(), device_id, spec, "test")


def wait_for(condition: object, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.5)
    return False


@pytest.mark.rtsp
@pytest.mark.slow
def test_a_subscription_on_a_real_scene_yields_counts_an_event_and_a_diagnosis(
        sqlite_engine: Engine, tmp_path: Path) -> None:
    engine = sqlite_engine
    model = MODELS_DIR / "nanodet.onnx"
    assert model.is_file(), "run scripts/install-models.sh"
    with Fleet([Condition.SCENE], clip=VTEST) as fleet:
        catalog(engine, tmp_path, fleet.cameras[0].url)
        subscribe(engine, SCENE)
        subscribe(engine, DEAD)
        live = LiveAnalytics(
            engine,
            detector=lambda: NanoDet(NanoDetConfig(
                model_path=model, score_threshold=TRACKING_SCORE_THRESHOLD)),
            diagnose=picture_diagnoser(clock_every=0),
            settings=LiveSettings(flush_every_s=2.0, diagnose_every_s=5.0, refresh_s=1.0,
                                  retry_s=(0.5, 1.0)),
            redact=load_deidentifier)
        stop = threading.Event()
        worker = threading.Thread(target=live.run, args=(stop,))
        started = datetime.now(UTC)
        worker.start()
        try:
            def stored() -> bool:
                with Session(engine) as session:
                    counts = session.scalar(select(func.count()).select_from(CountMinute))
                    probes = session.scalar(select(func.count()).select_from(ProbeRecord))
                return bool(counts) and bool(probes)

            assert wait_for(stored, 60), [r.stats for r in live.runners.values()]
            time.sleep(4)  # a few more seconds of people on the plaza
            runners = {r.subscription.device_id: r for r in live.runners.values()}
        finally:
            stop.set()
            worker.join(30)
    assert not worker.is_alive()
    scene, dead = runners[SCENE].stats, runners[DEAD].stats
    assert scene.analysed >= 10, scene
    assert scene.flushes >= 1, scene
    assert dead.connections == 0, dead
    assert len(dead.errors) >= 2, dead  # retried, in its own threads

    # What the users of each city see through the API.
    with Session(engine) as session, session.begin():
        divisions = load_divisions()
        create_user(session, "nanning_user", PASSWORD, Role.DEPARTMENT_USER, ["450100"],
                    divisions, department="南宁市公安局")
        create_user(session, "guilin_user", PASSWORD, Role.DEPARTMENT_USER, ["450300"],
                    divisions, department="桂林市公安局")
        found = session.get_one(CameraHealth, SCENE)
        health = (found.online, found.playable)
    window = {"since": (started - timedelta(minutes=2)).isoformat(),
              "until": (datetime.now(UTC) + timedelta(minutes=2)).isoformat()}
    url = engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(Settings(database_url=url, cockpit_ttl_s=0))) as client:
        def get(user: str, path: str, **params: str) -> Any:
            token = client.post("/api/auth/token",
                                data={"username": user, "password": PASSWORD}).json()
            return client.get(path, params=params,
                              headers={"Authorization": f"Bearer {token['access_token']}"})

        mine = get("nanning_user", "/api/analytics/counts", by="camera", kind="zone",
                   **window).json()
        theirs = get("guilin_user", "/api/analytics/counts", by="camera", **window).json()
        events = get("nanning_user", "/api/analytics/events").json()
        hidden = get("guilin_user", "/api/analytics/events").json()
        (crowd, *_) = events["items"]
        picture = get("nanning_user", crowd["snapshot_url"])
        not_theirs = get("guilin_user", crowd["snapshot_url"])
    people = [t for t in mine["totals"] if t["class_name"] == "person"]
    assert people, mine  # people counted on the plaza, filed under the camera
    assert people[0]["key"] == SCENE
    assert theirs["totals"] == []
    assert crowd["kind"] == "crowd"
    assert crowd["peak"] >= 2
    assert hidden["items"] == []
    assert picture.status_code == 200
    assert not_theirs.status_code == 404
    assert picture.content[:2] == b"\xff\xd8"  # a JPEG (blurred upstream: see test_deid)
    assert health == (True, True)  # the same decode, diagnosed


def test_shards_split_the_subscriptions_between_workers_exactly_once(
        sqlite_engine: Engine, tmp_path: Path) -> None:
    rows = [make_camera(i, stream_url=f"rtsp://127.0.0.1:9/cam{i}") for i in range(1, 8)]
    import_catalog(sqlite_engine, [write_csv_file(tmp_path / "catalog.csv", rows)])
    for row in rows:
        subscribe(sqlite_engine, row["device_id"])
    everyone = {s.id for s in enabled_subscriptions(sqlite_engine, analysis_options)}
    shares = [{s.id for s in enabled_subscriptions(sqlite_engine, analysis_options,
                                                   Shard(i, 3))} for i in range(3)]
    assert len(everyone) == 7
    assert set().union(*shares) == everyone
    assert sum(len(share) for share in shares) == 7  # none twice
    assert all(share for share in shares)


@pytest.mark.parametrize(("text", "message"), [
    ("2/2", "0 <= I < N"), ("1", "expected I/N"), ("a/b", "expected I/N"), ("0/0", "0 <= I < N"),
])
def test_a_bad_shard_says_how_to_write_one(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        Shard.parse(text)
