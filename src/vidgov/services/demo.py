"""The main job's pieces: demo accounts, and an estate whose cameras answer from a fleet.

A synthetic estate's stream addresses point at private 10.x hosts that do not exist here.
For the demo every catalog camera with an RTSP address is pointed at one of the simulated
fleet's mounts (round robin), so a sweep probes every camera for real, and many catalog
cameras share one mount, as the benchmarks do.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, func, select, update
from sqlalchemy.orm import Session

from vidgov.catalog.models import Camera
from vidgov.domain.divisions import Divisions
from vidgov.sharing.accounts import create_user, set_password
from vidgov.sharing.models import User
from vidgov.sharing.policy import Role


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
