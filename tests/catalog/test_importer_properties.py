"""Whatever a file holds, the importer answers with a clear error or rejects, never a
traceback, never a half-written store; and exports neutralise formula injection."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from vidgov.catalog.exporter import FORMULA_STARTS, write_csv
from vidgov.catalog.importer import import_catalog
from vidgov.catalog.store import read_cameras
from vidgov.errors import VidgovError
from vidgov.store.db import open_store

from .builders import csv_text, make_camera

GOOD = csv_text([make_camera(1), make_camera(2), make_camera(3)])

cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "NULL", "无",
                     "4.50103E+19", "108°21'59\"", "\"", "\"\"", ",", "\r\n"]),
    st.text(min_size=2100, max_size=2500, alphabet="广西南宁"),
)


@st.composite
def damaged_files(draw: st.DrawFn) -> bytes:
    base = GOOD.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030"])))
    kind = draw(st.sampled_from(["truncate", "junk", "splice", "cells", "mixed", "binary"]))
    if kind == "truncate":
        return base[: draw(st.integers(0, len(base)))]
    if kind == "junk":
        at = draw(st.integers(0, len(base)))
        return base[:at] + draw(st.binary(max_size=64)) + base[at:]
    if kind == "splice":
        other = GOOD.encode("gbk" if base.startswith(b"\xef") else "utf-8")
        at = draw(st.integers(0, len(base)))
        return base[:at] + other[at:]
    if kind == "mixed":
        lines = GOOD.splitlines()
        encodings = draw(st.lists(st.sampled_from(["utf-8", "gbk"]), min_size=len(lines),
                                  max_size=len(lines)))
        return b"".join((line + "\n").encode(e) for line, e in zip(lines, encodings,
                                                                     strict=True))
    if kind == "binary":
        return draw(st.binary(max_size=300))
    rows = draw(st.lists(st.lists(cell, min_size=1, max_size=20), min_size=1, max_size=4))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(GOOD.splitlines()[0].split(","))
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=damaged_files())
def test_damaged_files_never_crash_or_half_write(tmp_path_factory: object,
                                                 data: bytes) -> None:
    folder = Path(tmp_path_factory.mktemp("prop"))  # type: ignore[attr-defined]
    engine: Engine = open_store(f"sqlite:///{folder / 'v.db'}")
    first = folder / "first.csv"
    first.write_text(GOOD, encoding="utf-8")
    import_catalog(engine, [first])
    before = read_cameras(engine)
    damaged = folder / "damaged.csv"
    damaged.write_bytes(data)
    try:
        report = import_catalog(engine, [damaged])
    except VidgovError as error:
        assert "\n" not in str(error)
        assert read_cameras(engine).equals(before), "a failed import changed the store"
    else:
        after = read_cameras(engine)
        assert report.read == (report.inserted + report.updated + report.unchanged
                               + report.rejected)
        assert after.height == before.height + report.inserted
        for reject in report.rejects:
            assert reject.line >= 2
            assert reject.reason
    finally:
        engine.dispose()


@settings(max_examples=60, deadline=None)
@given(names=st.lists(cell, min_size=1, max_size=5))
def test_exported_csv_cells_never_start_a_formula(tmp_path_factory: object,
                                                  names: list[str]) -> None:
    path = Path(tmp_path_factory.mktemp("csv")) / "out.csv"  # type: ignore[attr-defined]
    write_csv(pl.DataFrame({"name": names}), path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    for (value,) in rows[1:]:
        assert not value.startswith(FORMULA_STARTS)
