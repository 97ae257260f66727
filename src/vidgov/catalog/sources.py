"""What a catalog file is made of once read: tables of text cells tied to their source lines.

Every reject and every finding must point the clerk at the place to fix, so each row keeps the
line (or sheet row) it came from from here on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from vidgov.catalog.fields import match_header
from vidgov.errors import UnreadableCatalog

LINE = "__line"
HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True, slots=True)
class StructuralReject:
    """A row that cannot be lined up with the header at all."""

    line: int
    reason: str
    detail: str
    cells: tuple[str, ...]


@dataclass(frozen=True)
class SourceTable:
    """One sheet (or CSV file) of a catalog: header mapped to fields, cells still text.

    ``frame`` has the column ``__line`` (1-based line or sheet row) and one String column per
    source column, named by its position (``c0``, ``c1``…); ``fields`` maps a field name to the
    position that holds it, ``unknown`` the positions we do not recognise to their headers.
    """

    file: str
    sheet: str
    header: tuple[str, ...]
    fields: dict[str, int]
    unknown: dict[int, str]
    frame: pl.DataFrame
    rejects: list[StructuralReject] = field(default_factory=list)


@dataclass(frozen=True)
class CatalogFile:
    """The catalog tables of one file, and the sheets that hold none (named so the clerk
    knows they were not imported: a notes sheet, or a catalog whose header we cannot read)."""

    tables: list[SourceTable]
    skipped_sheets: list[str] = field(default_factory=list)


def find_header(name: str, rows: Sequence[Sequence[str]]) -> tuple[int, dict[str, int]]:
    """The first row (0-based) among the first few that names the device ID and another field.

    Catalog exports often carry a title row ("广西视频监控资源目录") above the header.
    """
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        fields: dict[str, int] = {}
        for position, cell in enumerate(row):
            matched = match_header(cell or "")
            if matched and matched not in fields:
                fields[matched] = position
        if "device_id" in fields and len(fields) >= 2:
            return index, fields
    raise UnreadableCatalog(
        f"{name}: no recognisable catalog header in the first {HEADER_SEARCH_ROWS} rows "
        "(expected a device ID column such as 设备编码/国标编码/device_id and at least one more "
        "field such as 设备名称, 经度, 维护单位)")


def empty_frame(width: int) -> pl.DataFrame:
    return pl.DataFrame(schema={LINE: pl.Int64, **{f"c{i}": pl.String for i in range(width)}})


def unknown_columns(header: Sequence[str], fields: dict[str, int]) -> dict[int, str]:
    known = set(fields.values())
    return {i: (h.strip() or f"列{i + 1}") for i, h in enumerate(header) if i not in known}


