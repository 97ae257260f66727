"""Putting a simulated fleet into the catalog, and saying what a sweep of it must find."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from vidgov.catalog.exporter import Encoding, write_csv
from vidgov.catalog.findings import FindingCode
from vidgov.catalog.importer import import_catalog
from vidgov.simulate.estate import synthesize
from vidgov.simulate.fleet import PICTURE_CONDITIONS, Condition, FleetCamera

#: The picture conditions whose diagnosis blocks use (see ``services.sweeps.BLOCKING``).
UNPLAYABLE_PICTURES: frozenset[Condition] = frozenset(
    {Condition.BLACK, Condition.FROZEN, Condition.OCCLUDED})

#: Conditions a probe cannot reach at the protocol level.
OFFLINE: frozenset[Condition] = frozenset({Condition.PORT_CLOSED, Condition.HANG})


def expected_state(
    condition: Condition, blocking: Iterable[Condition] = UNPLAYABLE_PICTURES
) -> tuple[bool, bool]:
    """(online, playable) a correct sweep reports for a camera in ``condition``.

    ``blocking``: picture conditions whose diagnosis makes a camera unplayable.
    """
    online = condition not in OFFLINE
    shows_picture = condition in PICTURE_CONDITIONS or condition is Condition.SCENE
    playable = shows_picture and condition not in set(blocking)
    return online, playable


def register_fleet(
    engine: Engine, cameras: list[FleetCamera], seed: int = 1,
    blocking: Iterable[Condition] = UNPLAYABLE_PICTURES,
) -> pl.DataFrame:
    """Catalog records for the fleet (a clean synthetic estate pointing at its mounts) and the
    manifest: device_id, stream_url, condition, expected online and playable."""
    estate = synthesize(len(cameras), seed, dict.fromkeys(FindingCode, 0.0))
    records = estate.records.with_columns(
        pl.Series("stream_url", [c.url for c in cameras], dtype=pl.String),
        pl.lit(None, dtype=pl.String).alias("sub_stream_url"),
    )
    with tempfile.TemporaryDirectory(prefix="vidgov-fleet-") as folder:
        path = Path(folder) / "fleet.csv"
        write_csv(records, path, Encoding.UTF8, excel_safe=False)
        import_catalog(engine, [path])
    states = [expected_state(c.condition, blocking) for c in cameras]
    return pl.DataFrame({
        "device_id": records["device_id"],
        "stream_url": [c.url for c in cameras],
        "condition": [c.condition.value for c in cameras],
        "online": [s[0] for s in states],
        "playable": [s[1] for s in states],
    })
