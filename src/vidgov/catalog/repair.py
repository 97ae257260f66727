"""What to tell the clerk about a finding: the detail and, where it can be derived, the repair.

Repairs come from the data itself: the county a point falls in gives the admin code, a swapped
pair gives its own fix. They are suggestions, never applied silently. Every text is built with
column expressions, so a catalog with tens of thousands of findings is explained in one pass.
"""

from __future__ import annotations

import functools
from typing import Final

import numpy as np
import polars as pl

from vidgov.catalog.fields import FIELD_BY_NAME
from vidgov.catalog.findings import DESCRIPTIONS, FindingCode
from vidgov.domain.divisions import Divisions
from vidgov.domain.geo import Boundaries
from vidgov.domain.ids import SCIENTIFIC_ID, device_id_problem

F = FindingCode
FINDING_SCHEMA: Final[dict[str, pl.DataType]] = {
    "device_id": pl.String(), "code": pl.String(), "severity": pl.String(),
    "field": pl.String(), "value": pl.String(), "detail": pl.String(),
    "suggestion": pl.String(),
}
#: The credentials part of an address ("admin:12345@"), also in malformed ones.
_USERINFO = r"[^\s/@]+@"


@functools.lru_cache(maxsize=4)
def division_names(divisions: Divisions) -> pl.DataFrame:
    """code -> "450103（广西壮族自治区南宁市青秀区）", the way findings name places.

    Reference data does not change while we run, so this is built once per Divisions.
    """
    codes = divisions.frame()["code"].to_list()
    return pl.DataFrame({
        "code": codes,
        "label": [f"{code}（{divisions.full_name(code)}）" for code in codes],
    })


def suggest(
    code: FindingCode, field: str, subset: pl.DataFrame, names: pl.DataFrame,
    boundaries: Boundaries,
) -> pl.DataFrame:
    """Findings of ``code`` for every camera in ``subset``, with detail and suggestion."""
    severity, label, _ = DESCRIPTIONS[code]
    lon = subset["longitude"].fill_null(np.nan).to_numpy()
    lat = subset["latitude"].fill_null(np.nan).to_numpy()
    located = pl.Series("located", boundaries.county_of(lon, lat), dtype=pl.String)
    frame = (
        subset.with_columns(
            located.replace("", None),
            pl.col("device_id").str.slice(0, 6).alias("centre"),
        )
        .join(names.rename({"code": "located", "label": "located_label"}), on="located",
              how="left", maintain_order="left")
        .join(names.rename({"code": "admin_code", "label": "admin_label"}), on="admin_code",
              how="left", maintain_order="left")
        .join(names.rename({"code": "centre", "label": "centre_label"}), on="centre",
              how="left", maintain_order="left")
    )
    detail, suggestion = _explain(code, field, frame)
    return frame.select(
        pl.col("device_id"),
        pl.lit(code.value).alias("code"),
        pl.lit(severity.value).alias("severity"),
        pl.lit(field).alias("field"),
        _value(field).alias("value"),
        pl.coalesce(detail, pl.lit(label)).alias("detail"),
        suggestion.cast(pl.String).alias("suggestion"),
    )


def raw_value(field: str) -> pl.Expr:
    """The unreadable text the importer kept for ``field``, or null."""
    return pl.col("raw_values").str.json_path_match(f"$.{field}")


def significant_prefix(code: pl.Expr) -> pl.Expr:
    """The part of a 6-digit code that names a division: 450000 -> 45, 450100 -> 4501."""
    code6 = code.str.slice(0, 6)
    return (
        pl.when(code6.str.ends_with("0000")).then(code6.str.slice(0, 2))
        .when(code6.str.ends_with("00")).then(code6.str.slice(0, 4))
        .otherwise(code6)
    )


def _value(field: str) -> pl.Expr:
    """The offending value as the clerk wrote it; stream credentials redacted."""
    if field in ("longitude", "latitude"):
        typed = pl.concat_str(
            [pl.col("longitude").cast(pl.String), pl.col("latitude").cast(pl.String)],
            separator=",")
        raw = pl.concat_str([raw_value("longitude"), raw_value("latitude")], separator=",",
                            ignore_nulls=True)
        return pl.coalesce(pl.when(raw != "").then(raw), typed)
    if field.endswith("stream_url"):
        both = pl.concat_str([pl.col("stream_url"), pl.col("sub_stream_url")], separator=" | ",
                             ignore_nulls=True)
        return both.str.replace_all(_USERINFO, "***@")
    return pl.coalesce(raw_value(field), pl.col(field).cast(pl.String))


