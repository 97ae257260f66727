"""The read model stays right as the store changes: what it adds up bit by bit equals a fresh
build, requests never wait for a refresh, and an unchanged store costs no rebuild."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from catalog.builders import make_camera, write_csv_file
from probing.test_sweep import T0, TableProber
from vidgov.catalog.importer import import_catalog
from vidgov.domain.divisions import load_divisions
from vidgov.domain.geo import load_boundaries
from vidgov.probing.sweep import SweepTarget, run_sweep
from vidgov.services.read_model import EstateView, Frames

States = dict[str, tuple[bool, bool, list[str]]]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _estate(store: Engine, folder: Path, cameras: int = 6) -> list[SweepTarget]:
    rows = [make_camera(i) for i in range(1, cameras + 1)]
    import_catalog(store, [write_csv_file(folder / "catalog.csv", rows)])
    return [SweepTarget(r["device_id"], r["stream_url"]) for r in rows]


def _sweep(store: Engine, targets: list[SweepTarget], minutes: int, broken: int) -> None:
    states: States = {t.device_id: (True, True, []) for t in targets}
    for target in targets[:broken]:
        states[target.device_id] = (False, False, ["unreachable"])
    run_sweep(store, "", targets, TableProber(states, T0 + timedelta(minutes=minutes)))


def _view(store: Engine, clock: Clock | None = None) -> EstateView:
    return EstateView(store, load_divisions(), load_boundaries(), ttl_s=15,
                      clock=clock or time.monotonic)


def _picture(frames: Frames) -> tuple[list[tuple[object, ...]], ...]:
    daily = frames.daily.sort(pl.all()).rows()
    states = frames.cameras.select("device_id", "state").rows()
    orders = frames.orders.rows()
    return daily, states, orders


def test_a_refresh_adds_up_to_what_a_fresh_build_finds(store: Engine, tmp_path: Path) -> None:
    targets = _estate(store, tmp_path)
    _sweep(store, targets, 0, broken=1)
    view = _view(store)
    before = view.frames()
    _sweep(store, targets, 45, broken=3)
    view.invalidate()
    after = view.frames()
    assert after is not before
    assert _picture(after) == _picture(_view(store).frames())
    assert after.daily["probes"].sum() == 2 * len(targets)
    assert after.cameras["state"].to_list().count(2) == 3  # offline


def test_requests_keep_the_old_frames_while_the_view_refreshes(store: Engine,
                                                                tmp_path: Path) -> None:
    targets = _estate(store, tmp_path)
    _sweep(store, targets, 0, broken=0)
    clock = Clock()
    view = _view(store, clock)
    old = view.frames()
    _sweep(store, targets, 45, broken=2)
    clock.now = 60.0  # past the TTL: this call starts a refresh and does not wait for it
    assert view.frames() is old
    deadline = time.monotonic() + 30
    while (new := view.frames()) is old:
        assert time.monotonic() < deadline, "the background refresh never landed"
        time.sleep(0.05)
    assert new.cameras["state"].to_list().count(2) == 2


def test_an_unchanged_store_keeps_its_frames_and_answers(store: Engine, tmp_path: Path) -> None:
    targets = _estate(store, tmp_path)
    _sweep(store, targets, 0, broken=1)
    view = _view(store)
    frames = view.frames()
    frames.remembered("question", lambda: 42)
    view.invalidate()
    assert view.frames() is frames
    assert frames.remembered("question", lambda: 0) == 42


def test_a_new_import_reaches_the_catalog_frames(store: Engine, tmp_path: Path) -> None:
    _estate(store, tmp_path, cameras=3)
    view = _view(store)
    assert view.frames().cameras.height == 3
    _estate(store, tmp_path, cameras=5)
    view.invalidate()
    assert view.frames().cameras.height == 5
