"""What to tell the clerk about a finding: the detail and, where it can be derived, the repair.

Repairs come from the data itself: the county a point falls in gives the admin code, a swapped
pair gives its own fix. They are suggestions, never applied silently.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import polars as pl

from vidgov.catalog.fields import FIELD_BY_NAME
from vidgov.catalog.findings import DESCRIPTIONS, FindingCode
from vidgov.domain.divisions import Divisions
from vidgov.domain.geo import Boundaries
from vidgov.domain.ids import SCIENTIFIC_ID, device_id_problem, significant_admin_prefix
from vidgov.domain.urls import redact_url

F = FindingCode
Row = dict[str, object]


def suggest(
    code: FindingCode, field: str, subset: pl.DataFrame, divisions: Divisions,
    boundaries: Boundaries,
) -> pl.DataFrame:
    """Findings of ``code`` for every camera in ``subset`` with detail and suggestion."""
    severity, label, _ = DESCRIPTIONS[code]
    located = _locate(subset, boundaries)
    rows = subset.with_columns(located=pl.Series(located)).to_dicts()
    explain = _EXPLAINERS.get(code, _generic)
    details, suggestions, values = [], [], []
    for row in rows:
        detail, suggestion = explain(row, divisions)
        details.append(detail or label)
        suggestions.append(suggestion)
        values.append(_value(field, row))
    return pl.DataFrame(
        {
            "device_id": subset["device_id"],
            "code": [code.value] * subset.height,
            "severity": [severity.value] * subset.height,
            "field": [field] * subset.height,
            "value": values,
            "detail": details,
            "suggestion": suggestions,
        },
        schema={"device_id": pl.String, "code": pl.String, "severity": pl.String,
                "field": pl.String, "value": pl.String, "detail": pl.String,
                "suggestion": pl.String},
    )


def _locate(subset: pl.DataFrame, boundaries: Boundaries) -> list[str]:
    """The county each camera's point falls in ('' when none), tried both ways round."""
    lon = subset["longitude"].fill_null(np.nan).to_numpy()
    lat = subset["latitude"].fill_null(np.nan).to_numpy()
    county = boundaries.county_of(lon, lat)
    return [str(c) for c in county]


def _value(field: str, row: Row) -> str | None:
    if field in ("longitude", "latitude"):
        raw = _raw_pair(row)
        if raw:
            return raw
        lon, lat = row.get("longitude"), row.get("latitude")
        return None if lon is None and lat is None else f"{lon},{lat}"
    document = row.get("raw_values")
    if document:
        kept = json.loads(str(document)).get(field)
        if kept is not None:
            return str(kept)
    value = row.get(field)
    if value is None:
        return None
    text = str(value)
    return redact_url(text) if field.endswith("stream_url") else text


def _raw_pair(row: Row) -> str | None:
    raw = row.get("raw_values")
    if not raw:
        return None
    parsed = json.loads(str(raw))
    parts = [str(parsed[k]) for k in ("longitude", "latitude") if k in parsed]
    return ",".join(parts) or None


def _name(divisions: Divisions, code: str) -> str:
    division = divisions.get(code)
    return f"{code}（{divisions.full_name(code)}）" if division else code


def _generic(row: Row, divisions: Divisions) -> tuple[str | None, str | None]:
    return None, None


def _missing(field: str) -> Callable[[Row, Divisions], tuple[str | None, str | None]]:
    def explain(row: Row, divisions: Divisions) -> tuple[str | None, str | None]:
        return None, f"请补录{FIELD_BY_NAME[field].zh}"
    return explain


def _missing_admin(row: Row, divisions: Divisions) -> tuple[str | None, str | None]:
    located = str(row["located"])
    if located:
        return None, f"按经纬度建议行政区划：{_name(divisions, located)}"
    return None, "请补录行政区划（GB/T 2260 代码）"


def _invalid_device_id(row: Row, divisions: Divisions) -> tuple[str | None, str | None]:
    device_id = str(row["device_id"])
    problem = device_id_problem(device_id) or "不符合编码规则"
    if SCIENTIFIC_ID.fullmatch(device_id):
        return (f"设备编码被表格软件转成科学计数法：{problem}",
                "后几位已丢失：请从设备或平台重新导出设备编码，并将该列设为文本格式")
    return (f"设备编码不符合GB/T 28181：{problem}",
            "按“中心编码8位+行业2位+类型3位+网络1位+序号6位”核对")


