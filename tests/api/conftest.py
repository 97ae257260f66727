"""A small estate behind the real app: two cities, three maintenance units, every role.

Nanning (450103) holds the cameras of units 绿通 and 蓝天, Guilin (450302) those of 漓江;
each city has a failing camera with an open work order. Users: one per role scoped to
Nanning (the unit user is 绿通), a 蓝天 unit user, and a region-wide admin.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session

from catalog.builders import make_camera, write_csv_file
from probing.test_sweep import T0, Outcome, TableProber
from support.postgres import PostgresServer
from vidgov.api.app import create_app
from vidgov.catalog.importer import import_catalog
from vidgov.domain.divisions import load_divisions
from vidgov.maintenance.lifecycle import Policy, update_orders
from vidgov.maintenance.models import WorkOrder
from vidgov.probing.sweep import SweepTarget, run_sweep
from vidgov.settings import Settings
from vidgov.sharing.accounts import create_user
from vidgov.sharing.policy import Role
from vidgov.store.db import open_store

PASSWORD = "correct horse battery"
LVTONG, LANTIAN, LIJIANG = "南宁绿通运维有限公司", "南宁蓝天科技有限公司", "桂林漓江运维有限公司"


def _nanning(serial: int, unit: str) -> dict[str, str]:
    return make_camera(serial, maintenance_unit=unit)


def _guilin(serial: int) -> dict[str, str]:
    return make_camera(serial, device_id=f"450302000013200{serial:05d}", admin_code="450302",
                       name=f"解放东路与中山中路交叉口{serial}",
                       address="广西壮族自治区桂林市秀峰区解放东路1号",
                       longitude=f"{110.2900 + serial * 1e-4:.6f}", latitude="25.2800",
                       department="桂林市公安局秀峰分局", maintenance_unit=LIJIANG)


@dataclass(frozen=True)
class Estate:
    engine: Engine
    nanning_ids: list[str]
    guilin_ids: list[str]
    failing_nanning: str  # 绿通's camera with an open order
    failing_lantian: str  # 蓝天's camera with an open order
    failing_guilin: str

    def order_of(self, device_id: str) -> int:
        with Session(self.engine) as session:
            order_id = session.scalar(select(WorkOrder.id).where(
                WorkOrder.device_id == device_id, WorkOrder.status != "closed"))
        assert order_id is not None
        return order_id


def build_estate(engine: Engine, folder: Path) -> Estate:
    rows = ([_nanning(i, LVTONG) for i in range(1, 9)]
            + [_nanning(i, LANTIAN) for i in range(9, 13)]
            + [_guilin(i) for i in range(20, 28)])
    import_catalog(engine, [write_csv_file(folder / "catalog.csv", rows)])
    nanning = [r["device_id"] for r in rows if r["admin_code"] == "450103"]
    guilin = [r["device_id"] for r in rows if r["admin_code"] == "450302"]
    failing = {nanning[0]: ["frozen"], nanning[9]: ["unreachable"], guilin[0]: ["blur"]}
    states = {d: (d not in failing or failing[d] != ["unreachable"],
                  d not in failing or failing[d] == ["blur"], failing.get(d, []))
              for d in nanning + guilin}
    states[nanning[-1]] = (False, False, ["timeout"])
    targets = [SweepTarget(r["device_id"], r["stream_url"]) for r in rows]
    for minutes in (0, 45):
        run_sweep(engine, "", targets, _EvidenceProber(states, T0 + timedelta(minutes=minutes)))
    update_orders(engine, T0 + timedelta(minutes=45), Policy(grace=timedelta(minutes=30)))
    with Session(engine) as session, session.begin():
        divisions = load_divisions()
        for role in Role:
            create_user(session, role.value, PASSWORD, role, ["450100"], divisions,
                        department="南宁市公安局",
                        maintenance_unit=LVTONG if role is Role.MAINTENANCE_UNIT else None)
        create_user(session, "lantian", PASSWORD, Role.MAINTENANCE_UNIT, ["450103"], divisions,
                    maintenance_unit=LANTIAN)
        create_user(session, "region_admin", PASSWORD, Role.ADMIN, ["450000"], divisions)
        create_user(session, "guilin_operator", PASSWORD, Role.OPERATOR, ["450300"], divisions)
    return Estate(engine, nanning, guilin, nanning[0], nanning[9], guilin[0])


@dataclass(frozen=True)
class _Evidence:
    code: str
    measured: float | None
    threshold: float | None
    snapshot_jpeg: bytes | None


#: The smallest valid JPEG would do; a real one from OpenCV keeps the test honest.
def _jpeg() -> bytes:
    import cv2
    import numpy as np

    ok, data = cv2.imencode(".jpg", np.full((36, 64, 3), 128, np.uint8))
    assert ok
    return bytes(data)


class _EvidenceProber(TableProber):
    """Like TableProber, with a snapshot for each picture fault."""

    def __call__(self, batch):  # type: ignore[no-untyped-def]
        outcomes = []
        for outcome in super().__call__(batch):
            evidence = [_Evidence(code, 0.1, 0.25, _jpeg()) for code in outcome.faults
                        if code in ("frozen", "blur")]
            outcomes.append(Outcome(outcome.device_id, outcome.online, outcome.playable,
                                    outcome.faults, outcome.probed_at,
                                    evidence=evidence))  # type: ignore[arg-type]
        return outcomes


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                               marks=pytest.mark.postgres)])
def estate(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Estate]:
    folder = tmp_path_factory.mktemp("api")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'vidgov.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        admin = create_engine(server.url)
        with admin.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        admin.dispose()
        url = server.url
    engine = open_store(url)
    yield build_estate(engine, folder)
    engine.dispose()


@pytest.fixture(scope="module")
def client(estate: Estate) -> Iterator[TestClient]:
    url = estate.engine.url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url, cockpit_ttl_s=0))
    with TestClient(app) as test_client:
        yield test_client


_TOKENS: dict[tuple[int, str], str] = {}


def headers_for(client: TestClient, username: str) -> dict[str, str]:
    """A bearer token for ``username`` (fetched once per app)."""
    key = (id(client.app), username)
    if key not in _TOKENS:
        answer = client.post("/api/auth/token",
                             data={"username": username, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        _TOKENS[key] = answer.json()["access_token"]
    return {"Authorization": f"Bearer {_TOKENS[key]}"}
