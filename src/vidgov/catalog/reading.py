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
        newlines = chunk.count(b"\n")  # the same in the UTF-8 text: a newline is one byte
        table = _fast_csv(data, skip, len(header), separator, first_line, newlines)
        if table is None:
            raise WholeFileNeeded
        frame, rejects = table
        yield CatalogFile([SourceTable(
            file=path.name, sheet="", header=header, fields=fields,
            unknown=unknown_columns(header, fields), frame=frame, rejects=rejects)])
        first_line += newlines
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
    data: bytes, skip: int, width: int, separator: str, first_line: int = 1,
    newlines: int | None = None,
) -> tuple[pl.DataFrame, list[StructuralReject]] | None:
    """Split lines into cells in polars; None sends us the exact way.

    ``skip`` lines (title and header) are not data; ``first_line`` is the number of the
    first line of ``data`` in its file; ``newlines``, its count of newlines if known.

    Every line is one row here, so a row's line number is its position: blank lines are kept
    (then dropped), short and long rows are seen by their cell count. Lines holding a quote
    are parsed by the csv module, one line each; a quote left open means a cell spans lines,
    and then only the exact path knows the line numbers.
    """
    if b"\x1f" in data:
        return None
    if newlines is None:
        newlines = data.count(b"\n")
    expected = newlines + (0 if data.endswith(b"\n") else 1) - skip
    lines = pl.read_csv(
        data, has_header=False, infer_schema=False, separator="\x1f", quote_char=None,
        skip_lines=skip, empty_string_is_null=False, new_columns=["text"],
        raise_if_empty=False,
    )
    if expected <= 0 or lines.width == 0:
        return (empty_frame(width), []) if expected <= 0 else None
    if lines.height != expected:
        return None
    numbered = lines.with_columns(
        pl.int_range(first_line + skip, first_line + skip + lines.height, dtype=pl.Int64)
        .alias(LINE))
    split = _native_split(data, numbered, skip, width, separator)
    if split is None:
        split = _line_split(numbered, width, separator)
    return None if split is None else _check_width(split, width)


def _native_split(
    data: bytes, numbered: pl.DataFrame, skip: int, width: int, separator: str
) -> pl.DataFrame | None:
    """The cells by polars' own CSV reader (no quoting, so each line is one row): less than
    half the work of cutting each line apart, and parallel. None when its rows do not line
    up with the lines, and then :func:`_line_split` does it all.

    Its cells are taken for the rows without a quote or a lone carriage return whose cells
    and separators make up the whole line (so exactly ``width`` cells: fewer would add
    separators, more would be cut off): nearly all. Quoted rows of ``width`` well-formed
    cells (each quote-holding cell quoted whole, as RFC 4180 writes them: where polars and
    the csv module agree) are read again by polars with quoting; the rest (short, long,
    odd quoting) are split as :func:`_line_split` splits them. Both kinds are put in place.
    """
    names = [f"c{i}" for i in range(width)]
    cells = _read_cells(data, names, separator, None, skip)
    if cells is None or cells.height != numbered.height:
        return None
    text = pl.col("text")
    # The line's length less a final "\r", without copying every line to strip it.
    length = text.str.len_bytes() - text.str.ends_with("\r").cast(pl.UInt32)
    joined = pl.sum_horizontal(pl.col(n).str.len_bytes() for n in names) + (width - 1)
    rows = pl.concat([numbered, cells], how="horizontal").with_columns(
        (text.str.strip_chars() != "").alias("__kept"),
        # polars reads a lone "\r" as a line end, which the lengths might not show.
        (~text.str.contains('"', literal=True) & ~text.str.contains("\r.")
         & (joined == length)).alias("__whole"),
    )
    if not rows.get_column("__kept").all():
        rows = rows.filter("__kept")
    split = rows.select(
        LINE, pl.lit(width, dtype=pl.UInt32).alias("__width"), *names,
        pl.lit(None, dtype=pl.String).alias("__beyond"))
    rest_at = (~rows.get_column("__whole")).arg_true()
    if not rest_at.len():
        return split
    field = rf'(?:"(?:[^"\r]|"")*"|[^"\r{separator}]*)'
    rest = rows.get_column("text").gather(rest_at).to_frame()
    regular = rest.select(
        text.str.contains('"', literal=True)
        & text.str.contains(rf"^{field}(?:{separator}{field})*\r?$")
        & (text.str.replace_all(r'"(?:[^"]|"")*"', "")
           .str.count_matches(separator, literal=True) == width - 1)
    ).to_series()
    quoted_at = rest_at.filter(regular)
    if quoted_at.len():
        lines = rest.get_column("text").filter(regular).str.join("\n").item()
        quoted = _read_cells(lines.encode("utf-8"), names, separator, '"', 0)
        if quoted is None or quoted.height != quoted_at.len():
            return None
        split = split.with_columns(
            split.get_column(name).scatter(quoted_at, quoted.get_column(name))
            for name in names)
    odd_at = rest_at.filter(~regular)
    if odd_at.len():
        odd = _line_split(rows[odd_at].select(LINE, "text"), width, separator)
        if odd is None:
            return None
        split = split.with_columns(
            split.get_column(name).scatter(odd_at, odd.get_column(name))
            for name in ("__width", *names, "__beyond"))
    return split


def _read_cells(
    data: bytes, names: list[str], separator: str, quote: str | None, skip: int
) -> pl.DataFrame | None:
    """``data`` cut into ``names`` string cells by polars, a row a line (with ``quote``
    None); None where polars refuses it."""
    try:
        return pl.read_csv(
            data, has_header=False, separator=separator, quote_char=quote, skip_lines=skip,
            schema=dict.fromkeys(names, pl.String), truncate_ragged_lines=True,
            missing_columns="insert", extra_columns="ignore", empty_string_is_null=False,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        return None  # the lines show what is odd about this chunk


def _line_split(numbered: pl.DataFrame, width: int, separator: str) -> pl.DataFrame | None:
    """``__line``, ``__width`` (cells found), ``c0``… and ``__beyond`` (the cells past
    ``width``, as text) of each line that is not blank, in line order; None when a quote
    is left open (a cell spans lines)."""
    lines = numbered.select(LINE, pl.col("text").str.strip_suffix("\r")).filter(
        pl.col("text").str.strip_chars() != "")
    quoted = lines.get_column("text").str.contains('"', literal=True)
    plain = _split_plain(lines.filter(~quoted), width, separator)
    exact = _split_quoted(lines.filter(quoted), width, separator)
    if exact is None:
        return None
    return plain.merge_sorted(exact, key=LINE)  # both in line order


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
    """The csv module's cells of each line on its own; None when a line ends inside a
    quoted cell (the cell continues on the next line: only the exact path knows the line
    numbers then), or the csv module refuses it (the exact path reports it with its line).

    Each line is read with a sentinel line after it: a quote left open takes the sentinel
    into its cell, so the reader gives one row instead of two. (Reading all lines with one
    reader would run an open quote on into the next quoted line, wherever that is, and
    let one at the end pass.)
    """
    rows: list[list[object]] = []
    try:
        for line, text in zip(lines[LINE].to_list(), lines["text"].to_list(), strict=True):
            parsed = list(csv.reader([text, "x"], delimiter=separator))
            if len(parsed) != 2:
                return None
            cells = parsed[0]
            padded = (cells + [None] * width)[:width]
            rows.append([line, len(cells), *padded, separator.join(cells[width:])])
    except csv.Error:
        return None
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


