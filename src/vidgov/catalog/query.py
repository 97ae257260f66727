"""``--where city=南宁市``: choosing part of the catalog the way operators name it.

Places are matched by name or code (``city=南宁市`` or ``city=450100``), units by exact name,
and ``admin_code=4501*`` by prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from vidgov.domain.divisions import Divisions
from vidgov.errors import InvalidInput

UNKNOWN: Final = "（未知）"
EMPTY: Final = "（未填）"
KEYS: Final[tuple[str, ...]] = (
    "city", "county", "department", "maintenance_unit", "admin_code", "device_id")


def with_places(frame: pl.DataFrame, divisions: Divisions) -> pl.DataFrame:
    """Add city_code/city and county_code/county from each camera's admin code."""
    lookup = divisions.frame().select("code", "city_code", "county_code")
    names = divisions.frame().select("code", "name")
    return (
        frame.join(lookup, left_on="admin_code", right_on="code", how="left")
        .join(names.rename({"code": "city_code", "name": "city"}), on="city_code", how="left")
        .join(names.rename({"code": "county_code", "name": "county"}), on="county_code",
              how="left")
        .with_columns(pl.col("city").fill_null(UNKNOWN), pl.col("county").fill_null(UNKNOWN))
    )


def parse_where(items: Sequence[str]) -> pl.Expr:
    """One expression for all ``key=value`` items (all must hold)."""
    condition = pl.lit(True)
    for item in items:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or key not in KEYS or not value:
            raise InvalidInput(
                f"--where {item!r}: expected KEY=VALUE with KEY one of {', '.join(KEYS)}")
        condition = condition & _condition(key, value)
    return condition


def _condition(key: str, value: str) -> pl.Expr:
    if key in ("city", "county"):
        return (pl.col(key) == value) | (pl.col(f"{key}_code") == value)
    if value.endswith("*"):
        return pl.col(key).str.starts_with(value[:-1]).fill_null(False)
    if key in ("department", "maintenance_unit") and value == EMPTY:
        return pl.col(key).is_null()
    return (pl.col(key) == value).fill_null(False)
