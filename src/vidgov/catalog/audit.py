"""The metadata audit: every rule a vectorised pass over the whole catalog.

``audit`` is a pure function of a frame of cameras and the reference data, so it runs the same
on one laptop or on a batch handed to a worker. Each rule yields a boolean column; a rule whose
premise is already broken (no coordinates, an invalid admin code) is not run, so each fault is
reported once, at its root. Geography is checked with the county polygons, one vectorised
point-in-polygon call per claimed division.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np
import polars as pl

from vidgov.catalog.findings import DESCRIPTIONS, FindingCode, Severity
from vidgov.catalog.repair import (
    FINDING_SCHEMA,
    division_names,
    raw_value,
    significant_prefix,
    suggest,
)
from vidgov.domain.divisions import Divisions
from vidgov.domain.geo import Boundaries
from vidgov.domain.ids import CAMERA_TYPES

F = FindingCode

#: Mandatory fields and how much each weighs in the completeness score. Coordinates, name and
#: maintenance unit are the gaps the region is assessed on (seed 二(一)), so they weigh double.
COMPLETENESS_WEIGHTS: Final[dict[str, int]] = {
    "name": 2, "coordinates": 2, "maintenance_unit": 2, "admin_code": 1, "address": 1,
    "department": 1, "maintenance_contact": 1, "point_class": 1, "stream_url": 1,
}
MISSING_CODES: Final[dict[str, FindingCode]] = {
    "name": F.MISSING_NAME, "admin_code": F.MISSING_ADMIN_CODE, "address": F.MISSING_ADDRESS,
    "department": F.MISSING_DEPARTMENT, "maintenance_unit": F.MISSING_MAINTENANCE_UNIT,
    "maintenance_contact": F.MISSING_MAINTENANCE_CONTACT,
    "point_class": F.MISSING_POINT_CLASS, "stream_url": F.MISSING_STREAM_URL,
}
#: Two records of one physical camera: same name, and same address or within this distance.
DUPLICATE_DISTANCE_M: Final = 10.0
EARLIEST_INSTALL: Final = date(1980, 1, 1)

STREAM_URL = (
    r"^(?i:rtsps?|rtmps?|https?|srt|rtp|udp)://(?:[^\s/@]+@)?[A-Za-z0-9.\-\[\]:]*[A-Za-z0-9\]]"
    r"(?::\d{1,5})?(?:[/?#]\S*)?$"
)
PHONE = r"(?:^|\D)(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|400-?\d{3}-?\d{4})(?:\D|$)"


@dataclass(frozen=True)
class AuditResult:
    """Findings (one row per camera and code) and per-camera facts for the scorecards.

    ``findings``: device_id, code, severity, field, value, detail, suggestion.
    ``cameras``: device_id, admin_code, department, maintenance_unit, completeness (0..1),
    valid (no invalid-severity finding).
    """

    findings: pl.DataFrame
    cameras: pl.DataFrame


def audit(
    cameras: pl.DataFrame, divisions: Divisions, boundaries: Boundaries, today: date
) -> AuditResult:
    """Audit a frame shaped like :data:`vidgov.catalog.store.CAMERA_SCHEMA`."""
    flags = _flags(cameras, divisions, boundaries, today)
    findings = _findings(cameras, flags, division_names(divisions), boundaries)
    findings = pl.concat([findings, _duplicates(cameras)], how="vertical")
    findings = findings.unique(["device_id", "code"], keep="first", maintain_order=True)
    invalid_codes = [c.value for c, (s, _, _) in DESCRIPTIONS.items() if s is Severity.INVALID]
    invalid_ids = findings.filter(pl.col("code").is_in(invalid_codes))["device_id"]
    per_camera = _per_camera(cameras, flags).with_columns(
        valid=~pl.col("device_id").is_in(invalid_ids.implode()))
    return AuditResult(findings=findings, cameras=per_camera)


def _flags(
    cameras: pl.DataFrame, divisions: Divisions, boundaries: Boundaries, today: date
) -> pl.DataFrame:
    """One boolean column per finding code (True = the camera has it)."""
    known_codes = divisions.frame()["code"].implode()
    device = pl.col("device_id")
    admin = pl.col("admin_code")
    device_ok = (
        device.str.contains(r"^\d{20}$")
        & device.str.slice(10, 3).is_in(sorted(CAMERA_TYPES))
        & ~device.str.starts_with("00")
    )
    admin_ok = admin.is_in(known_codes)
    coordinates_raw = raw_value("longitude").is_not_null() | raw_value("latitude").is_not_null()
    has_point = pl.col("longitude").is_not_null() & pl.col("latitude").is_not_null()
    frame = cameras.lazy().select(
        "device_id", "admin_code", "longitude", "latitude",
        **{MISSING_CODES[f].value: pl.col(f).is_null() & raw_value(f).is_null()
           for f in MISSING_CODES},
        missing_coordinates=~has_point & ~coordinates_raw,
        invalid_coordinates=coordinates_raw,
        invalid_device_id=~device_ok,
        invalid_admin_code=admin.is_not_null() & ~admin_ok,
        admin_code_mismatch=device_ok & admin_ok & ~_prefixes_agree(
            admin.str.slice(0, 6), device.str.slice(0, 6)),
        invalid_stream_url=_bad_url("stream_url") | _bad_url("sub_stream_url"),
        invalid_point_class=raw_value("point_class").is_not_null()
        | ~pl.col("point_class").is_between(1, 3),
        invalid_maintenance_contact=~pl.col("maintenance_contact").str.contains(PHONE),
        invalid_install_date=raw_value("install_date").is_not_null()
        | (pl.col("install_date") > today) | (pl.col("install_date") < EARLIEST_INSTALL),
        invalid_secrecy=raw_value("secrecy").is_not_null() | ~pl.col("secrecy").is_in([0, 1]),
        has_point=has_point & ~coordinates_raw,
        admin_ok=admin_ok,
    ).with_columns(pl.col(pl.Boolean).fill_null(False)).collect()
    return frame.with_columns(**_geography(frame, boundaries))


def _prefixes_agree(a6: pl.Expr, b6: pl.Expr) -> pl.Expr:
    a, b = significant_prefix(a6), significant_prefix(b6)
    return a.str.starts_with(b) | b.str.starts_with(a)


def _bad_url(field: str) -> pl.Expr:
    return pl.col(field).is_not_null() & ~pl.col(field).str.contains(STREAM_URL)


def _geography(frame: pl.DataFrame, boundaries: Boundaries) -> dict[str, pl.Series]:
    """Swapped, outside Guangxi, outside the claimed division: one vectorised pass each."""
    has_point = frame["has_point"].to_numpy()
    lon = frame["longitude"].fill_null(np.nan).to_numpy()
    lat = frame["latitude"].fill_null(np.nan).to_numpy()
    in_guangxi = boundaries.in_guangxi(lon, lat) & has_point
    swapped = has_point & ~in_guangxi & boundaries.in_guangxi(lat, lon)
    outside = has_point & ~in_guangxi & ~swapped
    claimable = in_guangxi & frame["admin_ok"].to_numpy()
    inside_claim = np.ones(len(frame), dtype=bool)
    if claimable.any():
        codes = frame["admin_code"].to_numpy()[claimable]
        inside_claim[claimable] = boundaries.inside(codes, lon[claimable], lat[claimable])
    return {
        "coordinates_swapped": pl.Series(swapped),
        "coordinates_outside_guangxi": pl.Series(outside),
        "coordinates_outside_admin_area": pl.Series(claimable & ~inside_claim),
    }


_VALUE_FIELD: Final[dict[FindingCode, str]] = {
    F.INVALID_DEVICE_ID: "device_id", F.INVALID_ADMIN_CODE: "admin_code",
    F.ADMIN_CODE_MISMATCH: "admin_code", F.INVALID_COORDINATES: "longitude",
    F.COORDINATES_OUTSIDE_GUANGXI: "longitude", F.COORDINATES_SWAPPED: "longitude",
    F.COORDINATES_OUTSIDE_ADMIN_AREA: "longitude", F.INVALID_STREAM_URL: "stream_url",
    F.INVALID_POINT_CLASS: "point_class",
    F.INVALID_MAINTENANCE_CONTACT: "maintenance_contact",
    F.INVALID_INSTALL_DATE: "install_date", F.INVALID_SECRECY: "secrecy",
    **{code: field for field, code in MISSING_CODES.items()},
    F.MISSING_COORDINATES: "longitude",
}


def _findings(
    cameras: pl.DataFrame, flags: pl.DataFrame, names: pl.DataFrame, boundaries: Boundaries
) -> pl.DataFrame:
    codes = [c for c in FindingCode if c is not F.DUPLICATE_CAMERA]
    # Most cameras are clean: narrow to the ones with any finding before explaining each code.
    any_hit = flags.select(pl.any_horizontal(c.value for c in codes)).to_series()
    cameras, flags = cameras.filter(any_hit), flags.filter(any_hit)
    rows: list[pl.DataFrame] = []
    for code in codes:
        hit = flags[code.value]
        if hit.any():
            subset = cameras.filter(hit)
            rows.append(suggest(code, _VALUE_FIELD[code], subset, names, boundaries))
    if not rows:
        return empty_findings()
    return pl.concat(rows, how="vertical")


def empty_findings() -> pl.DataFrame:
    return pl.DataFrame(schema=FINDING_SCHEMA)


def _duplicates(cameras: pl.DataFrame) -> pl.DataFrame:
    """Pairs with one name and one place; candidates are the few names used twice."""
    named = cameras.filter(pl.col("name").is_not_null())
    candidates = named.filter(pl.col("name").str.replace_all(" ", "").is_duplicated())
    if candidates.height == 0:
        return empty_findings()
    groups = candidates.with_columns(key=pl.col("name").str.replace_all(" ", "")).group_by(
        "key", maintain_order=True).agg("device_id", "address", "longitude", "latitude")
    found: dict[str, list[str]] = {}
    for _, ids, addresses, lons, lats in groups.iter_rows():
        for i in range(len(ids)):
            for j in range(i + 1, len(ids)):
                if _same_place(addresses[i], addresses[j], lons[i], lats[i], lons[j], lats[j]):
                    found.setdefault(ids[i], []).append(ids[j])
                    found.setdefault(ids[j], []).append(ids[i])
    severity, _, _ = DESCRIPTIONS[F.DUPLICATE_CAMERA]
    return pl.DataFrame(
        {
            "device_id": list(found),
            "code": [F.DUPLICATE_CAMERA.value] * len(found),
            "severity": [severity.value] * len(found),
            "field": ["name"] * len(found),
            "value": [None] * len(found),
            "detail": [f"与 {'、'.join(others)} 同名同址" for others in found.values()],
            "suggestion": ["核实是否同一摄像机重复登记，保留一个设备编码并注销其余"] * len(found),
        },
        schema=empty_findings().schema,
    )


def _same_place(
    address_a: str | None, address_b: str | None, lon_a: float | None, lat_a: float | None,
    lon_b: float | None, lat_b: float | None,
) -> bool:
    if address_a and address_a == address_b:
        return True
    if None in (lon_a, lat_a, lon_b, lat_b):
        return False
    return metres_between(lon_a, lat_a, lon_b, lat_b) <= DUPLICATE_DISTANCE_M  # type: ignore[arg-type]


def metres_between(lon_a: float, lat_a: float, lon_b: float, lat_b: float) -> float:
    """Equirectangular distance; exact enough at the metre scale of one camera site."""
    radius = 6_371_008.8
    mean_lat = np.radians((lat_a + lat_b) / 2)
    dx = np.radians(lon_b - lon_a) * np.cos(mean_lat)
    dy = np.radians(lat_b - lat_a)
    return float(radius * np.hypot(dx, dy))


def _per_camera(cameras: pl.DataFrame, flags: pl.DataFrame) -> pl.DataFrame:
    filled = {
        "coordinates": flags["has_point"],
        **{f: cameras[f].is_not_null() for f in COMPLETENESS_WEIGHTS if f != "coordinates"},
    }
    total = sum(COMPLETENESS_WEIGHTS.values())
    completeness = sum(
        filled[f].cast(pl.Float64) * w for f, w in COMPLETENESS_WEIGHTS.items()) / total
    return cameras.select(
        "device_id", "admin_code", "department", "maintenance_unit"
    ).with_columns(completeness=completeness)