def _explain(code: FindingCode, field: str, frame: pl.DataFrame) -> tuple[pl.Expr, pl.Expr]:
    """(detail, suggestion) expressions; a null detail means the code's own description."""
    located = pl.col("located_label")
    lon, lat = pl.col("longitude").cast(pl.String), pl.col("latitude").cast(pl.String)
    nothing = pl.lit(None, dtype=pl.String)
    if code is F.MISSING_COORDINATES:
        return nothing, pl.lit("请补录经纬度（WGS-84/CGCS2000）")
    if code is F.MISSING_ADMIN_CODE:
        return nothing, pl.when(located.is_not_null()).then(
            pl.concat_str(pl.lit("按经纬度建议行政区划："), located)
        ).otherwise(pl.lit("请补录行政区划（GB/T 2260 代码）"))
    if code.value.startswith("missing_"):
        return nothing, pl.lit(f"请补录{FIELD_BY_NAME[field].zh}")
    if code is F.INVALID_DEVICE_ID:
        return _device_id_detail(frame), pl.when(
            pl.col("device_id").str.contains(SCIENTIFIC_ID.pattern)
        ).then(pl.lit("后几位已丢失：请从设备或平台重新导出设备编码，并将该列设为文本格式")).otherwise(
            pl.lit("按“中心编码8位+行业2位+类型3位+网络1位+序号6位”核对"))
    if code is F.INVALID_ADMIN_CODE:
        return (
            pl.concat_str(pl.lit("“"), pl.col("admin_code"), pl.lit("”不是广西的行政区划代码")),
            pl.when(located.is_not_null()).then(
                pl.concat_str(pl.lit("按经纬度建议行政区划："), located)
            ).otherwise(pl.lit("请按GB/T 2260填写6位（县级）、9位（乡镇）或12位（村级）代码")),
        )
    if code is F.ADMIN_CODE_MISMATCH:
        return _mismatch()
    if code is F.INVALID_COORDINATES:
        return (pl.concat_str(pl.lit("经纬度无法识别："), _value("longitude")),
                pl.lit("填写十进制度（如 108.366543）或度分秒（如 108°21'59.55\"）"))
    if code is F.COORDINATES_OUTSIDE_GUANGXI:
        return (pl.concat_str(pl.lit("点位（"), lon, pl.lit(", "), lat, pl.lit("）不在广西境内")),
                pl.lit("核实经纬度：广西约在东经104.4°–112.1°、北纬20.9°–26.4°之间"))
    if code is F.COORDINATES_SWAPPED:
        return (pl.concat_str(pl.lit("经度 "), lon, pl.lit("、纬度 "), lat, pl.lit(" 填反")),
                pl.concat_str(pl.lit("经度改为 "), lat, pl.lit("，纬度改为 "), lon))
    if code is F.COORDINATES_OUTSIDE_ADMIN_AREA:
        return (
            pl.concat_str(pl.lit("点位位于 "), located, pl.lit("，不在所填 "),
                          pl.col("admin_label"), pl.lit(" 内")),
            pl.concat_str(pl.lit("建议行政区划改为 "), located, pl.lit("，或核实经纬度")),
        )
    return nothing, pl.lit(_FIXED_SUGGESTIONS[code])


_FIXED_SUGGESTIONS: Final[dict[FindingCode, str]] = {
    F.INVALID_STREAM_URL: "地址应形如 rtsp://IP:端口/路径",
    F.INVALID_POINT_CLASS: "填写一类、二类或三类",
    F.INVALID_MAINTENANCE_CONTACT: "填写手机号或带区号的固定电话",
    F.INVALID_INSTALL_DATE: "填写实际安装日期，如 2019-05-12",
    F.INVALID_SECRECY: "填写0（不涉密）或1（涉密）",
}


def _device_id_detail(frame: pl.DataFrame) -> pl.Expr:
    problems = [device_id_problem(d) or "不符合编码规则" for d in frame["device_id"]]
    return pl.concat_str(pl.lit("设备编码不符合GB/T 28181："),
                         pl.Series(problems, dtype=pl.String))


def _mismatch() -> tuple[pl.Expr, pl.Expr]:
    centre = pl.coalesce(pl.col("centre_label"), pl.col("centre"))
    admin = pl.coalesce(pl.col("admin_label"), pl.col("admin_code"))
    located = pl.col("located")
    detail = pl.concat_str(pl.lit("设备编码中心编码 "), centre, pl.lit(" 与行政区划 "), admin,
                           pl.lit(" 不一致"))
    in_admin = located.str.starts_with(significant_prefix(pl.col("admin_code")))
    in_centre = located.str.starts_with(significant_prefix(pl.col("centre")))
    suggestion = (
        pl.when(located.is_not_null() & in_admin)
        .then(pl.lit("经纬度与行政区划一致：请核对设备编码的中心编码"))
        .when(located.is_not_null() & in_centre)
        .then(pl.concat_str(pl.lit("经纬度位于设备编码所属地区：建议行政区划改为 "),
                            pl.col("located_label")))
        .otherwise(pl.lit("请核对设备编码与行政区划"))
    )
    return detail, suggestion
