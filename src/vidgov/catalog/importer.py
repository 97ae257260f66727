"""Importing catalog files into the store: one transaction, nothing silently lost.

Every data row ends up either in the store (inserted, updated or unchanged: upserted by device
ID) or in the rejects list with its file, sheet, line and reason. A malformed device ID is a
finding, not a reject: the row is stored as written so the clerk can see and fix it. A file that
cannot be read at all raises before anything is written.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

import polars as pl

from vidgov.catalog.handover import FramePipe, prefetched
from vidgov.catalog.normalise import normalise
from vidgov.catalog.reading import WholeFileNeeded, stream_catalog
from vidgov.catalog.sources import LINE, SourceTable
from vidgov.catalog.store import COMPARED, camera_columns
from vidgov.store.bulk import MAX_STAGED, BulkSession, Prepared, bulk_session, preload_drivers

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: Longer cells are refused (per row): no catalog field is this long, a pasted blob is.
MAX_CELL_CHARS: Final = 2000
#: CSVs are read in chunks of about this size (~25,000 catalog rows), so that reading the
#: next chunk overlaps writing the last ones.
CHUNK_BYTES: Final = 8 << 20

FILE = "__file"
SHEET = "__sheet"
#: The staged batch's columns: the compared ones and where each row came from.
_STORED: Final = (*COMPARED, "source", "source_line")


@dataclass(frozen=True, slots=True)
class Reject:
    """A data row that was not stored, and why; ``cells`` maps the file's headers to values."""

    file: str
    sheet: str
    line: int
    reason: str
    detail: str
    device_id: str | None
    cells: dict[str, str]


@dataclass
class ImportReport:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejects: list[Reject] = field(default_factory=list)
    skipped_sheets: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejects)

    def counts(self) -> dict[str, int]:
        return {"read": self.read, "inserted": self.inserted, "updated": self.updated,
                "unchanged": self.unchanged, "rejected": self.rejected}


def import_catalog(
    engine: Engine | Callable[[], Engine], paths: Sequence[Path], now: datetime | None = None
) -> ImportReport:
    """Read, check and upsert every file in one transaction; any unreadable file aborts it.

    Reading (decode, parse, normalise: polars and Python's codecs) runs in a second thread
    while this one writes the batches read so far (SQLite and ADBC, which release the GIL),
    so the two halves share the machine's cores. Writing before the last file is read is
    safe because nothing is committed until then: a file that cannot be read rolls the
    whole import back. A CSV whose chunks cannot be read on their own (a quoted line break)
    sends the whole import round again reading each file whole, which gives the same result.

    ``engine`` may be a function that opens the store: it is called (once) when reading has
    started, so that opening and migrating the store, and loading the bulk drivers, overlap
    reading the first chunk (what a new ``vidgov catalog import`` process does first).
    """
    now = now or datetime.now(UTC)
    store = _Store(engine, big=_total_bytes(paths) >= CHUNK_BYTES)
    try:
        return _import(store.engine, paths, now, CHUNK_BYTES)
    except WholeFileNeeded:
        return _import(store.engine, paths, now, None)
    finally:
        store.close()


class _Store:
    """The store to write to, opened on first use; for a big import the bulk drivers start
    loading then, while the first chunk is read (a small import, done in a fraction of a
    second, would only wait for them: they load when first needed)."""

    def __init__(self, engine: Engine | Callable[[], Engine], big: bool) -> None:
        self._open = engine
        self._big = big
        self._engine: Engine | None = None
        self._loading: threading.Thread | None = None

    def engine(self) -> Engine:
        if self._engine is None:
            opened = self._open() if callable(self._open) else self._open
            self._engine = opened
            if self._big:
                self._loading = preload_drivers(opened)
        return self._engine

    def close(self) -> None:
        if self._loading is not None:
            self._loading.join()  # never left running: a thread importing at exit can crash


def _import(
    store: Callable[[], Engine], paths: Sequence[Path], now: datetime, chunk_bytes: int | None
) -> ImportReport:
    report = ImportReport()
    pipe = FramePipe()
    reader = threading.Thread(
        target=pipe.run, args=(lambda: _read_all(paths, chunk_bytes, report, pipe),),
        name="catalog-reader", daemon=True)
    reader.start()
    expected = _expected_frames(paths, chunk_bytes)
    try:
        engine = store()
        frames = pipe.take(1)  # start writing as soon as anything is read
        if not frames:
            return report
        with bulk_session(engine) as session:
            stamp = session.timestamp(now)
            # Checked inside the transaction, which on SQLite holds the write lock from here.
            fresh = not session.scalar("SELECT EXISTS (SELECT 1 FROM camera)")
            batches = prefetched(_prepared_batches(session, pipe, frames, expected),
                                  depth=1, name="catalog-stager")
            try:
                for prepared in batches:
                    _upsert(session, prepared, stamp, report, fresh)
            finally:
                pipe.close()  # first: the stager may be waiting on the reader
                batches.close()
    finally:
        pipe.close()
        reader.join()
    return report


