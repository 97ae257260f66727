"""Small builders for catalog tests: a clean camera record and files made from records."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vidgov.catalog.fields import FIELD_BY_NAME, FIELD_NAMES

CLEAN: dict[str, str] = {
    "device_id": "45010300001320000001",
    "name": "民族大道与竹溪大道交叉口东向西",
    "admin_code": "450103",
    "grassroots_code": "",
    "address": "广西壮族自治区南宁市青秀区民族大道136号附近",
    "longitude": "108.366543",
    "latitude": "22.816",
    "department": "南宁市公安局青秀分局",
    "maintenance_unit": "中国电信股份有限公司南宁分公司",
    "maintenance_contact": "0771-5551234",
    "point_class": "一类",
    "place_type": "道路路口",
    "manufacturer": "海康威视",
    "model": "DS-2CD3T47",
    "install_date": "2019-05-12",
    "stream_url": "rtsp://10.45.12.34:554/Streaming/Channels/101",
    "sub_stream_url": "rtsp://10.45.12.34:554/Streaming/Channels/102",
    "secrecy": "0",
}


def make_camera(serial: int = 1, **changes: Any) -> dict[str, str]:
    """A clean camera in 南宁市青秀区; ``serial`` varies ID, name and position a little."""
    record = dict(CLEAN)
    record["device_id"] = f"450103000013200{serial:05d}"
    record["name"] = f"{CLEAN['name']}{serial}"
    record["longitude"] = f"{108.366543 + serial * 1e-4:.6f}"
    record.update({k: ("" if v is None else str(v)) for k, v in changes.items()})
    return record


def csv_text(
    records: Sequence[dict[str, str]], headers: str = "zh", separator: str = ",",
    title: str | None = None,
) -> str:
    names = list(FIELD_NAMES)
    if headers == "zh":
        header = [FIELD_BY_NAME[n].zh for n in names]
    elif headers == "en":
        header = names
    else:
        header = [FIELD_BY_NAME[n].synonyms[0] if FIELD_BY_NAME[n].synonyms else n
                  for n in names]
    lines = [title] if title else []
    lines.append(separator.join(header))
    for record in records:
        cells = [record.get(n, "") for n in names]
        lines.append(separator.join(_quote(c, separator) for c in cells))
    return "\n".join(lines) + "\n"


def _quote(cell: str, separator: str) -> str:
    if any(ch in cell for ch in (separator, '"', "\n")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def write_csv_file(path: Path, records: Sequence[dict[str, str]], encoding: str = "utf-8",
                   **options: Any) -> Path:
    path.write_bytes(csv_text(records, **options).encode(encoding))
    return path
