"""GB/T 2260 administrative divisions of Guangxi (codes 45xxxx), offline.

Why: every camera in the catalog carries an administrative code, and governance
rules need to know whether that code exists, which county and city it belongs
to and what it is called, without any network service. The table ships in
``data/guangxi_divisions.csv`` (built by ``scripts/build_reference.py`` from the
National Bureau of Statistics 2023 codes) and covers five levels:

=========  ============  =======================================
level      code digits   example
=========  ============  =======================================
region     6             450000 广西壮族自治区
city       6             450100 南宁市
county     6             450103 青秀区
township   9             450103001 新竹街道
village    12            450103001002 ...社区居委会
=========  ============  =======================================

Codes are strings. Lookups also accept the short and zero-padded spellings
found in catalogs (``"45"``, ``"4501"``, ``"450103000000"``, ``"450103001000"``);
see :func:`normalize_code`.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources

import polars as pl

__all__ = ["Division", "Divisions", "Level", "load_divisions", "normalize_code"]

_DATA_FILE = "guangxi_divisions.csv"
_SCHEMA = dict.fromkeys(("code", "name", "level", "parent_code"), pl.String)


class Level(StrEnum):
    """Depth of a division in the hierarchy, region (province) down to village."""

    REGION = "region"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"


@dataclass(frozen=True, slots=True)
class Division:
    """One administrative division; ``parent_code`` is ``None`` only for the region."""

    code: str
    name: str
    level: Level
    parent_code: str | None


def normalize_code(code: str) -> str:
    """Return the canonical spelling of an administrative code.

    Why: catalogs write the same division as 2/4/6-digit GB/T 2260 prefixes or
    as the statistical 12-digit form padded with zeros. Canonical codes are 6
    digits for region/city/county, 9 for townships and 12 for villages:
    ``"45"`` -> ``"450000"``, ``"4501"`` -> ``"450100"``,
    ``"450103000000"`` -> ``"450103"``, ``"450103001000"`` -> ``"450103001"``.
    Anything else (wrong length, non-digits) is returned stripped but unchanged,
    so it simply fails to match.
    """
    code = code.strip()
    if not code.isdigit():
        return code
    if len(code) in (2, 4):
        return code.ljust(6, "0")
    if len(code) == 12 and code.endswith("000"):
        code = code[:9]
    if len(code) == 9 and code.endswith("000"):
        code = code[:6]
    return code


class Divisions:
    """Immutable, indexed view of the division table (about 18,000 rows)."""

    def __init__(self, rows: list[Division]) -> None:
        """Index ``rows`` by code and by parent; rows must reference known parents."""
        self._by_code: dict[str, Division] = {d.code: d for d in rows}
        children: defaultdict[str, list[Division]] = defaultdict(list)
        for d in rows:
            if d.parent_code is not None:
                children[d.parent_code].append(d)
        self._children = {k: sorted(v, key=lambda d: d.code) for k, v in children.items()}
        self._frame: pl.DataFrame | None = None

    def __len__(self) -> int:
        """Number of divisions at all levels."""
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        """Whether ``code`` (any accepted spelling) names a known division."""
        return isinstance(code, str) and normalize_code(code) in self._by_code

    def get(self, code: str) -> Division | None:
        """The division named by ``code``, or ``None`` if unknown."""
        return self._by_code.get(normalize_code(code))

    def county_code(self, code: str) -> str | None:
        """6-digit county code of a county, township or village code.

        ``None`` for the region, cities and unknown codes.
        """
        d = self.get(code)
        if d is None or d.level in (Level.REGION, Level.CITY):
            return None
        return d.code[:6]

    def city_code(self, code: str) -> str | None:
        """6-digit city code (``4501`` -> ``"450100"``) of any division below the region.

        ``None`` for the region and unknown codes.
        """
        d = self.get(code)
        if d is None or d.level is Level.REGION:
            return None
        return d.code[:4] + "00"

    def full_name(self, code: str) -> str:
        """Names from the region down, concatenated: ``广西壮族自治区南宁市青秀区``.

        Raises ``KeyError`` for unknown codes.
        """
        d = self.get(code)
        if d is None:
            raise KeyError(code)
        names = [d.name]
        while d.parent_code is not None:
            d = self._by_code[d.parent_code]
            names.append(d.name)
        return "".join(reversed(names))

    def children(self, code: str) -> list[Division]:
        """Direct children sorted by code; empty for villages and unknown codes."""
        return list(self._children.get(normalize_code(code), ()))

    def of_level(self, level: Level) -> list[Division]:
        """All divisions of one level, sorted by code."""
        return sorted((d for d in self._by_code.values() if d.level is level), key=lambda d: d.code)

    def frame(self) -> pl.DataFrame:
        """The table as a DataFrame, one row per division, sorted by code.

        Columns (all ``String``): ``code, name, level, parent_code, city_code,
        county_code``; ``parent_code``/``city_code``/``county_code`` are null
        where they do not apply (see :meth:`city_code`, :meth:`county_code`).
        Built once and reused: polars frames are immutable to their users.
        """
        if self._frame is None:
            self._frame = self._build_frame()
        return self._frame

    def _build_frame(self) -> pl.DataFrame:
        """Build the DataFrame :meth:`frame` returns."""
        rows = sorted(self._by_code.values(), key=lambda d: d.code)
        frame = pl.DataFrame(
            {
                "code": [d.code for d in rows],
                "name": [d.name for d in rows],
                "level": [d.level.value for d in rows],
                "parent_code": [d.parent_code for d in rows],
            },
            schema=_SCHEMA,
        )
        level = pl.col("level")
        return frame.with_columns(
            city_code=pl.when(level != Level.REGION.value)
            .then(pl.col("code").str.slice(0, 4) + "00")
            .otherwise(None),
            county_code=pl.when(level.is_in(["county", "township", "village"]))
            .then(pl.col("code").str.slice(0, 6))
            .otherwise(None),
        )


@functools.cache
def load_divisions() -> Divisions:
    """Load the shipped table once (about 20 ms); later calls return the same object."""
    raw = (resources.files("vidgov.domain") / "data" / _DATA_FILE).read_bytes()
    frame = pl.read_csv(raw, schema=_SCHEMA)
    rows = [
        Division(code, name, Level(level), parent or None)
        for code, name, level, parent in frame.iter_rows()
    ]
    return Divisions(rows)