def _prepared_batches(
    session: BulkSession, pipe: FramePipe, frames: list[pl.DataFrame], expected: int
) -> Iterator[Prepared]:
    """The batches to upsert, each written to its staged table: run one ahead of the writer
    (by :func:`prefetched`), so that staging a batch (ADBC writing a private file, most of
    the work of storing it) overlaps inserting the one before."""
    for index in range(MAX_STAGED):
        batch = pl.concat(frames, how="vertical_relaxed")
        rows = batch.select(
            *camera_columns(), pl.col(FILE).alias("source"), pl.col(LINE).alias("source_line"))
        yield session.prepare(f"incoming{index}", rows, like="camera")
        expected -= len(frames)
        frames = pipe.take(_batch_frames(expected, MAX_STAGED - index - 1))
        if not frames:
            return


def _total_bytes(paths: Sequence[Path]) -> int:
    total = 0
    for path in paths:
        try:
            total += path.stat().st_size
        except OSError:
            continue  # the reader reports it
    return total


def _expected_frames(paths: Sequence[Path], chunk_bytes: int | None) -> int:
    """About how many frames the reader will hand over: a CSV's chunks (with the small
    first and last ones), else one a file."""
    total = 0
    for path in paths:
        try:
            size = path.stat().st_size
        except OSError:
            size = 0  # the reader reports it
        total += -(-size // chunk_bytes) + 2 if chunk_bytes else 1
    return total


def _batch_frames(expected: int, slots: int) -> int | None:
    """How many frames the next batch waits for (None: all that remain).

    A batch needs a staged table and a session has :data:`MAX_STAGED`, so with more chunks
    than that some batches hold several. Doubling up the early batches (after the first,
    taken at once) keeps the last batch (written after reading ends, so on the critical
    path) a single chunk instead of every chunk left when the tables run out.
    """
    if slots <= 1:
        return None
    return max(1, -(-expected // slots))


def _read_all(paths: Sequence[Path], chunk_bytes: int | None, report: ImportReport,
              pipe: FramePipe) -> None:
    checks = _RowChecks(report)
    for number, path in enumerate(paths):
        for catalog_file in prefetched(stream_catalog(path, chunk_bytes)):
            report.skipped_sheets.extend(catalog_file.skipped_sheets)
            for table in catalog_file.tables:
                rows = checks.check(number, table)
                if rows.height:
                    pipe.put(rows)
    checks.finish()


class _RowChecks:
    """The per-row checks, one table (or chunk of one) at a time, in reading order.

    Rejects are listed as a whole-file read lists them: per table its structural rejects then
    its over-long cells, and then the missing and duplicate IDs of the whole import.
    """

    def __init__(self, report: ImportReport) -> None:
        self._report = report
        self._source: tuple[int, str] | None = None
        self._too_long: list[Reject] = []
        self._id_rejects: list[Reject] = []
        self._seen: list[pl.DataFrame] = []  # device_id, file, sheet, line of kept rows
        self._seen_ids = pl.Series("device_id", [], dtype=pl.String)  # all of them, in one

    def check(self, number: int, table: SourceTable) -> pl.DataFrame:
        """The rows of ``table`` to upsert, normalised; the rest go to the report's rejects."""
        if self._source != (number, table.sheet):
            self._report.rejects.extend(self._too_long)
            self._source, self._too_long = (number, table.sheet), []
        self._report.read += table.frame.height + len(table.rejects)
        self._report.rejects.extend(
            Reject(table.file, table.sheet, r.line, r.reason, r.detail, None,
                   _cells(table.header, r.cells))
            for r in table.rejects)
        typed = normalise(table).with_columns(
            pl.lit(table.file).alias(FILE), pl.lit(table.sheet).alias(SHEET))
        typed, too_long = _split_too_long(table, typed)
        self._too_long.extend(too_long)
        return self._reject_missing_and_duplicate_ids(typed, table)

    def finish(self) -> None:
        self._report.rejects.extend(self._too_long)
        self._report.rejects.extend(self._id_rejects)

    def _reject_missing_and_duplicate_ids(
        self, incoming: pl.DataFrame, table: SourceTable
    ) -> pl.DataFrame:
        ids = incoming["device_id"]
        missing = ids.is_null()
        duplicate = ~missing & ~ids.is_first_distinct()
        # Hash this table's IDs and probe all kept so far (not the other way round: that
        # would hash every earlier chunk again for each new one).
        again = self._seen_ids.filter(self._seen_ids.is_in(ids.drop_nulls().implode()))
        if again.len():
            duplicate |= ~missing & ids.is_in(again.implode())
        kept = incoming.filter(~missing & ~duplicate)
        self._seen.append(kept.select("device_id", FILE, SHEET, LINE))
        self._seen_ids.append(kept["device_id"])
        if not (missing.any() or duplicate.any()):
            return kept
        dropped = incoming.filter(missing | duplicate)
        first_seen = (
            pl.concat(self._seen, how="vertical_relaxed")
            .filter(pl.col("device_id").is_in(dropped["device_id"].drop_nulls().implode()))
            .rows_by_key("device_id", unique=True)
        )
        for row in dropped.iter_rows(named=True):
            cells = _source_cells(table, row[LINE])
            if row["device_id"] is None:
                reason, detail = "missing_device_id", "the device ID (设备编码) cell is empty"
            else:
                file, sheet, line = first_seen[row["device_id"]]
                where = f"{file}{f' [{sheet}]' if sheet else ''} line {line}"
                reason, detail = (
                    "duplicate_device_id", f"same device ID as {where}, which was kept")
            self._id_rejects.append(
                Reject(row[FILE], row[SHEET], row[LINE], reason, detail, row["device_id"],
                       cells))
        return kept


def _cells(header: Sequence[str], cells: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for index, value in enumerate(cells):
        label = header[index] if index < len(header) and header[index] else f"列{index + 1}"
        out[label] = value
    return out


def _source_cells(table: SourceTable, line: int) -> dict[str, str]:
    row = table.frame.filter(pl.col(LINE) == line).drop(LINE).row(0)
    return _cells(table.header, [v or "" for v in row])


def _split_too_long(
    table: SourceTable, typed: pl.DataFrame
) -> tuple[pl.DataFrame, list[Reject]]:
    cells = [c for c in table.frame.columns if c != LINE]
    if not cells:
        return typed, []
    too_long = table.frame.select(
        pl.any_horizontal(pl.col(c).str.len_chars() > MAX_CELL_CHARS for c in cells)
    ).to_series().fill_null(False)
    if not too_long.any():
        return typed, []
    rejects = []
    for line in table.frame.filter(too_long)[LINE].to_list():
        source = _source_cells(table, line)
        longest = max(source, key=lambda k: len(source[k]))
        rejects.append(Reject(
            table.file, table.sheet, line, "cell_too_long",
            f"{longest}: {len(source[longest])} characters (limit {MAX_CELL_CHARS})", None,
            {k: v[:MAX_CELL_CHARS] for k, v in source.items()}))
    return typed.filter(~too_long), rejects


def _upsert(session: BulkSession, prepared: Prepared, stamp: str, report: ImportReport,
            fresh: bool) -> None:
    """Insert new IDs, update changed ones, count the rest: all in SQL, in the session's
    transaction. Duplicates were rejected before, so batches never share an ID.

    ``fresh``: the store held no camera when the transaction began, so every row is new and
    a plain INSERT does it (a quarter less work than matching each row against the store,
    and the first import of a region's catalog is the big one). Should another session
    insert one of these IDs meanwhile (PostgreSQL; SQLite's write lock excludes it), the
    primary key refuses it and the whole import rolls back.
    """
    columns = list(_STORED)
    staged = session.attach(prepared)
    insert = (f"INSERT INTO camera ({', '.join(columns)}, created_at, updated_at) "
              f"SELECT {', '.join(f'i.{c}' for c in columns)}, {stamp}, {stamp} "
              f"FROM {staged} AS i")
    if fresh:
        report.inserted += session.execute(insert)
        return
    matched = session.scalar(
        f"SELECT count(*) FROM camera JOIN {staged} AS i ON camera.device_id = i.device_id")
    changed = " OR ".join(
        # JSON has no equality in PostgreSQL: compare its text.
        f"CAST(camera.{c} AS TEXT) {session.distinct} CAST(i.{c} AS TEXT)"
        if c in ("raw_values", "extra") else f"camera.{c} {session.distinct} i.{c}"
        for c in COMPARED if c != "device_id")
    assignments = ", ".join(f"{c} = i.{c}" for c in columns if c != "device_id")
    updated = session.execute(
        f"UPDATE camera SET {assignments}, updated_at = {stamp} "
        f"FROM {staged} AS i WHERE camera.device_id = i.device_id AND ({changed})")
    report.updated += updated
    report.inserted += session.execute(
        f"{insert} WHERE NOT EXISTS (SELECT 1 FROM camera WHERE camera.device_id = i.device_id)")
    report.unchanged += int(matched) - updated
