"""Reading the spreadsheets people really have into a table of strings with source lines.

Clerks send CSV in UTF-8 (with or without BOM) or GBK/GB18030, tab- or comma-separated, with a
title row above the header, and XLSX workbooks with several sheets. Everything here keeps the
link from each row back to the line (or sheet row) it came from, because every reject and every
finding must point the clerk at the place to fix.

The CSV fast path hands the bytes to polars (C speed); a file with quoted line breaks or rows
of the wrong width takes the exact path through Python's csv module.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from vidgov.catalog.decoding import bom_length, chunk_encoding, utf8_chunk, utf8_text
from vidgov.catalog.sources import (
    HEADER_SEARCH_ROWS,
    LINE,
    CatalogFile,
    SourceTable,
    StructuralReject,
    empty_frame,
    find_header,
    unknown_columns,
)
from vidgov.catalog.workbook import read_workbook
from vidgov.errors import UnreadableCatalog

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


class WholeFileNeeded(Exception):
    """A chunk of a CSV is not one clean line per row (a quoted line break, a bad byte…).

    Only the whole-file reading knows the right line numbers and the exact error message, so
    the caller starts again without chunks.
    """


def read_catalog(path: Path) -> CatalogFile:
    """All catalog tables in ``path``; raises :class:`UnreadableCatalog` with a one-line reason."""
    raw = _read_bytes(path)
    if raw.startswith(_ZIP_MAGIC) or raw.startswith(_OLE_MAGIC):
        return read_workbook(path)
    return CatalogFile([_read_csv(path, utf8_text(path.name, raw))])


def stream_catalog(path: Path, chunk_bytes: int | None) -> Iterator[CatalogFile]:
    """The tables of ``path`` as :func:`read_catalog` reads them, a CSV in line-aligned chunks.

    Each chunk of about ``chunk_bytes`` comes as a table of its own, with the file's header
    and the rows' real line numbers, so decoding and parsing the next chunk can overlap
    the work on this one. Raises :class:`WholeFileNeeded` (possibly after some chunks) for
    a file whose chunks cannot be read on their own; ``chunk_bytes=None`` never does.
    """
    raw = _read_bytes(path)
    if raw.startswith(_ZIP_MAGIC) or raw.startswith(_OLE_MAGIC):
        yield read_workbook(path)
        return
    try:
        encoding = (chunk_encoding(path.name, raw, chunk_bytes) if chunk_bytes is not None
                    else None)
    except UnreadableCatalog as exc:
        raise WholeFileNeeded from exc
    if chunk_bytes is None or encoding is None or len(raw) <= chunk_bytes:
        yield CatalogFile([_read_csv(path, utf8_text(path.name, raw))])
        return
    try:
        yield from _csv_chunks(path, raw, encoding, chunk_bytes)
    except (UnreadableCatalog, UnicodeDecodeError, csv.Error) as exc:
        raise WholeFileNeeded from exc


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UnreadableCatalog(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if not raw or raw.isspace():  # not strip(): that copies the whole file
        raise UnreadableCatalog(f"{path}: the file is empty")
    return raw


def _csv_chunks(
    path: Path, raw: bytes, encoding: str, chunk_bytes: int
) -> Iterator[CatalogFile]:
    first_line, begin = 1, bom_length(raw)
    start = begin
    header: tuple[str, ...] = ()
    fields: dict[str, int] = {}
    separator, skip = ",", 0
    head_end = _lines_end(raw, HEADER_SEARCH_ROWS)
    while start < len(raw):
        end = _chunk_end(raw, start, chunk_bytes, head_end, first=start == begin)
        chunk = raw[start:end]
        data = utf8_chunk(path.name, chunk, encoding)
        if start == begin:
            head = _head_lines(data, HEADER_SEARCH_ROWS)
            separator = _sniff_separator(head)
            head_rows = list(csv.reader(io.StringIO(head, newline=""), delimiter=separator))
            header_index, fields = find_header(path.name, head_rows)
            header, skip = tuple(head_rows[header_index]), header_index + 1
        table = _fast_csv(data, skip, len(header), separator, first_line)
        if table is None:
            raise WholeFileNeeded
        frame, rejects = table
        yield CatalogFile([SourceTable(
            file=path.name, sheet="", header=header, fields=fields,
            unknown=unknown_columns(header, fields), frame=frame, rejects=rejects)])
        first_line += chunk.count(b"\n")
        start, skip = end, 0


def _chunk_end(raw: bytes, start: int, chunk_bytes: int, head_end: int, first: bool) -> int:
    """Where the chunk from ``start`` ends: just after a newline about ``chunk_bytes`` on.

    The first and the last chunk are a quarter of that: the writer can start as soon as the
    first is read, and only the last is written after reading ends. The first chunk holds
    at least the lines the header is looked for in.
    """
    quarter, left = chunk_bytes // 4, len(raw) - start
    size = chunk_bytes
    if first:
        size = max(quarter, head_end - start)
    elif left <= 2 * quarter:
        size = left
    elif left <= chunk_bytes + quarter:
        size = left - quarter
    cut = raw.find(b"\n", start + size - 1)
    return len(raw) if cut < 0 else cut + 1


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
    table = _fast_csv(data, header_index + 1, len(header), separator)
    if table is None:
        try:
            table = _exact_csv(data.decode("utf-8"), header_index, len(header), separator)
        except UnreadableCatalog as exc:
            raise UnreadableCatalog(f"{path.name}: {exc}") from exc
    frame, rejects = table
    return SourceTable(
        file=path.name, sheet="", header=header, fields=fields,
        unknown=unknown_columns(header, fields), frame=frame, rejects=rejects)


def _head_lines(data: bytes, count: int) -> str:
    return data[:_lines_end(data, count)].decode("utf-8", errors="replace")


def _lines_end(data: bytes, count: int) -> int:
    """The offset just after the first ``count`` lines."""
    end = 0
    for _ in range(count):
        found = data.find(b"\n", end)
        if found < 0:
            return len(data)
        end = found + 1
    return end


def _fast_csv(
    data: bytes, skip: int, width: int, separator: str, first_line: int = 1
) -> tuple[pl.DataFrame, list[StructuralReject]] | None:
    """Split lines into cells in polars; None sends us the exact way.

    ``skip`` lines (title and header) are not data; ``first_line`` is the number of the
    first line of ``data`` in its file.

    Every line is one row here, so a row's line number is its position: blank lines are kept
    (then dropped), short and long rows are seen by their cell count. Lines holding a quote
    are parsed by the csv module, one line each; a quote left open means a cell spans lines,
    and then only the exact path knows the line numbers.
    """
    if b"\x1f" in data:
        return None
    expected = data.count(b"\n") + (0 if data.endswith(b"\n") else 1) - skip
    lines = pl.read_csv(
        data, has_header=False, infer_schema=False, separator="\x1f", quote_char=None,
        skip_lines=skip, empty_string_is_null=False, new_columns=["text"],
        raise_if_empty=False,
    )
    if expected <= 0 or lines.width == 0:
        return (empty_frame(width), []) if expected <= 0 else None
    if lines.height != expected:
        return None
    numbered = lines.select(
        pl.int_range(first_line + skip, first_line + skip + lines.height, dtype=pl.Int64)
        .alias(LINE),
        pl.col("text").str.strip_suffix("\r"),
    ).filter(pl.col("text").str.strip_chars() != "")
    quoted = numbered["text"].str.contains('"', literal=True)
    plain = _split_plain(numbered.filter(~quoted), width, separator)
    exact = _split_quoted(numbered.filter(quoted), width, separator)
    if exact is None:
        return None
    cells = plain.merge_sorted(exact, key=LINE)  # both in line order
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
        return empty_frame(width), rejects
    frame = pl.DataFrame(
        rows, schema=[(f"c{i}", pl.String) for i in range(width)], orient="row")
    return frame.insert_column(0, pl.Series(LINE, lines, dtype=pl.Int64)), rejects


