"""The camera record's fields: names in code, the Chinese names clerks use, header synonyms.

One table drives the importer (header matching), the exporter (column order and headers), the
completeness score (mandatory fields) and the documentation, so they cannot drift apart.
The fields follow the GB/T 28181-2022 catalogue items the national assessment looks at.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Kind(StrEnum):
    """How a cell is parsed: the store keeps the typed value."""

    TEXT = "text"
    CODE = "code"  # digits that must stay text (IDs, admin codes)
    FLOAT = "float"
    COORDINATE = "coordinate"  # decimal degrees or degree-minute-second
    INT = "int"
    DATE = "date"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    zh: str
    kind: Kind
    mandatory: bool
    synonyms: tuple[str, ...]
    en: str


FIELDS: Final[tuple[Field, ...]] = (
    Field("device_id", "设备编码", Kind.CODE, True,
          ("国标编码", "设备国标编码", "国标ID", "设备ID", "设备编号", "通道编码", "摄像机编码",
           "deviceid", "id", "gbid"), "Device ID"),
    Field("name", "设备名称", Kind.TEXT, True,
          ("点位名称", "摄像机名称", "监控点名称", "名称", "通道名称", "camera_name"), "Name"),
    Field("admin_code", "行政区划", Kind.CODE, True,
          ("行政区划代码", "行政区划编码", "行政区域", "区划代码", "区划编码", "civilcode",
           "civil_code", "area_code"), "Admin code"),
    Field("grassroots_code", "基层组织编码", Kind.CODE, False,
          ("基层组织", "基层单位编码", "社区编码", "村居编码"), "Grassroots unit code"),
    Field("address", "安装地址", Kind.TEXT, True,
          ("地址", "安装位置", "点位地址", "详细地址", "位置"), "Address"),
    Field("longitude", "经度", Kind.COORDINATE, True, ("lng", "lon", "x"), "Longitude"),
    Field("latitude", "纬度", Kind.COORDINATE, True, ("lat", "y"), "Latitude"),
    Field("department", "所属部门", Kind.TEXT, True,
          ("建设单位", "所属单位", "管理部门", "权属单位", "业主单位", "owner"), "Department"),
    Field("maintenance_unit", "维护单位", Kind.TEXT, True,
          ("所属管理单位", "运维单位", "维保单位", "管理单位", "maintainer"), "Maintenance unit"),
    Field("maintenance_contact", "联系方式", Kind.TEXT, True,
          ("维护单位联系方式", "运维联系方式", "联系电话", "维护电话", "contact"),
          "Maintenance contact"),
    Field("point_class", "监控点位类型", Kind.INT, True,
          ("点位类型", "点位级别", "点位等级", "监控点类型", "pointclass"), "Point class"),
    Field("place_type", "场所类型", Kind.TEXT, False,
          ("位置类型", "场所", "重点场所类型", "place"), "Place type"),
    Field("manufacturer", "设备厂商", Kind.TEXT, False,
          ("厂商", "生产厂商", "厂家", "品牌", "vendor"), "Manufacturer"),
    Field("model", "设备型号", Kind.TEXT, False, ("型号", "规格型号"), "Model"),
    Field("install_date", "安装日期", Kind.DATE, False,
          ("安装时间", "建设时间", "建设日期", "启用日期", "installed"), "Install date"),
    Field("stream_url", "视频流地址", Kind.TEXT, True,
          ("取流地址", "主码流地址", "播放地址", "rtsp地址", "url", "rtsp"), "Stream URL"),
    Field("sub_stream_url", "子码流地址", Kind.TEXT, False,
          ("辅码流地址", "substream", "sub_url"), "Sub-stream URL"),
    Field("secrecy", "保密属性", Kind.INT, False, ("涉密属性", "是否涉密", "secret"), "Secrecy"),
)

FIELD_BY_NAME: Final[dict[str, Field]] = {f.name: f for f in FIELDS}
FIELD_NAMES: Final[tuple[str, ...]] = tuple(f.name for f in FIELDS)
MANDATORY: Final[tuple[str, ...]] = tuple(f.name for f in FIELDS if f.mandatory)

#: Decorations clerks put around headers: "设备编码（必填）", "*经度", "经度(°)".
_HEADER_NOISE = re.compile(r"[\s*＊_\-:：]|[（(][^）)]*[）)]")


def header_key(text: str) -> str:
    """Reduce a header cell to the key we look up: NFKC, no noise, lower case."""
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", text)).lower()


def _build_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for f in FIELDS:
        for alias in (f.name, f.zh, f.en, *f.synonyms):
            lookup[header_key(alias)] = f.name
    return lookup


HEADER_LOOKUP: Final[dict[str, str]] = _build_lookup()


def match_header(text: str) -> str | None:
    """The field a header cell names, or None for a column we do not know."""
    return HEADER_LOOKUP.get(header_key(text))


POINT_CLASS_NAMES: Final[dict[int, str]] = {1: "一类点", 2: "二类点", 3: "三类点"}
SECRECY_NAMES: Final[dict[int, str]] = {0: "不涉密", 1: "涉密"}
