"""The camera table seen as a polars frame: the shape bulk import, audit and export share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import polars as pl

from vidgov.catalog.fields import FIELDS, Kind
from vidgov.store.bulk import bulk_session

if TYPE_CHECKING:
    from sqlalchemy import Engine

_KIND_DTYPES: Final[dict[Kind, pl.DataType]] = {
    Kind.TEXT: pl.String(), Kind.CODE: pl.String(), Kind.FLOAT: pl.Float64(),
    Kind.COORDINATE: pl.Float64(), Kind.INT: pl.Int64(), Kind.DATE: pl.Date(),
}

#: Column -> polars type for every stored camera column.
CAMERA_SCHEMA: Final[dict[str, pl.DataType]] = {
    **{f.name: _KIND_DTYPES[f.kind] for f in FIELDS},
    "raw_values": pl.String(),
    "extra": pl.String(),
    "source": pl.String(),
    "source_line": pl.Int64(),
    "created_at": pl.String(),
    "updated_at": pl.String(),
}

#: What decides whether a re-imported row changed (provenance and timestamps do not).
COMPARED: Final[tuple[str, ...]] = (*(f.name for f in FIELDS), "raw_values", "extra")


def camera_columns() -> list[pl.Expr]:
    """The compared columns of a normalised frame, in store order."""
    return [pl.col(name) for name in COMPARED]


def read_cameras(engine: Engine, columns: tuple[str, ...] = COMPARED) -> pl.DataFrame:
    """The whole catalog (selected columns) as a frame, in device ID order."""
    with bulk_session(engine) as session:
        return session.read(
            f"SELECT {', '.join(columns)} FROM camera ORDER BY device_id",
            {name: CAMERA_SCHEMA[name] for name in columns},
        )
