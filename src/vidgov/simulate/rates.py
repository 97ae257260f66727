"""How often each catalog fault is injected into a synthetic estate, and reading the rates a
user asks for (``--rate missing_name=0.02``).

Apart from :mod:`vidgov.simulate.defects`, which writes the faults: these are the estate's
settings, checked the same way whether they come from the command line or from code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Final

from vidgov.catalog.findings import FindingCode

F = FindingCode

#: Share of cameras carrying each fault. The source document says records most often lack
#: coordinates, names and maintenance units; with these about 20 % of records carry a fault.
DEFAULT_RATES: Final[Mapping[FindingCode, float]] = MappingProxyType({
    F.MISSING_NAME: 0.015, F.MISSING_ADMIN_CODE: 0.004, F.MISSING_ADDRESS: 0.01,
    F.MISSING_COORDINATES: 0.035, F.MISSING_DEPARTMENT: 0.006,
    F.MISSING_MAINTENANCE_UNIT: 0.03, F.MISSING_MAINTENANCE_CONTACT: 0.02,
    F.MISSING_POINT_CLASS: 0.012, F.MISSING_STREAM_URL: 0.008, F.INVALID_DEVICE_ID: 0.008,
    F.INVALID_ADMIN_CODE: 0.004, F.ADMIN_CODE_MISMATCH: 0.008, F.INVALID_COORDINATES: 0.005,
    F.COORDINATES_OUTSIDE_GUANGXI: 0.004, F.COORDINATES_SWAPPED: 0.008,
    F.COORDINATES_OUTSIDE_ADMIN_AREA: 0.008, F.INVALID_STREAM_URL: 0.008,
    F.INVALID_POINT_CLASS: 0.004, F.INVALID_MAINTENANCE_CONTACT: 0.008,
    F.INVALID_INSTALL_DATE: 0.005, F.INVALID_SECRECY: 0.003, F.DUPLICATE_CAMERA: 0.005,
})


def parse_rates(specs: Sequence[str]) -> dict[FindingCode, float]:
    """``["missing_name=0.02", ...]`` -> rates; the error names the item and what is wrong."""
    rates: dict[FindingCode, float] = {}
    for item in specs:
        name, sep, text = (part.strip() for part in item.partition("="))
        if not sep:
            raise ValueError(f"rate {item!r}: expected CODE=RATE, e.g. missing_name=0.02")
        try:
            code = FindingCode(name)
        except ValueError:
            known = ", ".join(c.value for c in FindingCode)
            raise ValueError(f"rate {item!r}: unknown finding code {name!r}; one of {known}") \
                from None
        try:
            rate = float(text)
        except ValueError:
            raise ValueError(f"rate {item!r}: {text!r} is not a number") from None
        rates[code] = checked_rate(code, rate, item)
    return rates


def checked_rate(code: FindingCode, rate: float, item: object) -> float:
    """The rate, if it is a share of cameras (0..1); the error names the item it came from."""
    if not (math.isfinite(rate) and 0.0 <= rate <= 1.0):
        raise ValueError(f"rate {item!r}: {code.value} must be between 0 and 1, got {rate}")
    return rate
