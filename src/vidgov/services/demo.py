"""The main job's pieces: demo accounts, and an estate whose cameras answer from a fleet.

A synthetic estate's stream addresses point at private 10.x hosts that do not exist here.
For the demo every catalog camera with an RTSP address is pointed at one of the simulated
fleet's mounts (round robin), so a sweep probes every camera for real, and many catalog
cameras share one mount, as the benchmarks do. One camera in 南宁市 is pointed at a real
place instead (a recorded plaza served as a live camera) and subscribed to crowd analytics,
so the worker counts real people and raises real events while the demo runs.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy import Engine, bindparam, func, select, update
from sqlalchemy.orm import Session

from vidgov.analytics.models import AnalyticsSubscription
from vidgov.catalog.models import Camera
from vidgov.domain.divisions import Divisions
from vidgov.domain.ids import device_id_problem
from vidgov.services.subscriptions import create_subscription, spec_from_json
from vidgov.sharing.accounts import create_user, set_password
from vidgov.sharing.models import User
from vidgov.sharing.policy import Role, Scope

#: People walking across a plaza (768×576, 10 fps), from Debian's opencv-doc package, which
#: the set-up installs: the demo's one camera on a real place.
DEMO_CLIP: Final = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
#: The plaza in that picture, and a line across it, in its pixels.
_PLAZA = {"id": "plaza", "points": [[0, 150], [768, 150], [768, 576], [0, 576]]}
_GATE = {"id": "gate", "start": [420, 576], "end": [420, 150]}


def point_at_fleet(engine: Engine, urls: Sequence[str]) -> int:
    """Give every camera with an RTSP address one of ``urls``; returns how many changed.

    Cameras whose address is missing or malformed keep it: those are catalog defects the
    audit reports, not cameras to probe.
    """
    if not urls:
        return 0
    with Session(engine) as session, session.begin():
        ids = list(session.scalars(select(Camera.device_id)
                                   .where(Camera.stream_url.like("rtsp://%"))
                                   .order_by(Camera.device_id)))
        statement = (update(Camera).where(Camera.device_id == bindparam("did"))
                     .values(stream_url=bindparam("url"), sub_stream_url=None))
        session.connection().execute(statement, [
            {"did": device_id, "url": urls[i % len(urls)]} for i, device_id in enumerate(ids)])
    return len(ids)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: Role
    note: str


def demo_logins(engine: Engine, divisions: Divisions) -> list[DemoLogin]:
    """Accounts to try the cockpit with, with fresh passwords on every run.

    A region-wide admin, and the maintenance unit with the most cameras in 南宁市 (to see
    scope at work: it sees only its own cameras and work orders).
    """
    with Session(engine) as session, session.begin():
        unit = session.scalar(
            select(Camera.maintenance_unit)
            .where(Camera.admin_code.like("4501%"), Camera.maintenance_unit.is_not(None))
            .group_by(Camera.maintenance_unit).order_by(func.count().desc()).limit(1))
        wanted: list[tuple[str, Role, list[str], str | None, str]] = [
            ("demo", Role.ADMIN, ["450000"], None, "全区管理员 region-wide admin")]
        if unit:
            wanted.append(("nanning_unit", Role.MAINTENANCE_UNIT, ["450100"], unit,
                           f"南宁市运维单位 {unit}"))
        logins = []
        for username, role, scopes, maintenance_unit, note in wanted:
            password = secrets.token_urlsafe(9)
            exists = session.scalar(select(User.id).where(User.username == username))
            if exists is None:
                create_user(session, username, password, role, scopes, divisions,
                            maintenance_unit=maintenance_unit)
            else:
                set_password(session, username, password)
            logins.append(DemoLogin(username, password, role, note))
    return logins


def watch_real_place(engine: Engine, scene_url: str) -> str | None:
    """Point the first RTSP camera of 南宁市 at ``scene_url`` and subscribe it to crowd
    analytics (people on the plaza, a counting line across it); its device ID, or None when
    the estate has no such camera. Re-running the demo keeps one subscription."""
    with Session(engine) as session, session.begin():
        candidates = session.scalars(
            select(Camera.device_id).where(Camera.admin_code.like("4501%"),
                                           Camera.stream_url.like("rtsp://%"))
            .order_by(Camera.device_id).limit(100))
        # Not one of the catalog's defects (a mangled ID): the camera people will look up.
        device_id = next((d for d in candidates if device_id_problem(d) is None), None)
        if device_id is None:
            return None
        session.execute(update(Camera).where(Camera.device_id == device_id)
                        .values(stream_url=scene_url, sub_stream_url=None))
        already = session.scalar(select(AnalyticsSubscription.id)
                                 .where(AnalyticsSubscription.device_id == device_id))
        if already is None:
            spec = spec_from_json("crowd", [_GATE], [_PLAZA], sample_rate_fps=2.0,
                                  thresholds={"people": 4, "seconds": 2})
            create_subscription(session, Scope.everything(), device_id, spec, "demo")
    return device_id
