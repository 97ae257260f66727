"""Writing a synthetic estate the way a clerk's spreadsheet would hold it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vidgov.catalog.exporter import Encoding, Headers, rename_headers, write_csv, write_xlsx
from vidgov.errors import InvalidInput
from vidgov.simulate.estate import parse_rates, synthesize


@dataclass(frozen=True)
class Written:
    records: int
    defects: int


def write_estate(
    cameras: int, seed: int, rate_specs: Sequence[str], out: Path, truth: Path | None,
    encoding: Encoding = Encoding.UTF8_BOM, headers: Headers = Headers.ZH,
) -> Written:
    """Synthesise and write; ``.xlsx`` output gives a workbook, anything else CSV."""
    try:
        rates = parse_rates(rate_specs) if rate_specs else None
    except ValueError as exc:
        raise InvalidInput(f"--rate: {exc}") from exc
    estate = synthesize(cameras, seed, rates)
    records = rename_headers(estate.records, headers)
    if out.suffix.lower() == ".xlsx":
        write_xlsx({"设备目录" if headers is Headers.ZH else "catalog": records}, out)
    else:
        # The estate holds the raw mistakes clerks make: written exactly, not made Excel-safe.
        write_csv(records, out, encoding, excel_safe=False)
    if truth is not None:
        write_csv(estate.truth, truth, Encoding.UTF8, excel_safe=False)
    return Written(records=estate.records.height, defects=estate.truth.height)
