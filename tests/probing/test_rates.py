"""Online and playable rates per city, level and unit, now and over time."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from catalog.builders import make_camera, write_csv_file
from probing.test_sweep import T0, TableProber
from vidgov.catalog.importer import import_catalog
from vidgov.domain.divisions import load_divisions
from vidgov.probing.rates import (
    RateBy,
    current_rates,
    labelled_cameras,
    rates_over_time,
    read_health,
)
from vidgov.probing.sweep import SweepTarget, run_sweep


def _estate(engine: Engine, tmp_path: Path) -> list[SweepTarget]:
    records = [
        make_camera(1),
        make_camera(2),
        make_camera(3, admin_code="450103001", maintenance_unit="运维甲"),
        make_camera(4, device_id="45030400001320000004", admin_code="450304",
                    longitude="110.29", latitude="25.27"),
    ]
    import_catalog(engine, [write_csv_file(tmp_path / "c.csv", records)])
    return [SweepTarget(r["device_id"], r["stream_url"]) for r in records]


def test_rates_count_unprobed_cameras_as_offline(store: Engine, tmp_path: Path) -> None:
    targets = _estate(store, tmp_path)
    states = {targets[0].device_id: (True, True, []),
              targets[1].device_id: (True, False, ["frozen"]),
              targets[2].device_id: (False, False, ["unreachable"])}
    run_sweep(store, "", targets[:3], TableProber(states, T0))
    cameras = labelled_cameras(store, load_divisions())
    by_city = {r["city"]: r for r in current_rates(cameras, read_health(store),
                                                   RateBy.CITY).to_dicts()}
    assert by_city["南宁市"]["online_rate"] == round(2 / 3 * 100, 1)
    assert by_city["南宁市"]["playable_rate"] == round(1 / 3 * 100, 1)
    assert by_city["桂林市"]["probed"] == 0
    assert by_city["桂林市"]["online_rate"] == 0.0
    levels = {r["level"]: r["cameras"] for r in current_rates(
        cameras, read_health(store), RateBy.LEVEL).to_dicts()}
    assert levels == {"县级": 3, "乡镇级": 1}


def test_rates_over_time_per_day(store: Engine, tmp_path: Path) -> None:
    targets = _estate(store, tmp_path)
    up = {t.device_id: (True, True, []) for t in targets}
    down = {t.device_id: (False, False, ["timeout"]) for t in targets}
    run_sweep(store, "", targets, TableProber(up, T0 - timedelta(days=1)))
    run_sweep(store, "", targets, TableProber(down, T0))
    cameras = labelled_cameras(store, load_divisions())
    series = rates_over_time(store, cameras, RateBy.CITY).filter(city="南宁市")
    assert series["online_rate"].to_list() == [100.0, 0.0]
