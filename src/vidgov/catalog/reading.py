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
from concurrent.futures import ThreadPoolExecutor
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


@dataclass(frozen=True)
class CatalogFile:
    """The catalog tables of one file, and the sheets that hold none (named so the clerk
    knows they were not imported: a notes sheet, or a catalog whose header we cannot read)."""

    tables: list[SourceTable]
    skipped_sheets: list[str] = field(default_factory=list)


def read_catalog(path: Path) -> CatalogFile:
    """All catalog tables in ``path``; raises :class:`UnreadableCatalog` with a one-line reason."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UnreadableCatalog(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if not raw.strip():
        raise UnreadableCatalog(f"{path}: the file is empty")
    if raw.startswith(_ZIP_MAGIC) or raw.startswith(_OLE_MAGIC):
        return _read_workbook(path)
    return CatalogFile([_read_csv(path, utf8_text(path.name, raw))])


# --- text decoding -----------------------------------------------------------------------


def utf8_text(name: str, raw: bytes) -> bytes:
    """The CSV as UTF-8 bytes, whatever Chinese office software saved it as; never a guess.

    UTF-8 is tried first (a GBK file is almost never valid UTF-8), then GB18030, the superset
    of GBK that Windows Excel writes. A file with UTF-8 lines and GBK lines mixed would come
    out half garbled either way, so it is refused with the first line of each kind.
    """
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                       (codecs.BOM_UTF16_BE, "utf-16-be")):
        if raw.startswith(bom):
            try:
                text = raw[len(bom):].decode(codec)
            except UnicodeDecodeError as exc:
                raise UnreadableCatalog(
                    f"{name}: starts with a {codec} BOM but line "
                    f"{_line_at(raw, exc.start + len(bom))} is not {codec}") from exc
            return _no_nul(name, text.encode("utf-8"))
    _no_nul(name, raw)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        _refuse_utf8_then_other(name, raw, exc.start)
    else:
        return raw
    # The mixed-encoding check runs in polars, which releases the GIL, so it overlaps the
    # GB18030 decode (Python's codec) on a second core.
    with ThreadPoolExecutor(max_workers=1) as pool:
        check = pool.submit(_refuse_other_then_utf8, name, raw)
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError as exc:
            check.result()
            raise UnreadableCatalog(
                f"{name}: line {_line_at(raw, exc.start)} is neither UTF-8 nor GBK/GB18030 "
                "text (a binary file?)") from exc
        check.result()
    return text.encode("utf-8")


def _line_at(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _refuse_utf8_then_other(name: str, raw: bytes, bad: int) -> None:
    """UTF-8 Chinese before the first byte that is not UTF-8: two encodings in one file."""
    prefix = raw[:bad].decode("utf-8")
    if sum(1 for ch in prefix if "\u4e00" <= ch <= "\u9fff") >= 2:
        first = next(i for i, ch in enumerate(prefix) if not ch.isascii())
        raise UnreadableCatalog(
            f"{name}: mixed encodings: line {prefix.count(chr(10), 0, first) + 1} is UTF-8 but "
            f"line {_line_at(raw, bad)} is not; save the whole file in one encoding")


def _refuse_other_then_utf8(name: str, raw: bytes) -> None:
    """A UTF-8 line (Chinese, no invalid byte) in a file that is otherwise not UTF-8."""
    lines = pl.read_csv(
        raw.replace(b"\x1f", b" "), has_header=False, separator="\x1f", quote_char=None,
        encoding="utf8-lossy",
        new_columns=["line"], infer_schema=False, truncate_ragged_lines=True,
    )["line"]
    clean_chinese = lines.str.contains(r"[\u4e00-\u9fff]") & ~lines.str.contains(
        "\ufffd", literal=True)
    if clean_chinese.any():
        other = lines.str.contains("\ufffd", literal=True).arg_true()
        raise UnreadableCatalog(
            f"{name}: mixed encodings: line {int(clean_chinese.arg_true()[0]) + 1} is UTF-8 but "
            f"line {int(other[0]) + 1} is not; save the whole file in one encoding")


def _no_nul(name: str, data: bytes) -> bytes:
    position = data.find(b"\x00")
    if position >= 0:
        raise UnreadableCatalog(
            f"{name}: line {_line_at(data, position)} contains NUL bytes: not a text CSV")
    return data


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


def _sniff_separator(head: str) -> str:
    first = head.split("\n", 1)[0]
    return "\t" if first.count("\t") > first.count(",") else ","


def _read_csv(path: Path, data: bytes) -> SourceTable:
    head = _head_lines(data, HEADER_SEARCH_ROWS)
    separator = _sniff_separator(head)
    try:
        head_rows = list(csv.reader(io.StringIO(head, newline=""), delimiter=separator))
    except csv.Error as exc:
        raise UnreadableCatalog(f"{path.name}: not a CSV file: {exc}") from exc
    header_index, fields = find_header(path.name, head_rows)
    header = tuple(head_rows[header_index])
    table = _fast_csv(data, header_index, len(header), separator)
    if table is None:
        try:
            table = _exact_csv(data.decode("utf-8"), header_index, len(header), separator)
        except UnreadableCatalog as exc:
            raise UnreadableCatalog(f"{path.name}: {exc}") from exc
    frame, rejects = table
    return SourceTable(
        file=path.name, sheet="", header=header, fields=fields,
        unknown=_unknown_columns(header, fields), frame=frame, rejects=rejects)


def _head_lines(data: bytes, count: int) -> str:
    end = 0
    for _ in range(count):
        found = data.find(b"\n", end)
        if found < 0:
            end = len(data)
            break
        end = found + 1
    return data[:end].decode("utf-8", errors="replace")


def _fast_csv(
    data: bytes, header_index: int, width: int, separator: str
) -> tuple[pl.DataFrame, list[StructuralReject]] | None:
    """Split lines into cells in polars; None sends us the exact way.

    Every line is one row here, so a row's line number is its position: blank lines are kept
    (then dropped), short and long rows are seen by their cell count. Lines holding a quote
    are parsed by the csv module, one line each; a quote left open means a cell spans lines,
    and then only the exact path knows the line numbers.
    """
    if b"\x1f" in data:
        return None
    expected = data.count(b"\n") + (0 if data.endswith(b"\n") else 1) - header_index - 1
    lines = pl.read_csv(
        data, has_header=False, infer_schema=False, separator="\x1f", quote_char=None,
        skip_lines=header_index + 1, empty_string_is_null=False, new_columns=["text"],
        raise_if_empty=False,
    )
    if expected <= 0 or lines.width == 0:
        return (_empty_frame(width), []) if expected <= 0 else None
    if lines.height != expected:
        return None
    numbered = lines.select(
        pl.int_range(header_index + 2, header_index + 2 + lines.height, dtype=pl.Int64)
        .alias(LINE),
        pl.col("text").str.strip_suffix("\r"),
    ).filter(pl.col("text").str.strip_chars() != "")
    quoted = numbered["text"].str.contains('"', literal=True)
    plain = _split_plain(numbered.filter(~quoted), width, separator)
    exact = _split_quoted(numbered.filter(quoted), width, separator)
    if exact is None:
        return None
    cells = pl.concat([plain, exact], how="vertical").sort(LINE)
    return _check_width(cells, width)


def _split_plain(lines: pl.DataFrame, width: int, separator: str) -> pl.DataFrame:
    text = pl.col("text")
    parts = text.str.splitn(separator, width + 1).struct.rename_fields(
        [f"c{i}" for i in range(width)] + ["__beyond"])
    return lines.select(
        LINE,
        (text.str.count_matches(separator, literal=True) + 1).cast(pl.UInt32).alias("__width"),
        parts.alias("__parts"),
    ).unnest("__parts")


def _split_quoted(lines: pl.DataFrame, width: int, separator: str) -> pl.DataFrame | None:
    texts = lines["text"].to_list()
    if any(text.count('"') % 2 for text in texts):
        return None  # a quoted cell continues on the next line
    rows: list[list[object]] = []
    parsed = csv.reader(texts, delimiter=separator)
    try:
        for line, cells in zip(lines[LINE].to_list(), parsed, strict=True):
            padded = (cells + [None] * width)[:width]
            rows.append([line, len(cells), *padded, separator.join(cells[width:])])
    except (csv.Error, ValueError):
        return None  # the exact path reports it with its line
    schema = {LINE: pl.Int64, "__width": pl.UInt32, **{f"c{i}": pl.String for i in range(width)},
              "__beyond": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _check_width(
    cells: pl.DataFrame, width: int
) -> tuple[pl.DataFrame, list[StructuralReject]]:
    """Rows with cells missing, or extra cells that hold something, are rejected."""
    extra_empty = pl.col("__beyond").str.strip_chars() == ""
    wrong = (pl.col("__width") < width) | ((pl.col("__width") > width) & ~extra_empty)
    flagged = cells.with_columns(wrong.alias("__wrong"))
    rejects = [
        StructuralReject(
            row[LINE], "wrong_field_count",
            f"expected {width} cells, found {row['__width']}",
            (*(str(row[f"c{i}"]) for i in range(width) if row[f"c{i}"] is not None),
             *([row["__beyond"]] if row["__beyond"] else [])))
        for row in flagged.filter(pl.col("__wrong")).iter_rows(named=True)
    ]
    kept = flagged.filter(~pl.col("__wrong")).drop("__width", "__beyond", "__wrong")
    return kept, rejects


def _exact_csv(
    text: str, header_index: int, width: int, separator: str
) -> tuple[pl.DataFrame, list[StructuralReject]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    lines: list[int] = []
    rows: list[list[str]] = []
    rejects: list[StructuralReject] = []
    previous_line = 0
    try:
        for index, cells in enumerate(reader):
            line, previous_line = previous_line + 1, reader.line_num
            if index <= header_index or not any(c.strip() for c in cells):
                continue
            trailing_empty = not any(c.strip() for c in cells[width:])
            if len(cells) < width or not trailing_empty:
                rejects.append(StructuralReject(
                    line, "wrong_field_count", f"expected {width} cells, found {len(cells)}",
                    tuple(cells)))
                continue
            lines.append(line)
            rows.append(cells[:width])
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


def _read_workbook(path: Path) -> CatalogFile:
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
