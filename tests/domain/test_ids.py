"""GB/T 28181 device IDs: parse, compose, and the mistakes the audit must recognise."""

from __future__ import annotations

import pytest

from vidgov.domain.ids import (
    DeviceId,
    admin_code_matches_centre,
    device_id_problem,
    significant_admin_prefix,
)
from vidgov.errors import InvalidDeviceId


def test_parse_names_every_part() -> None:
    device = DeviceId.parse(" 45010300001320000123 ")
    assert (device.centre, device.industry, device.type_code, device.network, device.serial) == (
        "45010300", "00", "132", "0", "000123")
    assert (device.industry_name, device.type_name, device.network_name) == (
        "社会治安路面接入", "网络摄像机（IPC）", "监控报警专网")
    assert device.admin_code == "450103"


def test_compose_round_trips() -> None:
    device = DeviceId.compose("450103", "04", "131", "6", 42)
    assert str(device) == "45010300041316000042"
    assert device == DeviceId.parse(str(device))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("4.50103000013200E+19", "scientific notation"),
        ("4501030000132000012", "expected 20 digits, got 19"),
        ("450103000013200001234", "expected 20 digits, got 21"),
        ("45010300O01320000123", "other than digits"),
        ("45010300002000000123", "not a camera"),
        ("00010300001320000123", "not a province"),
    ],
)
def test_mangled_ids_are_refused_with_the_reason(text: str, problem: str) -> None:
    assert problem in (device_id_problem(text) or "")
    with pytest.raises(InvalidDeviceId, match=problem):
        DeviceId.parse(text)


def test_compose_refuses_a_serial_out_of_range() -> None:
    with pytest.raises(InvalidDeviceId, match="serial"):
        DeviceId.compose("450103", "00", "132", "0", 1_000_000)


@pytest.mark.parametrize(
    ("admin", "centre", "agree"),
    [
        ("450103", "45010300", True),
        ("450103001", "45010300", True),  # township under its county's centre
        ("450100", "45010300", True),  # city claim, county centre
        ("450000", "45030400", True),  # region claim
        ("450103", "45020200", False),
        ("450304", "45010000", False),
    ],
)
def test_centre_code_against_admin_code(admin: str, centre: str, agree: bool) -> None:
    assert admin_code_matches_centre(admin, centre) is agree


@pytest.mark.parametrize(
    ("code", "prefix"),
    [("450000", "45"), ("450100", "4501"), ("450103", "450103"), ("450103001", "450103001")],
)
def test_significant_prefix(code: str, prefix: str) -> None:
    assert significant_admin_prefix(code) == prefix
