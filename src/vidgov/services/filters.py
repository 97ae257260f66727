"""Filters people put on lists and charts: a place (city, county, code), a department, a unit.

One value, two renderings: a SQL condition on the camera table for paged queries, and a
polars expression for the cockpit's frames, so a list and a chart of the same filter agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import ColumnElement, and_, or_, true

from vidgov.catalog.models import Camera
from vidgov.domain.divisions import Divisions, Level, normalize_code
from vidgov.errors import InvalidInput
from vidgov.sharing.policy import prefix_range, scope_prefix


@dataclass(frozen=True)
class PlaceFilter:
    """Cameras under any of ``prefixes`` (None: anywhere) of a department and unit."""

    prefixes: tuple[str, ...] | None = None
    department: str | None = None
    maintenance_unit: str | None = None

    def camera_condition(self) -> ColumnElement[bool]:
        condition: ColumnElement[bool] = true()
        if self.prefixes is not None:
            condition = or_(*(prefix_range(Camera.admin_code, p) for p in self.prefixes))
        if self.department is not None:
            condition = and_(condition, Camera.department == self.department)
        if self.maintenance_unit is not None:
            condition = and_(condition, Camera.maintenance_unit == self.maintenance_unit)
        return condition

    def frame_condition(self) -> pl.Expr:
        condition = pl.lit(True)
        if self.prefixes is not None:
            condition = pl.lit(False)
            for prefix in self.prefixes:
                condition = condition | pl.col("admin_code").str.starts_with(prefix).fill_null(
                    False)
        if self.department is not None:
            condition = condition & (pl.col("department") == self.department).fill_null(False)
        if self.maintenance_unit is not None:
            condition = condition & (pl.col("maintenance_unit") == self.maintenance_unit
                                     ).fill_null(False)
        return condition


def place_filter(divisions: Divisions, city: str | None = None, county: str | None = None,
                 admin_code: str | None = None, department: str | None = None,
                 maintenance_unit: str | None = None) -> PlaceFilter:
    """Resolve names and codes; the narrowest place given wins. Unknown places are refused."""
    prefixes: tuple[str, ...] | None = None
    for value, level in ((city, Level.CITY), (county, Level.COUNTY), (admin_code, None)):
        if value:
            prefixes = _prefixes(divisions, value.strip(), level)
    return PlaceFilter(prefixes, department or None, maintenance_unit or None)


def _prefixes(divisions: Divisions, value: str, level: Level | None) -> tuple[str, ...]:
    if value.isdigit():
        division = divisions.get(normalize_code(value))
        if division is None or (level is not None and division.level is not level):
            raise InvalidInput(f"{value!r} is not a Guangxi {(level or 'division').lower()} code")
        prefix = scope_prefix(division.code, divisions)
        return ("",) if prefix is None else (prefix,)
    levels = [level] if level is not None else [Level.CITY, Level.COUNTY]
    matches = [d for lv in levels for d in divisions.of_level(lv) if d.name == value]
    if not matches:
        raise InvalidInput(f"{value!r} is not the name of a Guangxi {level or 'city or county'}")
    return tuple(p for d in matches if (p := scope_prefix(d.code, divisions)) is not None)