def _invalid_admin(row: Row, divisions: Divisions) -> tuple[str | None, str | None]:
    located = str(row["located"])
    detail = f"“{row['admin_code']}”不是广西的行政区划代码"
    if located:
        return detail, f"按经纬度建议行政区划：{_name(divisions, located)}"
    return detail, "请按GB/T 2260填写6位（县级）、9位（乡镇）或12位（村级）代码"


def _mismatch(row: Row, divisions: Divisions) -> tuple[str | None, str | None]:
    centre = str(row["device_id"])[:6]
    admin = str(row["admin_code"])
    located = str(row["located"])
    detail = (f"设备编码中心编码 {_name(divisions, centre)} "
              f"与行政区划 {_name(divisions, admin)} 不一致")
    if located and located.startswith(significant_admin_prefix(admin[:6])):
        return detail, "经纬度与行政区划一致：请核对设备编码的中心编码"
    if located and located.startswith(significant_admin_prefix(centre)):
        return detail, f"经纬度位于设备编码所属地区：建议行政区划改为 {_name(divisions, located)}"
    return detail, "请核对设备编码与行政区划"


def _invalid_coordinates(row: Row, divisions: Divisions) -> tuple[str | None, str | None]:
    return (f"经纬度无法识别：{_raw_pair(row)}",
            "填写十进制度（如 108.366543）或度分秒（如 108°21'59.55\"）")


def _outside_guangxi(row: Row, divisions: Divisions) -> tuple[str | None, str | None]:
    return (f"点位（{row['longitude']}, {row['latitude']}）不在广西境内",
            "核实经纬度：广西约在东经104.4°–112.1°、北纬20.9°–26.4°之间")


def _swapped(row: Row, divisions: Divisions) -> tuple[str | None, str | None]:
    return (f"经度 {row['longitude']}、纬度 {row['latitude']} 填反",
            f"经度改为 {row['latitude']}，纬度改为 {row['longitude']}")


def _outside_area(row: Row, divisions: Divisions) -> tuple[str | None, str | None]:
    located = str(row["located"])
    admin = str(row["admin_code"])
    return (f"点位位于 {_name(divisions, located)}，不在所填 {_name(divisions, admin)} 内",
            f"建议行政区划改为 {_name(divisions, located)}，或核实经纬度")


_EXPLAINERS: dict[FindingCode, Callable[[Row, Divisions], tuple[str | None, str | None]]] = {
    **{code: _missing(field) for field, code in (
        ("name", F.MISSING_NAME), ("address", F.MISSING_ADDRESS),
        ("department", F.MISSING_DEPARTMENT), ("maintenance_unit", F.MISSING_MAINTENANCE_UNIT),
        ("maintenance_contact", F.MISSING_MAINTENANCE_CONTACT),
        ("point_class", F.MISSING_POINT_CLASS), ("stream_url", F.MISSING_STREAM_URL))},
    F.MISSING_COORDINATES: lambda row, d: (None, "请补录经纬度（WGS-84/CGCS2000）"),
    F.MISSING_ADMIN_CODE: _missing_admin,
    F.INVALID_DEVICE_ID: _invalid_device_id,
    F.INVALID_ADMIN_CODE: _invalid_admin,
    F.ADMIN_CODE_MISMATCH: _mismatch,
    F.INVALID_COORDINATES: _invalid_coordinates,
    F.COORDINATES_OUTSIDE_GUANGXI: _outside_guangxi,
    F.COORDINATES_SWAPPED: _swapped,
    F.COORDINATES_OUTSIDE_ADMIN_AREA: _outside_area,
    F.INVALID_STREAM_URL: lambda row, d: (None, "地址应形如 rtsp://IP:端口/路径"),
    F.INVALID_POINT_CLASS: lambda row, d: (None, "填写一类、二类或三类"),
    F.INVALID_MAINTENANCE_CONTACT: lambda row, d: (None, "填写手机号或带区号的固定电话"),
    F.INVALID_INSTALL_DATE: lambda row, d: (None, "填写实际安装日期，如 2019-05-12"),
    F.INVALID_SECRECY: lambda row, d: (None, "填写0（不涉密）或1（涉密）"),
}
