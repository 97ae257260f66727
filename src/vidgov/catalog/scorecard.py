"""Scorecards: how good each city's, county's, department's and maintenance unit's records are.

completeness % = mean weighted share of mandatory fields filled (weights in
``audit.COMPLETENESS_WEIGHTS``); validity % = share of cameras with no invalid-value finding;
score = the mean of the two, so a unit cannot score well by filling fields with rubbish or by
leaving hard fields empty.
"""

from __future__ import annotations

from enum import StrEnum

import polars as pl

from vidgov.catalog.audit import AuditResult
from vidgov.catalog.query import EMPTY, with_places
from vidgov.domain.divisions import Divisions


class GroupBy(StrEnum):
    CITY = "city"
    COUNTY = "county"
    DEPARTMENT = "department"
    MAINTENANCE_UNIT = "maintenance_unit"


def label_cameras(result: AuditResult, divisions: Divisions) -> pl.DataFrame:
    """Per-camera facts with readable city/county names, ready to group or filter."""
    return with_places(result.cameras, divisions).with_columns(
        pl.col("department").fill_null(EMPTY), pl.col("maintenance_unit").fill_null(EMPTY))


def scorecard(
    labelled: pl.DataFrame, findings: pl.DataFrame, by: GroupBy
) -> pl.DataFrame:
    """One row per group: cameras, findings, completeness %, validity %, score; worst first."""
    keys = ["city", "county"] if by is GroupBy.COUNTY else [by.value]
    per_camera_findings = findings.group_by("device_id").len("findings")
    return (
        labelled.join(per_camera_findings, on="device_id", how="left")
        .group_by(keys)
        .agg(
            cameras=pl.len(),
            findings=pl.col("findings").fill_null(0).sum(),
            completeness_pct=(pl.col("completeness").mean() * 100).round(1),
            validity_pct=(pl.col("valid").mean() * 100).round(1),
        )
        .with_columns(score=((pl.col("completeness_pct") + pl.col("validity_pct")) / 2).round(1))
        .sort(["score", *keys], descending=[False, *([False] * len(keys))])
    )


def summary(labelled: pl.DataFrame, findings: pl.DataFrame) -> dict[str, float | int]:
    cameras = labelled.height
    completeness = _mean(labelled["completeness"]) * 100
    validity = _mean(labelled["valid"].cast(pl.Float64)) * 100
    return {
        "cameras": cameras,
        "findings": findings.height,
        "cameras_with_findings": findings["device_id"].n_unique(),
        "completeness_pct": round(completeness, 1),
        "validity_pct": round(validity, 1),
        "score": round((completeness + validity) / 2, 1),
    }


def _mean(series: pl.Series) -> float:
    value = series.mean()
    return float(value) if isinstance(value, int | float) else 0.0
