"""Writing catalog-shaped tables to files a clerk opens in Excel, and to GeoJSON for maps.

Two Excel hazards are handled here for every table we write (exports, rejects, audit reports):
- a cell starting with ``= + - @`` is a formula to Excel: a catalog row saying
  ``=cmd|' /C calc'!A0`` must stay text. CSV cells get a leading apostrophe; XLSX cells are
  written as typed strings, never formulas.
- a 20-digit device ID becomes ``4.50103E+19`` and loses digits: in CSV, code columns get a
  leading tab (the long-standing practice for ID numbers in Chinese exports), which Excel shows
  as text and our importer strips.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import polars as pl

from vidgov.catalog import gb18030
from vidgov.catalog.fields import FIELD_BY_NAME, FIELDS, Kind

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


class Encoding(StrEnum):
    UTF8_BOM = "utf-8-sig"  # what Excel needs to show Chinese from a CSV
    UTF8 = "utf-8"
    GBK = "gbk"  # written as GB18030, the superset, so no character is lost


class Headers(StrEnum):
    ZH = "zh"
    EN = "en"
    CODE = "code"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    GEOJSON = "geojson"


def header_for(name: str, headers: Headers) -> str:
    field = FIELD_BY_NAME.get(name)
    if field is None or headers is Headers.CODE:
        return name
    return field.zh if headers is Headers.ZH else field.en


def neutralise(column: pl.Expr) -> pl.Expr:
    """Prefix an apostrophe to text that a spreadsheet would run as a formula."""
    dangerous = pl.any_horizontal(column.str.starts_with(s) for s in FORMULA_STARTS)
    return pl.when(dangerous).then(pl.lit("'") + column).otherwise(column)


def _csv_ready(frame: pl.DataFrame, code_columns: Sequence[str]) -> pl.DataFrame:
    exprs = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if name in code_columns:
            exprs.append((pl.lit("\t") + column.cast(pl.String)).alias(name))
        elif dtype == pl.String:
            exprs.append(neutralise(column).alias(name))
        else:
            exprs.append(column)
    return frame.select(exprs)


def code_columns(frame: pl.DataFrame) -> list[str]:
    return [f.name for f in FIELDS if f.kind is Kind.CODE and f.name in frame.columns]


def write_csv(
    frame: pl.DataFrame, path: Path, encoding: Encoding = Encoding.UTF8_BOM,
    text_columns: Sequence[str] = (), excel_safe: bool = True,
) -> None:
    """CSV with CRLF line ends; ``text_columns`` are kept as text in Excel (tab prefix).

    ``excel_safe=False`` writes the cells exactly as they are (the synthetic estate, which
    must contain the raw mistakes clerks make).
    """
    ready = _csv_ready(frame, text_columns) if excel_safe else frame
    text = ready.write_csv(line_terminator="\r\n", quote_style="necessary")
    data = gb18030.encode(text) if encoding is Encoding.GBK else text.encode(encoding.value)
    path.write_bytes(data)


def write_xlsx(sheets: Mapping[str, pl.DataFrame], path: Path) -> None:
    """A workbook, one sheet per frame, every text cell a string (never a formula or URL)."""
    import xlsxwriter

    options = {"strings_to_formulas": False, "strings_to_urls": False,
               "strings_to_numbers": False, "constant_memory": True}
    workbook = xlsxwriter.Workbook(str(path), options)
    try:
        bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        for sheet_name, frame in sheets.items():
            sheet = workbook.add_worksheet(sheet_name[:31])
            for col, name in enumerate(frame.columns):
                sheet.write_string(0, col, name, bold)
                sheet.set_column(col, col, _width(frame, name))
            sheet.freeze_panes(1, 0)
            for row_index, row in enumerate(frame.iter_rows(), start=1):
                for col, value in enumerate(row):
                    _write_cell(sheet, row_index, col, value)
            if frame.height:
                sheet.autofilter(0, 0, frame.height, max(frame.width - 1, 0))
    finally:
        workbook.close()


def _write_cell(sheet: Any, row: int, col: int, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value)
    else:
        sheet.write_string(row, col, str(value))


def _width(frame: pl.DataFrame, name: str) -> int:
    sample = frame.get_column(name).head(200).cast(pl.String).str.len_chars().max()
    longest = max(len(name) * 2, int(sample) if isinstance(sample, int) else 8)
    return min(max(longest + 2, 8), 60)


def write_geojson(frame: pl.DataFrame, path: Path) -> None:
    """A FeatureCollection; cameras without coordinates keep a null geometry, not dropped."""
    properties = [c for c in frame.columns if c not in ("longitude", "latitude")]
    features = []
    for row in frame.iter_rows(named=True):
        lon, lat = row["longitude"], row["latitude"]
        geometry = (
            {"type": "Point", "coordinates": [lon, lat]}
            if lon is not None and lat is not None else None
        )
        features.append({
            "type": "Feature",
            "id": row["device_id"],
            "geometry": geometry,
            "properties": {k: _jsonable(row[k]) for k in properties},
        })
    document = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


def _jsonable(value: object) -> object:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def rename_headers(frame: pl.DataFrame, headers: Headers) -> pl.DataFrame:
    return frame.rename({c: header_for(c, headers) for c in frame.columns})
