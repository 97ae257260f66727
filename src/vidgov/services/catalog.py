"""Catalog use cases shared by the CLI (and later the API): audit a scope, export a scope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from vidgov.catalog.audit import audit
from vidgov.catalog.exporter import (
    Encoding,
    ExportFormat,
    Headers,
    code_columns,
    rename_headers,
    write_csv,
    write_geojson,
    write_xlsx,
)
from vidgov.catalog.fields import FIELD_NAMES
from vidgov.catalog.findings import DESCRIPTIONS, FindingCode
from vidgov.catalog.query import parse_where, with_places
from vidgov.catalog.scorecard import GroupBy, label_cameras, scorecard, summary
from vidgov.catalog.store import read_cameras
from vidgov.domain.divisions import load_divisions
from vidgov.domain.geo import load_boundaries

__all__ = ["AuditReport", "ExportFormat", "audit_catalog", "export_catalog", "write_catalog"]


@dataclass(frozen=True)
class AuditReport:
    findings: pl.DataFrame
    scorecards: dict[GroupBy, pl.DataFrame]
    summary: dict[str, float | int]


def audit_catalog(engine: Engine, where: Sequence[str], today: date) -> AuditReport:
    """Audit the whole catalog (duplicates span scopes), then keep the asked-for scope."""
    condition = parse_where(where)
    divisions = load_divisions()
    result = audit(read_cameras(engine), divisions, load_boundaries(), today)
    labelled = label_cameras(result, divisions).filter(condition)
    findings = (
        result.findings.join(labelled.select("device_id", "city", "county"), on="device_id")
        .with_columns(
            description=pl.col("code").replace_strict(
                {c.value: zh for c, (_, zh, _) in DESCRIPTIONS.items()}, default=None))
    )
    order = {c.value: i for i, c in enumerate(FindingCode)}
    findings = findings.sort(
        pl.col("code").replace_strict(order, default=len(order)), "device_id")
    return AuditReport(
        findings=findings,
        scorecards={by: scorecard(labelled, findings, by) for by in GroupBy},
        summary=summary(labelled, findings),
    )


def export_catalog(
    engine: Engine, fmt: ExportFormat, path: Path, where: Sequence[str],
    headers: Headers = Headers.ZH, encoding: Encoding = Encoding.UTF8_BOM,
) -> int:
    """Write the scope's camera records; returns how many."""
    condition = parse_where(where)
    cameras = with_places(read_cameras(engine), load_divisions()).filter(condition)
    return write_catalog(cameras, fmt, path, headers, encoding)


def write_catalog(
    cameras: pl.DataFrame, fmt: ExportFormat, path: Path,
    headers: Headers = Headers.ZH, encoding: Encoding = Encoding.UTF8_BOM,
) -> int:
    """Write camera records (a frame with every catalog field) as a file; returns how many."""
    frame = cameras.select(FIELD_NAMES)
    if fmt is ExportFormat.GEOJSON:
        write_geojson(frame, path)
        return frame.height
    renamed = rename_headers(frame, headers)
    text_columns = [renamed.columns[frame.columns.index(c)] for c in code_columns(frame)]
    if fmt is ExportFormat.CSV:
        write_csv(renamed, path, encoding, text_columns)
    else:
        write_xlsx({"设备目录" if headers is Headers.ZH else "catalog": renamed}, path)
    return frame.height
