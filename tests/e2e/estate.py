"""A small synthetic estate behind the real app, seeded only through the project's own code.

``write_estate`` synthesises a Guangxi catalog (every city, the clerks' usual mistakes),
``import_catalog`` loads it, five sweeps over four days give the cameras a health history
(a deterministic table decides who is playable, frozen, blurred or unreachable), and
``update_orders`` opens work orders for the faults that lasted past the grace period.
Accounts are made with ``vidgov.sharing.accounts.create_user``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from vidgov.catalog.importer import import_catalog
from vidgov.catalog.models import Camera
from vidgov.domain.divisions import load_divisions
from vidgov.maintenance.lifecycle import Policy, update_orders
from vidgov.maintenance.models import WorkOrder
from vidgov.probing.results import PictureFault
from vidgov.probing.sweep import SweepTarget, run_sweep
from vidgov.services.estate import write_estate
from vidgov.services.sweeps import StoredProbe
from vidgov.sharing.accounts import create_user
from vidgov.sharing.policy import Role

PASSWORD = "correct horse battery"
CAMERAS = 600
SEED = 7
#: Sweeps this long before "now": a trend over several days and faults that outlast the grace.
SWEEP_AGES = (timedelta(days=3), timedelta(days=2), timedelta(days=1), timedelta(hours=2),
              timedelta(minutes=5))


#: (online, playable, faults) by bucket of a device ID's hash: ~70% playable, as in Guangxi.
_STATES: tuple[tuple[bool, bool, tuple[str, ...]], ...] = (
    *((True, True, ()),) * 14,
    (True, False, ("frozen",)),
    (True, True, ("blur",)),
    (True, False, ("no_keyframe",)),
    (False, False, ("unreachable",)),
    (False, False, ("timeout",)),
    (False, False, ("unreachable",)),
)
_HEALTHY = _STATES[0]


def state_of(device_id: str, sweep: int) -> tuple[bool, bool, tuple[str, ...]]:
    """A camera's state in sweep number ``sweep`` (0 = oldest of SWEEP_AGES).

    Faults start at different sweeps (so orders open at different times: some escalate,
    some are still inside their SLA) and one camera in six recovers in the last sweep (its
    order closes itself).
    """
    digest = hashlib.sha256(device_id.encode()).digest()
    state = _STATES[digest[0] % len(_STATES)]
    starts, recovers = digest[1] % 3, digest[2] % 6 == 0
    if state is _HEALTHY or sweep < starts or (recovers and sweep == len(SWEEP_AGES) - 1):
        return _HEALTHY
    return state


def _jpeg(seed: int) -> bytes:
    import cv2
    import numpy as np

    picture = np.full((180, 320, 3), 60 + seed % 120, np.uint8)
    cv2.putText(picture, "vidgov", (90, 100), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (255, 255, 255), 3)
    ok, data = cv2.imencode(".jpg", picture)
    assert ok
    return bytes(data)


class TableProber:
    """Answers each camera's fixed state at one instant; picture faults carry a snapshot."""

    def __init__(self, sweep: int, at: datetime) -> None:
        self.sweep, self.at = sweep, at

    def __call__(self, batch: Sequence[SweepTarget]) -> Iterable[StoredProbe]:
        outcomes = []
        for target in batch:
            online, playable, faults = state_of(target.device_id, self.sweep)
            evidence = [PictureFault(code, code == "frozen", 0.1, 0.25,
                                     _jpeg(len(target.device_id) + i))
                        for i, code in enumerate(faults) if code in ("frozen", "blur")]
            outcomes.append(StoredProbe(target.device_id, online, playable, faults, self.at,
                                        {"connect": 3.0}, evidence))
        return outcomes


@dataclass(frozen=True)
class User:
    username: str
    role: Role
    scopes: tuple[str, ...]
    maintenance_unit: str | None = None


@dataclass(frozen=True)
class Estate:
    engine: Engine
    cameras: int
    unit: str  # the maintenance unit whose user ``unit_user`` signs in
    own_order: int  # an open order of ``unit``
    foreign_order: int  # an open order of another unit, in the same city
    foreign_unit: str
    users: tuple[User, ...]

    def user(self, role: Role) -> User:
        return next(u for u in self.users if u.role is role)


def _open_orders(session: Session) -> list[tuple[int, str | None, str | None]]:
    rows = session.execute(
        select(WorkOrder.id, WorkOrder.maintenance_unit, Camera.admin_code)
        .join(Camera, Camera.device_id == WorkOrder.device_id)
        .where(WorkOrder.status != "closed").order_by(WorkOrder.id))
    return [(r[0], r[1], r[2]) for r in rows]


def build_estate(engine: Engine, folder: Path, now: datetime | None = None) -> Estate:
    now = now or datetime.now(UTC)
    catalog = folder / "catalog.csv"
    write_estate(CAMERAS, SEED, [], catalog, None)
    import_catalog(engine, [catalog], now=now - SWEEP_AGES[0] - timedelta(hours=1))
    with Session(engine) as session:
        targets = [SweepTarget(d, u or "") for d, u in session.execute(
            select(Camera.device_id, Camera.stream_url).order_by(Camera.device_id))]
    policy = Policy(grace=timedelta(minutes=30), sla=timedelta(hours=36))
    for sweep, age in enumerate(SWEEP_AGES):
        at = now - age
        run_sweep(engine, "", targets, TableProber(sweep, at), batch_size=200,
                  clock=lambda at=at: at)  # type: ignore[misc]
        update_orders(engine, at, policy)
    with Session(engine) as session:
        orders = _open_orders(session)
    # A unit with open orders, and another unit with an open order in the same city, so the
    # unit user's regional scope covers both and only the unit filter keeps them apart.
    own_id, unit, code = next((i, u, c) for i, u, c in orders if u and c and len(c) >= 4)
    foreign_id, foreign_unit = next(
        ((i, u) for i, u, c in orders if u and u != unit and c and c[:4] == code[:4]),
        next((i, u) for i, u, _ in orders if u and u != unit))
    assert foreign_unit is not None
    city = f"{code[:4]}00"
    users = (
        User("admin", Role.ADMIN, ("450000",)),
        User("operator", Role.OPERATOR, ("450000",)),
        User("unit", Role.MAINTENANCE_UNIT, (city,), unit),
        User("viewer", Role.VIEWER, ("450000",)),
    )
    divisions = load_divisions()
    with Session(engine) as session, session.begin():
        for u in users:
            create_user(session, u.username, PASSWORD, u.role, list(u.scopes), divisions,
                        maintenance_unit=u.maintenance_unit)
    return Estate(engine, CAMERAS, unit, own_id, foreign_id, foreign_unit, users)
