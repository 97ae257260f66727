"""The catalog audit's per-record rules written with pandera, for the benchmark's comparison.

Same rules, same reference data, written the way a team would with a general validation
library: one check per rule, failures collected lazily. Duplicate detection has no pandera
form and is left out, so the comparison favours pandera slightly.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandera.polars as pa
import polars as pl
from pandera.errors import SchemaErrors

from vidgov.catalog.audit import PHONE, STREAM_URL
from vidgov.domain.divisions import load_divisions
from vidgov.domain.geo import load_boundaries


def build_schema(today: date) -> pa.DataFrameSchema:
    divisions = load_divisions()
    boundaries = load_boundaries()
    codes = divisions.frame()["code"].to_list()

    def in_guangxi(data: pa.PolarsData) -> pl.LazyFrame:
        frame = data.lazyframe.collect()
        lon = frame["longitude"].fill_null(np.nan).to_numpy()
        lat = frame["latitude"].fill_null(np.nan).to_numpy()
        ok = boundaries.in_guangxi(lon, lat) | np.isnan(lon) | np.isnan(lat)
        return pl.LazyFrame({"check": ok})

    def inside_claim(data: pa.PolarsData) -> pl.LazyFrame:
        frame = data.lazyframe.collect()
        lon = frame["longitude"].fill_null(np.nan).to_numpy()
        lat = frame["latitude"].fill_null(np.nan).to_numpy()
        admin = frame["admin_code"].fill_null("").to_numpy()
        known = np.isin(admin, codes)
        ok = np.ones(len(frame), dtype=bool)
        test = known & ~np.isnan(lon) & ~np.isnan(lat)
        ok[test] = boundaries.inside(admin[test], lon[test], lat[test])
        return pl.LazyFrame({"check": ok})

    def centre_matches(data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            check=(pl.col("device_id").str.slice(0, 4) == pl.col("admin_code").str.slice(0, 4))
            .fill_null(True))

    text = pa.Column(pl.String, nullable=False)
    return pa.DataFrameSchema(
        {
            "device_id": pa.Column(pl.String, checks=[
                pa.Check.str_matches(r"^\d{10}13[12]\d{7}$")]),
            "name": text, "address": text, "department": text, "maintenance_unit": text,
            "admin_code": pa.Column(pl.String, nullable=False, checks=[pa.Check.isin(codes)]),
            "maintenance_contact": pa.Column(pl.String, nullable=False,
                                             checks=[pa.Check.str_contains(PHONE)]),
            "stream_url": pa.Column(pl.String, nullable=False,
                                    checks=[pa.Check.str_matches(STREAM_URL)]),
            "longitude": pa.Column(pl.Float64, nullable=False),
            "latitude": pa.Column(pl.Float64, nullable=False),
            "point_class": pa.Column(pl.Int64, nullable=False, checks=[pa.Check.isin([1, 2, 3])]),
            "secrecy": pa.Column(pl.Int64, nullable=True, checks=[pa.Check.isin([0, 1])]),
            "install_date": pa.Column(pl.Date, nullable=True,
                                      checks=[pa.Check.le(today)]),
        },
        checks=[pa.Check(in_guangxi), pa.Check(inside_claim), pa.Check(centre_matches)],
    )


def validate(schema: pa.DataFrameSchema, cameras: pl.DataFrame) -> int:
    """How many failure cases pandera reports."""
    try:
        schema.validate(cameras, lazy=True)
    except SchemaErrors as errors:
        return len(errors.failure_cases)
    return 0
