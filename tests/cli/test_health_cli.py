"""``vidgov report`` and ``vidgov orders`` over a catalog that has been swept."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from catalog.builders import make_camera, write_csv_file
from probing.test_sweep import T0, TableProber
from vidgov.maintenance.lifecycle import update_orders
from vidgov.probing.sweep import SweepTarget, run_sweep
from vidgov.store.db import open_store

from .conftest import Invoke


def _swept(vidgov: Invoke, tmp_path: Path, database_url: str) -> list[str]:
    records = [make_camera(1), make_camera(2, maintenance_unit="运维甲"),
               make_camera(3, device_id="45030400001320000003", admin_code="450304",
                           longitude="110.29", latitude="25.27")]
    write_csv_file(tmp_path / "c.csv", records)
    assert vidgov("catalog", "import", "c.csv").exit_code == 0
    ids = [r["device_id"] for r in records]
    states = {ids[0]: (True, True, []), ids[1]: (True, False, ["frozen"]),
              ids[2]: (False, False, ["unreachable"])}
    engine = open_store(database_url)
    run_sweep(engine, "", [SweepTarget(i, "rtsp://127.0.0.1/x") for i in ids],
              TableProber(states, T0))
    update_orders(engine, T0 + timedelta(hours=1))
    engine.dispose()
    return ids


def test_report_cameras_and_rates(vidgov: Invoke, tmp_path: Path, database_url: str) -> None:
    ids = _swept(vidgov, tmp_path, database_url)
    cameras = json.loads(vidgov("report", "cameras", "--json").stdout)
    assert [(c["device_id"], c["online"], c["playable"], c["faults"]) for c in cameras] == [
        (ids[0], True, True, []), (ids[1], True, False, ["frozen"]),
        (ids[2], False, False, ["unreachable"])]
    assert all(c["probed_at"] for c in cameras)
    rates = json.loads(vidgov("report", "rates", "--by", "city", "--json").stdout)
    by_city = {r["city"]: (r["online_rate"], r["playable_rate"]) for r in rates}
    assert by_city == {"南宁市": (100.0, 50.0), "桂林市": (0.0, 0.0)}
    daily = json.loads(vidgov("report", "rates", "--since", "2026-11-01", "--json").stdout)
    assert {r["day"] for r in daily} == {"2026-11-25"}
    result = vidgov("report", "rates", "--by", "level", "--xlsx", "rates.xlsx")
    assert result.exit_code == 0
    assert "县级" in result.stdout
    assert (tmp_path / "rates.xlsx").exists()


def test_orders_list_show_close(vidgov: Invoke, tmp_path: Path, database_url: str) -> None:
    _swept(vidgov, tmp_path, database_url)
    orders = json.loads(vidgov("orders", "list", "--status", "open", "--json").stdout)
    assert sorted(o["fault"] for o in orders) == ["frozen", "unreachable"]
    frozen = next(o for o in orders if o["fault"] == "frozen")
    assert frozen["maintenance_unit"] == "运维甲"
    closed = vidgov("orders", "close", str(frozen["id"]), "--reason", "现场已修复")
    assert closed.exit_code == 0
    shown = json.loads(vidgov("orders", "show", str(frozen["id"]), "--json").stdout)
    assert [h["kind"] for h in shown["history"]] == ["opened", "closed"]
    assert vidgov("orders", "show", "999").exit_code == 2
    assert "运维甲" in vidgov("orders", "list").stdout
