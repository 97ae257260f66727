"""Reading the spreadsheets people really have into a table of strings with source lines.

Clerks send CSV in UTF-8 (with or without BOM) or GBK/GB18030, tab- or comma-separated, with a
title row above the header, and XLSX workbooks with several sheets. Everything here keeps the
link from each row back to the line (or sheet row) it came from, because every reject and every
finding must point the clerk at the place to fix.

The CSV fast path hands the bytes to polars (C speed); a file with quoted line breaks or rows
of the wrong width takes the exact path through Python's csv module.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import polars as pl

from vidgov.catalog.fields import match_header
from vidgov.errors import UnreadableCatalog

LINE = "__line"
HEADER_SEARCH_ROWS = 10
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


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


def read_catalog(path: Path) -> list[SourceTable]:
    """All catalog tables in ``path``; raises :class:`UnreadableCatalog` with a one-line reason."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UnreadableCatalog(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if not raw.strip():
        raise UnreadableCatalog(f"{path}: the file is empty")
    if raw.startswith(_ZIP_MAGIC) or raw.startswith(_OLE_MAGIC):
        return _read_workbook(path)
    return [_read_csv(path, decode_text(path.name, raw))]


# --- text decoding -----------------------------------------------------------------------


def decode_text(name: str, raw: bytes) -> str:
    """Decode a CSV whatever Chinese office software saved it as; refuse to guess wrong.

    UTF-8 is tried first (a GBK file is almost never valid UTF-8), then GB18030, the superset of
    GBK that Windows Excel writes. A file with UTF-8 lines and GBK lines mixed would come out
    half garbled either way, so it is refused with the first line of each kind.
    """
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                       (codecs.BOM_UTF16_BE, "utf-16-be")):
        if raw.startswith(bom):
            try:
                return _no_nul(name, raw[len(bom):].decode(codec))
            except UnicodeDecodeError as exc:
                raise UnreadableCatalog(
                    f"{name}: starts with a {codec} BOM but byte {exc.start + len(bom)} "
                    f"is not {codec}") from exc
    try:
        return _no_nul(name, raw.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    _refuse_mixed_encodings(name, raw)
    try:
        return _no_nul(name, raw.decode("gb18030"))
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise UnreadableCatalog(
            f"{name}: line {line} is neither UTF-8 nor GBK/GB18030 text (binary file?)") from exc


def _refuse_mixed_encodings(name: str, raw: bytes) -> None:
    lines = pl.Series(raw.decode("utf-8", errors="replace").split("\n"))
    non_ascii = lines.str.contains(r"[^\x00-\x7f]")
    broken = lines.str.contains("\ufffd", literal=True)
    utf8_rows = (non_ascii & ~broken).arg_true()
    if utf8_rows.len() and broken.any():
        first_utf8 = int(utf8_rows[0]) + 1
        first_other = int(broken.arg_true()[0]) + 1
        raise UnreadableCatalog(
            f"{name}: mixed encodings: line {first_utf8} is UTF-8 but line {first_other} is not; "
            "save the whole file in one encoding")


def _no_nul(name: str, text: str) -> str:
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise UnreadableCatalog(f"{name}: line {line} contains NUL bytes: not a text CSV")
    return text


# --- header ------------------------------------------------------------------------------


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


# --- CSV ---------------------------------------------------------------------------------


def _sniff_separator(text: str) -> str:
    head = text[: text.find("\n") if "\n" in text else len(text)]
    return "\t" if head.count("\t") > head.count(",") else ","


def _read_csv(path: Path, text: str) -> SourceTable:
    separator = _sniff_separator(text)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise UnreadableCatalog(f"{path.name}: the file is empty")
    head_rows = list(csv.reader(lines[:HEADER_SEARCH_ROWS], delimiter=separator))
    header_index, fields = find_header(path.name, head_rows)
    header = tuple(head_rows[header_index])
    table = _fast_csv(text, lines, header_index, len(header), separator)
    if table is None:
        table = _exact_csv(text, header_index, len(header), separator)
    frame, rejects = table
    return SourceTable(
        file=path.name, sheet="", header=header, fields=fields,
        unknown=_unknown_columns(header, fields), frame=frame, rejects=rejects)


def _fast_csv(
    text: str, lines: list[str], header_index: int, width: int, separator: str
) -> tuple[pl.DataFrame, list[StructuralReject]] | None:
    """Parse with polars when every row is one physical line; None sends us the exact way."""
    body = pl.Series(lines[header_index + 1:]).str.strip_suffix("\r")
    quoted = body.str.contains('"', literal=True)
    if quoted.any():
        # A quote may hide a separator or open a cell that spans lines: measure those rows
        # exactly, and give up on the fast path if any cell spans lines.
        quoted_widths = {}
        for index in quoted.arg_true().to_list():
            cells = next(csv.reader([body[index]], delimiter=separator), [])
            if body[index].count('"') % 2:
                return None
            quoted_widths[index] = len(cells)
    else:
        quoted_widths = {}
    widths = body.str.count_matches(separator, literal=True) + 1
    if quoted_widths:
        widths = widths.scatter(list(quoted_widths), list(quoted_widths.values()))
    blank = body.str.strip_chars() == ""
    bad = (widths != width) & ~blank
    rejects: list[StructuralReject] = []
    for index in bad.arg_true().to_list():
        cells = tuple(next(csv.reader([body[index]], delimiter=separator), []))
        if len(cells) > width and not any(c.strip() for c in cells[width:]):
            return None  # trailing empty cells from Excel: the exact path trims them
        rejects.append(StructuralReject(
            header_index + index + 2, "wrong_field_count",
            f"expected {width} cells, found {len(cells)}", cells))
    good_text = "\n".join(body.filter(~bad & ~blank).to_list())
    line_numbers = pl.int_range(header_index + 2, header_index + 2 + body.len(), eager=True)
    keep = line_numbers.filter(~bad & ~blank)
    if keep.len() == 0:
        return _empty_frame(width), rejects
    frame = pl.read_csv(
        io.StringIO(good_text), has_header=False, infer_schema=False, separator=separator,
        new_columns=[f"c{i}" for i in range(width)],
    )
    if frame.height != keep.len():
        return None
    return frame.insert_column(0, keep.alias(LINE).cast(pl.Int64)), rejects


def _exact_csv(
    text: str, header_index: int, width: int, separator: str
) -> tuple[pl.DataFrame, list[StructuralReject]]:
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    lines: list[int] = []
    rows: list[list[str]] = []
    rejects: list[StructuralReject] = []
    previous_line = 0
    try:
        for index, cells in enumerate(reader):
            line, previous_line = previous_line + 1, reader.line_num
            if index <= header_index or not any(c.strip() for c in cells):
                continue
            if len(cells) > width and not any(c.strip() for c in cells[width:]):
                cells = cells[:width]
            if len(cells) != width:
                rejects.append(StructuralReject(
                    line, "wrong_field_count", f"expected {width} cells, found {len(cells)}",
                    tuple(cells)))
                continue
            lines.append(line)
            rows.append(cells)
    except csv.Error as exc:
        raise UnreadableCatalog(f"line {reader.line_num}: not valid CSV: {exc}") from exc
    if not rows:
        return _empty_frame(width), rejects
    frame = pl.DataFrame(
        rows, schema=[(f"c{i}", pl.String) for i in range(width)], orient="row")
    return frame.insert_column(0, pl.Series(LINE, lines, dtype=pl.Int64)), rejects


def _empty_frame(width: int) -> pl.DataFrame:
    return pl.DataFrame(schema={LINE: pl.Int64, **{f"c{i}": pl.String for i in range(width)}})


def _unknown_columns(header: Sequence[str], fields: dict[str, int]) -> dict[int, str]:
    known = set(fields.values())
    return {i: (h.strip() or f"列{i + 1}") for i, h in enumerate(header) if i not in known}


# --- XLSX --------------------------------------------------------------------------------


def _read_workbook(path: Path) -> list[SourceTable]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for every broken workbook
        raise UnreadableCatalog(f"{path.name}: not a readable XLSX/XLS workbook: {exc}") from exc
    tables: list[SourceTable] = []
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
            continue  # a notes or lookup sheet; reported by the importer as skipped
        tables.append(_sheet_table(path.name, sheet_name, rows, header_index, fields))
    if not tables:
        raise UnreadableCatalog(
            f"{path.name}: no sheet has a recognisable catalog header (expected a device ID "
            "column such as 设备编码/国标编码/device_id and at least one more field)")
    return tables


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
        if body else _empty_frame(width).drop(LINE)
    )
    frame = frame.insert_column(0, pl.Series(LINE, lines, dtype=pl.Int64))
    return SourceTable(file, sheet, header, fields, _unknown_columns(header, fields), frame,
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
