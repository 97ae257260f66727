"""Work orders: open after the grace period, never twice, escalate past SLA, close on recovery."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from catalog.builders import make_camera, write_csv_file
from probing.test_sweep import T0, TableProber
from vidgov.catalog.importer import import_catalog
from vidgov.errors import InvalidInput
from vidgov.maintenance.lifecycle import Policy, close_order, update_orders
from vidgov.maintenance.models import WorkOrder, WorkOrderEvent
from vidgov.probing.sweep import SweepTarget, run_sweep

POLICY = Policy(grace=timedelta(minutes=30), sla=timedelta(hours=24))
CAMERA = make_camera(1, maintenance_unit="中国电信股份有限公司南宁分公司")
TARGET = SweepTarget(CAMERA["device_id"], CAMERA["stream_url"])


def _sweep(engine: Engine, minutes: int, faults: list[str]) -> None:
    states = {TARGET.device_id: (True, not faults, faults)}
    run_sweep(engine, "", [TARGET], TableProber(states, T0 + timedelta(minutes=minutes)))


def _orders(engine: Engine) -> list[WorkOrder]:
    with Session(engine) as session:
        return list(session.scalars(select(WorkOrder).order_by(WorkOrder.id)))


def _events(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(WorkOrderEvent.kind).order_by(WorkOrderEvent.id)))


@pytest.fixture
def catalog(store: Engine, tmp_path: Path) -> Engine:
    import_catalog(store, [write_csv_file(tmp_path / "c.csv", [CAMERA])])
    return store


def test_a_lasting_fault_opens_one_order_for_the_unit(catalog: Engine) -> None:
    _sweep(catalog, 0, ["frozen"])
    assert update_orders(catalog, T0 + timedelta(minutes=10), POLICY).opened == 0  # a glitch
    _sweep(catalog, 40, ["frozen"])
    assert update_orders(catalog, T0 + timedelta(minutes=40), POLICY).opened == 1
    _sweep(catalog, 60, ["frozen"])
    assert update_orders(catalog, T0 + timedelta(minutes=60), POLICY).opened == 0  # no duplicate
    [order] = _orders(catalog)
    assert (order.fault, order.status, order.maintenance_unit) == (
        "frozen", "open", "中国电信股份有限公司南宁分公司")


def test_escalates_once_past_sla_and_closes_on_recovery(catalog: Engine) -> None:
    _sweep(catalog, 0, ["unreachable"])
    update_orders(catalog, T0 + timedelta(hours=1), POLICY)
    assert update_orders(catalog, T0 + timedelta(hours=26), POLICY).escalated == 1
    assert update_orders(catalog, T0 + timedelta(hours=27), POLICY).escalated == 0
    _sweep(catalog, 28 * 60, [])
    assert update_orders(catalog, T0 + timedelta(hours=28), POLICY).closed == 1
    [order] = _orders(catalog)
    assert (order.status, order.close_reason) == ("closed", "recovered")
    assert _events(catalog) == ["opened", "escalated", "closed"]


def test_a_new_fault_after_closing_opens_a_new_order(catalog: Engine) -> None:
    _sweep(catalog, 0, ["blur"])
    update_orders(catalog, T0 + timedelta(hours=1), POLICY)
    _sweep(catalog, 120, [])
    update_orders(catalog, T0 + timedelta(hours=2), POLICY)
    _sweep(catalog, 180, ["blur"])
    update_orders(catalog, T0 + timedelta(hours=4), POLICY)
    assert [o.status for o in _orders(catalog)] == ["closed", "open"]


def test_closing_by_hand(catalog: Engine) -> None:
    _sweep(catalog, 0, ["occlusion"])
    update_orders(catalog, T0 + timedelta(hours=1), POLICY)
    [order] = _orders(catalog)
    close_order(catalog, order.id, "现场清理遮挡物", T0 + timedelta(hours=2))
    with pytest.raises(InvalidInput, match="already closed"):
        close_order(catalog, order.id, "again")
    with pytest.raises(InvalidInput, match="no work order"):
        close_order(catalog, 999, "x")
