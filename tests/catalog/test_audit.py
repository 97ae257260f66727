"""The audit, rule by rule: each finding code on a record that has exactly that fault."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from vidgov.catalog.audit import audit
from vidgov.catalog.findings import FindingCode
from vidgov.catalog.importer import import_catalog
from vidgov.catalog.store import read_cameras
from vidgov.domain.divisions import load_divisions
from vidgov.domain.geo import load_boundaries
from vidgov.services.catalog import audit_catalog

from .builders import make_camera, write_csv_file

F = FindingCode
TODAY = date(2026, 11, 25)


def _audit(engine: Engine, tmp_path: Path, records: list[dict[str, str]]) -> pl.DataFrame:
    import_catalog(engine, [write_csv_file(tmp_path / "c.csv", records)])
    return audit(read_cameras(engine), load_divisions(), load_boundaries(), TODAY).findings


CASES: list[tuple[str, dict[str, str], FindingCode]] = [
    ("no name", {"name": ""}, F.MISSING_NAME),
    ("no admin code", {"admin_code": "无"}, F.MISSING_ADMIN_CODE),
    ("no address", {"address": "NULL"}, F.MISSING_ADDRESS),
    ("no latitude", {"latitude": ""}, F.MISSING_COORDINATES),
    ("no department", {"department": "-"}, F.MISSING_DEPARTMENT),
    ("no maintenance unit", {"maintenance_unit": ""}, F.MISSING_MAINTENANCE_UNIT),
    ("no contact", {"maintenance_contact": ""}, F.MISSING_MAINTENANCE_CONTACT),
    ("no point class", {"point_class": ""}, F.MISSING_POINT_CLASS),
    ("no stream", {"stream_url": ""}, F.MISSING_STREAM_URL),
    ("Excel mangled ID", {"device_id": "4.50103000013200E+19"}, F.INVALID_DEVICE_ID),
    ("ID one digit short", {"device_id": "4501030000132000001"}, F.INVALID_DEVICE_ID),
    ("letter O in ID", {"device_id": "45010300O01320000001"}, F.INVALID_DEVICE_ID),
    ("server type code", {"device_id": "45010300002020000001"}, F.INVALID_DEVICE_ID),
    ("Guangdong code", {"admin_code": "440103"}, F.INVALID_ADMIN_CODE),
    ("no such county", {"admin_code": "450199"}, F.INVALID_ADMIN_CODE),
    ("four digits", {"admin_code": "4501"}, F.INVALID_ADMIN_CODE),
    ("ID from Liuzhou", {"device_id": "45020200001320000001"}, F.ADMIN_CODE_MISMATCH),
    ("unreadable longitude", {"longitude": "108.3.6"}, F.INVALID_COORDINATES),
    ("in Guangzhou", {"longitude": "113.264", "latitude": "23.129"},
     F.COORDINATES_OUTSIDE_GUANGXI),
    ("zero island", {"longitude": "0", "latitude": "0"}, F.COORDINATES_OUTSIDE_GUANGXI),
    ("swapped", {"longitude": "22.816", "latitude": "108.366543"}, F.COORDINATES_SWAPPED),
    ("in Guilin", {"longitude": "110.29", "latitude": "25.27"},
     F.COORDINATES_OUTSIDE_ADMIN_AREA),
    ("no scheme", {"stream_url": "10.45.12.34:554/h264"}, F.INVALID_STREAM_URL),
    ("rtsp without colon", {"stream_url": "rtsp//10.45.12.34/live"}, F.INVALID_STREAM_URL),
    ("space in url", {"sub_stream_url": "rtsp://10.45.12.34/live 2"}, F.INVALID_STREAM_URL),
    ("class four", {"point_class": "四类"}, F.INVALID_POINT_CLASS),
    ("class unreadable", {"point_class": "特级"}, F.INVALID_POINT_CLASS),
    ("a name, no number", {"maintenance_contact": "张工"}, F.INVALID_MAINTENANCE_CONTACT),
    ("short number", {"maintenance_contact": "0771-123"}, F.INVALID_MAINTENANCE_CONTACT),
    ("future date", {"install_date": "2027-01-01"}, F.INVALID_INSTALL_DATE),
    ("impossible date", {"install_date": "2019-13-45"}, F.INVALID_INSTALL_DATE),
    ("secrecy two", {"secrecy": "2"}, F.INVALID_SECRECY),
    ("secrecy word", {"secrecy": "机密"}, F.INVALID_SECRECY),
]


@pytest.mark.parametrize(("changes", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_fault_gives_exactly_its_finding(sqlite_engine: Engine, tmp_path: Path,
                                              changes: dict[str, str],
                                              code: FindingCode) -> None:
    records = [make_camera(1), make_camera(2, **changes)]
    findings = _audit(sqlite_engine, tmp_path, records)
    device_id = records[1]["device_id"] if "device_id" not in changes else changes["device_id"]
    assert findings.select("device_id", "code").rows() == [(device_id, code.value)]


def test_every_code_is_exercised_above() -> None:
    assert {c[2] for c in CASES} | {F.DUPLICATE_CAMERA} == set(FindingCode)


def test_a_clean_record_has_no_finding_in_any_valid_spelling(sqlite_engine: Engine,
                                                             tmp_path: Path) -> None:
    records = [
        make_camera(1),
        make_camera(2, longitude="108°22'0.5\"", latitude="22度48分57.6秒",
                    point_class="三类点", install_date="2019年5月12日", secrecy="不涉密",
                    maintenance_contact="13812345678"),
        make_camera(3, admin_code="450103001", grassroots_code="450103001005"),
        make_camera(4, admin_code="450100", device_id="45010000001320000004"),
        make_camera(5, admin_code="450000", device_id="45000000001320000005"),
        make_camera(6, stream_url="rtsp://admin:12345@10.45.12.34:554/h264/ch1/main/av_stream",
                    sub_stream_url="http://10.45.12.34/live/6.flv", place_type="", model="-"),
    ]
    assert _audit(sqlite_engine, tmp_path, records).height == 0


def test_duplicates_are_both_records_of_one_place(sqlite_engine: Engine, tmp_path: Path) -> None:
    original = make_camera(1)
    copy = dict(original, device_id="45010300001320000099",
                longitude=f"{float(original['longitude']) + 0.00002:.6f}")
    namesake = make_camera(2, name=original["name"], address="广西南宁市青秀区别处",
                           longitude="108.40", latitude="22.83")
    findings = _audit(sqlite_engine, tmp_path, [original, copy, namesake])
    assert sorted(findings.select("device_id", "code").rows()) == [
        (original["device_id"], "duplicate_camera"), (copy["device_id"], "duplicate_camera")]
    assert "45010300001320000099" in findings.filter(
        pl.col("device_id") == original["device_id"])["detail"].item()


@pytest.mark.parametrize(
    ("changes", "suggestion"),
    [
        ({"longitude": "22.816", "latitude": "108.366543"}, "经度改为 108.366543，纬度改为 22.816"),
        ({"longitude": "110.29", "latitude": "25.27"}, "450304"),
        ({"admin_code": "440103"}, "450103（广西壮族自治区南宁市青秀区）"),
        ({"admin_code": ""}, "450103"),
        ({"device_id": "4.50103000013200E+19"}, "文本格式"),
    ],
)
def test_repairs_are_suggested_where_the_data_gives_them(
        sqlite_engine: Engine, tmp_path: Path, changes: dict[str, str], suggestion: str) -> None:
    findings = _audit(sqlite_engine, tmp_path, [make_camera(1, **changes)])
    assert suggestion in findings["suggestion"].item()


def test_stream_credentials_never_reach_the_findings(sqlite_engine: Engine,
                                                     tmp_path: Path) -> None:
    record = make_camera(1, stream_url="rtsp//admin:s3cret@10.45.12.34/live")
    findings = _audit(sqlite_engine, tmp_path, [record])
    assert "s3cret" not in str(findings.rows())


def test_scorecards_and_scope(store: Engine, tmp_path: Path) -> None:
    guilin = make_camera(3, device_id="45030400001320000003", admin_code="450304",
                         longitude="110.29", latitude="25.27", maintenance_unit="")
    records = [make_camera(1), make_camera(2, name=""), guilin]
    import_catalog(store, [write_csv_file(tmp_path / "c.csv", records)])
    report = audit_catalog(store, [], TODAY)
    cities = {r["city"]: r for r in report.scorecards["city"].to_dicts()}  # type: ignore[index]
    assert cities["南宁市"]["cameras"] == 2
    assert cities["南宁市"]["completeness_pct"] == pytest.approx(100 * (12 + 10) / 24, abs=0.1)
    assert cities["桂林市"]["validity_pct"] == 100.0
    assert report.summary["cameras"] == 3
    scoped = audit_catalog(store, ["city=桂林市"], TODAY)
    assert scoped.summary["cameras"] == 1
    assert scoped.findings["code"].to_list() == ["missing_maintenance_unit"]
