"""Reading XLSX/XLS workbooks: every sheet with a catalog header is a table.

Cells come back typed (Excel stores every number as a double); :func:`cell_text` turns them into
the text a clerk sees, so workbook rows normalise exactly like CSV rows.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time
from pathlib import Path

import polars as pl

from vidgov.catalog.sources import (
    LINE,
    CatalogFile,
    SourceTable,
    StructuralReject,
    empty_frame,
    find_header,
    unknown_columns,
)
from vidgov.errors import UnreadableCatalog


def read_workbook(path: Path) -> CatalogFile:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for every broken workbook
        raise UnreadableCatalog(f"{path.name}: not a readable XLSX/XLS workbook: {exc}") from exc
    tables: list[SourceTable] = []
    skipped: list[str] = []
    for sheet_name in workbook.sheet_names:
        try:
            values = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
        except Exception as exc:
            raise UnreadableCatalog(
                f"{path.name}: sheet {sheet_name!r} cannot be read: {exc}") from exc
        rows = [[cell_text(v) for v in row] for row in values]
        try:
            header_index, fields = find_header(f"{path.name} [{sheet_name}]", rows)
        except UnreadableCatalog:
            filled = sum(1 for row in rows if any(cell.strip() for cell in row))
            skipped.append(f"{path.name} [{sheet_name}] ({filled} non-empty rows)")
            continue
        tables.append(_sheet_table(path.name, sheet_name, rows, header_index, fields))
    if not tables:
        raise UnreadableCatalog(
            f"{path.name}: no sheet has a recognisable catalog header (expected a device ID "
            "column such as 设备编码/国标编码/device_id and at least one more field)")
    return CatalogFile(tables, skipped)


def _sheet_table(
    file: str, sheet: str, rows: list[list[str]], header_index: int, fields: dict[str, int]
) -> SourceTable:
    header = tuple(rows[header_index])
    width = len(header)
    lines: list[int] = []
    body: list[list[str]] = []
    rejects: list[StructuralReject] = []
    for index in range(header_index + 1, len(rows)):
        cells = rows[index]
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            rejects.append(StructuralReject(
                index + 1, "wrong_field_count",
                f"cells beyond the header's {width} columns", tuple(cells)))
            continue
        cells = (cells + [""] * width)[:width]
        lines.append(index + 1)
        body.append(cells)
    frame = (
        pl.DataFrame(body, schema=[(f"c{i}", pl.String) for i in range(width)], orient="row")
        if body else empty_frame(width).drop(LINE)
    )
    frame = frame.insert_column(0, pl.Series(LINE, lines, dtype=pl.Int64))
    return SourceTable(file, sheet, header, fields, unknown_columns(header, fields), frame,
                       rejects)


def cell_text(value: object) -> str:
    """A workbook cell as the text a clerk sees, so XLSX and CSV rows normalise alike.

    Integral floats (Excel stores every number as a double) lose their ``.0``, except for
    values beyond 15 digits, which Excel has already rounded: those keep the scientific form
    the audit recognises as a mangled ID.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value).upper() if "e" in repr(value) else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)
