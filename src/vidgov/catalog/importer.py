"""Importing catalog files into the store: one transaction, nothing silently lost.

Every data row ends up either in the store (inserted, updated or unchanged: upserted by device
ID) or in the rejects list with its file, sheet, line and reason. A malformed device ID is a
finding, not a reject: the row is stored as written so the clerk can see and fix it. A file that
cannot be read at all raises before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import polars as pl
from sqlalchemy import Engine

from vidgov.catalog.normalise import normalise
from vidgov.catalog.reading import read_catalog
from vidgov.catalog.sources import LINE, SourceTable
from vidgov.catalog.store import COMPARED, camera_columns
from vidgov.store.bulk import bulk_session

#: Longer cells are refused (per row): no catalog field is this long, a pasted blob is.
MAX_CELL_CHARS: Final = 2000

FILE = "__file"
SHEET = "__sheet"


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
    engine: Engine, paths: Sequence[Path], now: datetime | None = None
) -> ImportReport:
    """Read every file first (any unreadable one aborts the import), then upsert in one go."""
    now = now or datetime.now(UTC)
    report = ImportReport()
    tables: list[SourceTable] = []
    for path in paths:
        catalog_file = read_catalog(path)
        tables.extend(catalog_file.tables)
        report.skipped_sheets.extend(catalog_file.skipped_sheets)
    frames: list[pl.DataFrame] = []
    report.read = sum(t.frame.height + len(t.rejects) for t in tables)
    for table in tables:
        report.rejects.extend(
            Reject(table.file, table.sheet, r.line, r.reason, r.detail, None,
                   _cells(table.header, r.cells))
            for r in table.rejects)
        typed = normalise(table).with_columns(
            pl.lit(table.file).alias(FILE), pl.lit(table.sheet).alias(SHEET))
        typed, too_long = _split_too_long(table, typed)
        report.rejects.extend(too_long)
        frames.append(typed)
    incoming = pl.concat(frames, how="vertical_relaxed") if frames else None
    if incoming is None or incoming.height == 0:
        return report
    incoming = _reject_missing_and_duplicate_ids(incoming, tables, report)
    _upsert(engine, incoming, now, report)
    return report


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


def _reject_missing_and_duplicate_ids(
    incoming: pl.DataFrame, tables: list[SourceTable], report: ImportReport
) -> pl.DataFrame:
    by_source = {(t.file, t.sheet): t for t in tables}
    missing = incoming["device_id"].is_null()
    duplicate = ~incoming["device_id"].is_first_distinct() & ~missing
    if not (missing.any() or duplicate.any()):
        return incoming
    first_seen = (
        incoming.filter(~missing & ~duplicate)
        .select("device_id", FILE, SHEET, LINE)
        .rows_by_key("device_id", unique=True)
    )
    for row in incoming.filter(missing | duplicate).iter_rows(named=True):
        table = by_source[(row[FILE], row[SHEET])]
        cells = _source_cells(table, row[LINE])
        if row["device_id"] is None:
            reason, detail = "missing_device_id", "the device ID (设备编码) cell is empty"
        else:
            file, sheet, line = first_seen[row["device_id"]]
            where = f"{file}{f' [{sheet}]' if sheet else ''} line {line}"
            reason, detail = "duplicate_device_id", f"same device ID as {where}, which was kept"
        report.rejects.append(
            Reject(row[FILE], row[SHEET], row[LINE], reason, detail, row["device_id"], cells))
    return incoming.filter(~missing & ~duplicate)


def _upsert(engine: Engine, incoming: pl.DataFrame, now: datetime,
            report: ImportReport) -> None:
    """Insert new IDs, update changed ones, count the rest: all in SQL, one transaction."""
    rows = incoming.select(
        *camera_columns(), pl.col(FILE).alias("source"), pl.col(LINE).alias("source_line"))
    columns = rows.columns
    with bulk_session(engine) as session:
        staged = session.stage("incoming", rows, like="camera")
        stamp = session.timestamp(now)
        matched = session.scalar(
            f"SELECT count(*) FROM camera JOIN {staged} AS i "
            "ON camera.device_id = i.device_id")
        changed = " OR ".join(
            # JSON has no equality in PostgreSQL: compare its text.
            f"CAST(camera.{c} AS TEXT) {session.distinct} CAST(i.{c} AS TEXT)"
            if c in ("raw_values", "extra") else f"camera.{c} {session.distinct} i.{c}"
            for c in COMPARED if c != "device_id")
        assignments = ", ".join(f"{c} = i.{c}" for c in columns if c != "device_id")
        report.updated = session.execute(
            f"UPDATE camera SET {assignments}, updated_at = {stamp} "
            f"FROM {staged} AS i WHERE camera.device_id = i.device_id AND ({changed})")
        report.inserted = session.execute(
            f"INSERT INTO camera ({', '.join(columns)}, created_at, updated_at) "
            f"SELECT {', '.join(f'i.{c}' for c in columns)}, {stamp}, {stamp} "
            f"FROM {staged} AS i "
            "WHERE NOT EXISTS (SELECT 1 FROM camera WHERE camera.device_id = i.device_id)")
        report.unchanged = int(matched) - report.updated
