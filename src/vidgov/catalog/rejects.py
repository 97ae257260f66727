"""The rejects file: every row an import did not store, with where it was and why.

Columns: line (the header is line 1), reason, detail, file, sheet, device_id, then the row's
own cells under their original headers, so the clerk can fix the row and import this file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from vidgov.catalog.exporter import write_csv
from vidgov.catalog.importer import Reject

FIXED = ("line", "reason", "detail", "file", "sheet", "device_id")


def rejects_frame(rejects: Sequence[Reject]) -> pl.DataFrame:
    cell_headers: dict[str, None] = {}
    for reject in rejects:
        for header in reject.cells:
            if header not in FIXED:
                cell_headers.setdefault(header)
    rows = [
        {"line": r.line, "reason": r.reason, "detail": r.detail, "file": r.file,
         "sheet": r.sheet, "device_id": r.device_id,
         **{h: r.cells.get(h) for h in cell_headers}}
        for r in rejects
    ]
    schema = {"line": pl.Int64, **dict.fromkeys(FIXED[1:], pl.String),
              **dict.fromkeys(cell_headers, pl.String)}
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(
        schema=schema)


def write_rejects(rejects: Sequence[Reject], path: Path) -> None:
    write_csv(rejects_frame(rejects), path, text_columns=["device_id"])
