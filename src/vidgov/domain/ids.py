"""GB/T 28181 device IDs and GB/T 2260 administrative codes.

Every camera in the estate is keyed by its 20-digit GB/T 28181 ID (编码规则A):

    centre(8) industry(2) type(3) network(1) serial(6)
    45010300  00          132     0          000123

The centre code is the administrative code of the monitoring centre the device belongs to
(province 2 + city 2 + county 2 + grassroots unit 2, unused places are zeros), which is why the
audit can check an ID against the admin code a clerk typed next to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from vidgov.errors import InvalidDeviceId

INDUSTRY_NAMES: Final[dict[str, str]] = {
    "00": "社会治安路面接入",
    "01": "社会治安社区接入",
    "02": "社会治安内部接入",
    "03": "社会治安其他接入",
    "04": "交通路面接入",
    "05": "交通卡口接入",
    "06": "交通内部接入",
    "07": "交通其他接入",
    "08": "城市管理接入",
    "09": "卫生环保接入",
    "10": "商检海关接入",
    "11": "教育部门接入",
    **{f"{n:02d}": "预留（政府机关）" for n in range(12, 40)},
    "40": "农林牧渔业接入",
    "41": "采矿企业接入",
    "42": "制造企业接入",
    "43": "冶金企业接入",
    "44": "电力企业接入",
    "45": "燃气企业接入",
    "46": "建筑企业接入",
    "47": "物流企业接入",
    "48": "邮政企业接入",
    "49": "信息企业接入",
    "50": "住宿和餐饮业接入",
    "51": "金融企业接入",
    "52": "房地产业接入",
    "53": "商务服务业接入",
    "54": "水利企业接入",
    "55": "娱乐企业接入",
    **{f"{n:02d}": "预留（企业）" for n in range(56, 80)},
    **{f"{n:02d}": "预留（其他）" for n in range(80, 100)},
}

TYPE_NAMES: Final[dict[str, str]] = {
    "111": "DVR",
    "112": "视频服务器",
    "113": "编码器",
    "114": "解码器",
    "115": "视频切换矩阵",
    "116": "音频切换矩阵",
    "117": "报警控制器",
    "118": "网络视频录像机（NVR）",
    "119": "混合硬盘录像机（HVR）",
    "131": "摄像机",
    "132": "网络摄像机（IPC）",
    "133": "显示器",
    "134": "报警输入设备",
    "135": "报警输出设备",
    "136": "语音输入设备",
    "137": "语音输出设备",
    "138": "移动传输设备",
    "139": "其他外围设备",
    "200": "中心信令控制服务器",
    "201": "Web应用服务器",
    "202": "媒体分发服务器",
    "203": "代理服务器",
    "204": "安全服务器",
    "205": "报警服务器",
    "206": "数据库服务器",
    "207": "GIS服务器",
    "208": "管理服务器",
    "209": "接入网关",
    "210": "媒体存储服务器",
    "211": "信令安全路由网关",
    "215": "业务分组",
    "216": "虚拟组织",
    "300": "中心用户",
    "400": "终端用户",
}

#: Type codes that name a device producing video: what a camera record may carry.
CAMERA_TYPES: Final[frozenset[str]] = frozenset({"131", "132"})

NETWORK_NAMES: Final[dict[str, str]] = {
    **{str(n): "监控报警专网" for n in range(5)},
    "5": "公安信息网",
    "6": "政务网",
    "7": "Internet",
    "8": "社会资源接入网",
    "9": "预留",
}

_DIGITS_20 = re.compile(r"\d{20}")
_ADMIN_CODE = re.compile(r"\d{6}(\d{3}(\d{3})?)?")
#: What Excel does to a long number: 4.50103E+19, 4.50103000001320E19 ...
SCIENTIFIC_ID = re.compile(r"[+-]?\d(\.\d+)?[eE][+]?\d+")


@dataclass(frozen=True, slots=True)
class DeviceId:
    """A validated 20-digit GB/T 28181 ID; construct with :meth:`parse` or :meth:`compose`."""

    value: str

    def __post_init__(self) -> None:
        problem = device_id_problem(self.value)
        if problem is not None:
            raise InvalidDeviceId(f"{self.value!r} is not a GB/T 28181 device ID: {problem}")

    @classmethod
    def parse(cls, text: str) -> DeviceId:
        return cls(text.strip())

    @classmethod
    def compose(
        cls, centre: str, industry: str, type_code: str, network: str, serial: int
    ) -> DeviceId:
        """Build an ID from its parts; centre may be a 6-digit admin code (padded with '00')."""
        centre = centre.ljust(8, "0")
        if not 0 <= serial <= 999_999:
            raise InvalidDeviceId(f"serial must be 0..999999, got {serial}")
        return cls(f"{centre}{industry}{type_code}{network}{serial:06d}")

    @property
    def centre(self) -> str:
        return self.value[:8]

    @property
    def industry(self) -> str:
        return self.value[8:10]

    @property
    def type_code(self) -> str:
        return self.value[10:13]

    @property
    def network(self) -> str:
        return self.value[13]

    @property
    def serial(self) -> str:
        return self.value[14:]

    @property
    def admin_code(self) -> str:
        """The 6-digit GB/T 2260 code inside the centre code (province, city, county)."""
        return self.value[:6]

    @property
    def industry_name(self) -> str:
        return INDUSTRY_NAMES[self.industry]

    @property
    def type_name(self) -> str:
        return TYPE_NAMES[self.type_code]

    @property
    def network_name(self) -> str:
        return NETWORK_NAMES[self.network]

    def __str__(self) -> str:
        return self.value


def device_id_problem(text: str) -> str | None:
    """Why ``text`` is not a usable camera ID, or None when it is one.

    The reasons are the ones clerks meet: Excel's scientific notation, a digit lost or added,
    letters typed into the ID, a type code that names a server rather than a camera.
    """
    if SCIENTIFIC_ID.fullmatch(text):
        return "scientific notation (a spreadsheet rounded the ID; its digits are lost)"
    if not text.isascii() or not text.isdigit():
        return "contains characters other than digits"
    if len(text) != 20:
        return f"expected 20 digits, got {len(text)}"
    if text[10:13] not in CAMERA_TYPES:
        name = TYPE_NAMES.get(text[10:13], "unknown")
        return f"type code {text[10:13]} ({name}) is not a camera (131/132)"
    if text[:2] == "00":
        return "centre code 00 is not a province"
    return None


def significant_admin_prefix(code: str) -> str:
    """The part of a GB/T 2260 code that names a division: '450100' -> '4501'.

    Trailing '00' pairs mean 'not this level' at province, city and county level; township and
    village codes (9 and 12 digits) are kept whole.
    """
    if len(code) > 6:
        return code
    prefix = code
    while len(prefix) > 2 and prefix.endswith("00"):
        prefix = prefix[:-2]
    return prefix


def admin_code_matches_centre(admin_code: str, centre: str) -> bool:
    """Whether an ID's centre code and a camera's admin code name the same place.

    One may be coarser than the other (a county camera registered on the city platform), so they
    agree when one's significant prefix starts the other's, compared down to county level.
    """
    a = significant_admin_prefix(admin_code[:6])
    c = significant_admin_prefix(centre[:6])
    return a.startswith(c) or c.startswith(a)


def is_admin_code_shape(text: str) -> bool:
    """6, 9 or 12 digits: county and above, township, village."""
    return _ADMIN_CODE.fullmatch(text) is not None


def is_device_id_shape(text: str) -> bool:
    return _DIGITS_20.fullmatch(text) is not None
