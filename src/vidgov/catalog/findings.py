"""What the metadata audit can say about a camera record.

The codes are stable identifiers (reports, the API and the synthetic estate's truth file use
them); the Chinese and English labels are what people read. Each code names one root cause:
where one fault makes others meaningless (no coordinates, so nothing to check against the
boundary), the audit reports the root only, so a clerk fixes one thing per finding.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Severity(StrEnum):
    MISSING = "missing"  # counts against completeness
    INVALID = "invalid"  # counts against validity


class FindingCode(StrEnum):
    MISSING_NAME = "missing_name"
    MISSING_ADMIN_CODE = "missing_admin_code"
    MISSING_ADDRESS = "missing_address"
    MISSING_COORDINATES = "missing_coordinates"
    MISSING_DEPARTMENT = "missing_department"
    MISSING_MAINTENANCE_UNIT = "missing_maintenance_unit"
    MISSING_MAINTENANCE_CONTACT = "missing_maintenance_contact"
    MISSING_POINT_CLASS = "missing_point_class"
    MISSING_STREAM_URL = "missing_stream_url"
    INVALID_DEVICE_ID = "invalid_device_id"
    INVALID_ADMIN_CODE = "invalid_admin_code"
    ADMIN_CODE_MISMATCH = "admin_code_mismatch"
    INVALID_COORDINATES = "invalid_coordinates"
    COORDINATES_OUTSIDE_GUANGXI = "coordinates_outside_guangxi"
    COORDINATES_SWAPPED = "coordinates_swapped"
    COORDINATES_OUTSIDE_ADMIN_AREA = "coordinates_outside_admin_area"
    INVALID_STREAM_URL = "invalid_stream_url"
    INVALID_POINT_CLASS = "invalid_point_class"
    INVALID_MAINTENANCE_CONTACT = "invalid_maintenance_contact"
    INVALID_INSTALL_DATE = "invalid_install_date"
    INVALID_SECRECY = "invalid_secrecy"
    DUPLICATE_CAMERA = "duplicate_camera"


#: code -> (severity, 中文说明, English description)
DESCRIPTIONS: Final[dict[FindingCode, tuple[Severity, str, str]]] = {
    FindingCode.MISSING_NAME: (Severity.MISSING, "缺少设备名称", "Camera name is empty"),
    FindingCode.MISSING_ADMIN_CODE: (Severity.MISSING, "缺少行政区划", "Admin code is empty"),
    FindingCode.MISSING_ADDRESS: (Severity.MISSING, "缺少安装地址", "Address is empty"),
    FindingCode.MISSING_COORDINATES: (
        Severity.MISSING, "缺少经纬度", "Longitude or latitude is empty"),
    FindingCode.MISSING_DEPARTMENT: (Severity.MISSING, "缺少所属部门", "Department is empty"),
    FindingCode.MISSING_MAINTENANCE_UNIT: (
        Severity.MISSING, "缺少维护单位", "Maintenance unit is empty"),
    FindingCode.MISSING_MAINTENANCE_CONTACT: (
        Severity.MISSING, "缺少维护单位联系方式", "Maintenance contact is empty"),
    FindingCode.MISSING_POINT_CLASS: (
        Severity.MISSING, "缺少监控点位类型", "Point class (一/二/三类) is empty"),
    FindingCode.MISSING_STREAM_URL: (Severity.MISSING, "缺少视频流地址", "Stream URL is empty"),
    FindingCode.INVALID_DEVICE_ID: (
        Severity.INVALID, "设备编码不符合GB/T 28181", "Device ID is not a GB/T 28181 camera ID"),
    FindingCode.INVALID_ADMIN_CODE: (
        Severity.INVALID, "行政区划代码不是广西的有效区划",
        "Admin code is not a Guangxi division"),
    FindingCode.ADMIN_CODE_MISMATCH: (
        Severity.INVALID, "设备编码中心编码与行政区划不一致",
        "The ID's centre code and the admin code name different places"),
    FindingCode.INVALID_COORDINATES: (
        Severity.INVALID, "经纬度无法识别", "Longitude or latitude cannot be read as a number"),
    FindingCode.COORDINATES_OUTSIDE_GUANGXI: (
        Severity.INVALID, "经纬度不在广西境内", "Coordinates are outside Guangxi"),
    FindingCode.COORDINATES_SWAPPED: (
        Severity.INVALID, "经纬度填反", "Longitude and latitude are swapped"),
    FindingCode.COORDINATES_OUTSIDE_ADMIN_AREA: (
        Severity.INVALID, "经纬度不在所填行政区划范围内",
        "Coordinates are in Guangxi but outside the claimed division"),
    FindingCode.INVALID_STREAM_URL: (
        Severity.INVALID, "视频流地址格式错误", "Stream URL is malformed"),
    FindingCode.INVALID_POINT_CLASS: (
        Severity.INVALID, "监控点位类型应为一类、二类或三类",
        "Point class must be 1, 2 or 3"),
    FindingCode.INVALID_MAINTENANCE_CONTACT: (
        Severity.INVALID, "联系方式不是有效电话号码",
        "Maintenance contact is not a phone number"),
    FindingCode.INVALID_INSTALL_DATE: (
        Severity.INVALID, "安装日期无效", "Install date is unreadable or in the future"),
    FindingCode.INVALID_SECRECY: (
        Severity.INVALID, "保密属性应为0（不涉密）或1（涉密）", "Secrecy must be 0 or 1"),
    FindingCode.DUPLICATE_CAMERA: (
        Severity.INVALID, "疑似重复登记（同名同址的另一设备编码）",
        "Same name and place as another device ID: one camera registered twice"),
}
