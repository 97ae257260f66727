"""The synthetic estate: realistic shape, deterministic, and a truth list the audit rules reproduce.

The strongest check is :func:`reference_findings`: a small, independent audit written from the
rules the estate promises (one root-cause code per fault). On a 5,000-camera estate its findings
must equal the truth exactly: every injected fault is found, and no clean record — whatever
valid spelling it uses — produces a finding.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter

import numpy as np
import polars as pl
import pytest

from vidgov.catalog.fields import FIELD_NAMES, MANDATORY
from vidgov.catalog.findings import FindingCode
from vidgov.domain.divisions import Level, load_divisions
from vidgov.domain.geo import load_boundaries
from vidgov.domain.ids import admin_code_matches_centre, device_id_problem
from vidgov.simulate import vocabulary as V
from vidgov.simulate.estate import DEFAULT_RATES, Estate, parse_rates, synthesize

F = FindingCode
CAMERAS = 5_000
TODAY = dt.date(2026, 11, 25)
EMPTY = {"", "null", "无", "-"}
DECIMAL = re.compile(r"[+-]?\d+(\.\d+)?")
DMS = re.compile(r"(\d+)[°度](\d+)['′分](\d+(?:\.\d+)?)(?:\"|″|′′|''|秒)")
DATE = re.compile(r"(\d{4})(?:-(\d{1,2})-(\d{1,2})|/(\d{1,2})/(\d{1,2})|年(\d{1,2})月(\d{1,2})日)")
URL = re.compile(r"(rtsp|rtsps|rtmp|http|https)://[^/\s:]+(:\d+)?(/\S*)?")
PHONE = re.compile(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}")
POINT_CLASSES = {"1", "2", "3", "一类", "二类", "三类"}
SECRECY = {"0", "1", "不涉密", "涉密"}


@pytest.fixture(scope="module")
def estate() -> Estate:
    return synthesize(CAMERAS, seed=11)


def clean(cell: str | None) -> str | None:
    """What the importer keeps of a cell: NFKC, stripped, blank tokens -> None."""
    if cell is None:
        return None
    text = unicodedata.normalize("NFKC", cell).strip()
    return None if text.lower() in EMPTY else text


def degrees(text: str) -> float | None:
    if DECIMAL.fullmatch(text):
        return float(text)
    m = DMS.fullmatch(text)
    return None if m is None else int(m[1]) + int(m[2]) / 60 + float(m[3]) / 3600


def date_problem(text: str) -> bool:
    m = DATE.fullmatch(text)
    if m is None:
        return True
    y, mo, d = (int(g) for g in [m[1], *[g for g in m.groups()[1:] if g is not None]])
    try:
        return dt.date(y, mo, d) > TODAY
    except ValueError:
        return True


def reference_findings(records: pl.DataFrame) -> set[tuple[str, str]]:
    """(device_id, code) pairs by the estate's rules: one root cause per fault."""
    divisions, boundaries = load_divisions(), load_boundaries()
    rows = [{k: clean(v) for k, v in r.items()} for r in records.iter_rows(named=True)]
    found: set[tuple[str, str]] = set()
    geo: list[tuple[str, str | None, float, float]] = []
    for raw, r in zip(records.iter_rows(named=True), rows, strict=True):
        key = raw["device_id"]
        for field in MANDATORY:
            if field not in {"device_id", "longitude", "latitude"} and r[field] is None:
                found.add((key, f"missing_{field}"))
        id_ok = r["device_id"] is not None and device_id_problem(r["device_id"]) is None
        if not id_ok:
            found.add((key, F.INVALID_DEVICE_ID))
        admin = r["admin_code"]
        admin_ok = admin is not None and admin in divisions
        if admin is not None and not admin_ok:
            found.add((key, F.INVALID_ADMIN_CODE))
        if admin_ok and id_ok and not admin_code_matches_centre(str(admin), key[:8]):
            found.add((key, F.ADMIN_CODE_MISMATCH))
        if r["longitude"] is None or r["latitude"] is None:
            found.add((key, F.MISSING_COORDINATES))
        else:
            lon, lat = degrees(r["longitude"]), degrees(r["latitude"])
            if lon is None or lat is None:
                found.add((key, F.INVALID_COORDINATES))
            else:
                geo.append((key, admin if admin_ok else None, lon, lat))
        if r["stream_url"] is not None and not URL.fullmatch(r["stream_url"]):
            found.add((key, F.INVALID_STREAM_URL))
        if r["point_class"] is not None and r["point_class"] not in POINT_CLASSES:
            found.add((key, F.INVALID_POINT_CLASS))
        contact = r["maintenance_contact"]
        if contact is not None and not PHONE.fullmatch(contact):
            found.add((key, F.INVALID_MAINTENANCE_CONTACT))
        if r["install_date"] is not None and date_problem(r["install_date"]):
            found.add((key, F.INVALID_INSTALL_DATE))
        if r["secrecy"] is not None and r["secrecy"] not in SECRECY:
            found.add((key, F.INVALID_SECRECY))
    keys = [g[0] for g in geo]
    lon, lat = np.array([g[2] for g in geo]), np.array([g[3] for g in geo])
    inside = boundaries.in_guangxi(lon, lat)
    swapped = boundaries.in_guangxi(lat, lon)
    claimed = [(i, g[1]) for i, g in enumerate(geo) if g[1] is not None and g[1] != "450000"]
    idx = np.array([i for i, _ in claimed], dtype=np.intp)
    in_area = np.ones(len(geo), dtype=bool)
    in_area[idx] = boundaries.inside([c for _, c in claimed], lon[idx], lat[idx])
    for i, k in enumerate(keys):
        if not inside[i]:
            found.add((k, F.COORDINATES_SWAPPED if swapped[i] else F.COORDINATES_OUTSIDE_GUANGXI))
        elif not in_area[i]:
            found.add((k, F.COORDINATES_OUTSIDE_ADMIN_AREA))
    names = Counter(r["name"] for r in rows if r["name"] is not None)
    for raw, r in zip(records.iter_rows(named=True), rows, strict=True):
        if r["name"] is not None and names[r["name"]] > 1:
            found.add((raw["device_id"], F.DUPLICATE_CAMERA))
    return {(k, str(c)) for k, c in found}


def test_truth_is_exactly_what_the_rules_find(estate: Estate) -> None:
    truth = set(estate.truth.iter_rows())
    found = reference_findings(estate.records)
    assert found - truth == set(), "clean cells reported as faults"
    assert truth - found == set(), "injected faults the rules do not see"
    assert estate.truth.height == len(truth)


def test_records_are_strings_with_the_catalog_columns(estate: Estate) -> None:
    assert estate.records.columns == list(FIELD_NAMES)
    assert set(estate.records.dtypes) == {pl.String}
    assert estate.truth.columns == ["device_id", "code"]
    assert estate.records.height == CAMERAS


def test_same_seed_same_estate_other_seed_other_estate(estate: Estate) -> None:
    again = synthesize(CAMERAS, seed=11)
    assert again.records.equals(estate.records)
    assert again.truth.equals(estate.truth)
    assert not synthesize(CAMERAS, seed=12).records.equals(estate.records)


def test_ids_and_clean_names_are_unique(estate: Estate) -> None:
    assert estate.records["device_id"].n_unique() == CAMERAS
    dupes = set(estate.truth.filter(pl.col("code") == F.DUPLICATE_CAMERA)["device_id"])
    names = [clean(n) for n, i in estate.records.select("name", "device_id").iter_rows()
             if i not in dupes]
    present = [n for n in names if n is not None]
    assert len(set(present)) == len(present)


def test_city_shares_follow_population(estate: Estate) -> None:
    divisions = load_divisions()
    codes = estate.records["admin_code"].drop_nulls().to_list()
    cities = Counter(divisions.city_code(c) for c in codes if c in divisions)
    total = sum(cities[c] for c in V.CITY_POPULATION)
    population = sum(V.CITY_POPULATION.values())
    for code, people in V.CITY_POPULATION.items():
        assert cities[code] / total == pytest.approx(people / population, abs=0.005), code


@pytest.mark.parametrize(("level", "digits", "share"), [
    (Level.REGION, 6, 0.005), (Level.CITY, 6, 0.10), (Level.COUNTY, 6, 0.445),
    (Level.TOWNSHIP, 9, 0.30), (Level.VILLAGE, 12, 0.15)])
def test_all_five_levels_present(estate: Estate, level: Level, digits: int, share: float) -> None:
    divisions = load_divisions()
    levels = Counter(d.level for c in estate.records["admin_code"].drop_nulls().to_list()
                     if (d := divisions.get(c)) is not None and len(c) == len(d.code))
    assert levels[level] / CAMERAS == pytest.approx(share, rel=0.35, abs=0.003)
    assert all(len(d.code) == digits for d in divisions.of_level(level)[:1])


def test_police_and_political_legal_own_about_95_percent(estate: Estate) -> None:
    owners = estate.records["department"].drop_nulls().str.strip_chars()
    share = owners.str.contains("公安|政法").mean()
    assert isinstance(share, float)
    assert 0.93 <= share <= 0.975


def test_grassroots_code_is_the_township_or_village_code(estate: Estate) -> None:
    both = estate.records.filter(pl.col("admin_code").str.len_chars() >= 9)
    assert both.height > CAMERAS * 0.3
    assert (both["grassroots_code"] == both["admin_code"]).mean() == pytest.approx(1, abs=0.01)


def test_clerks_spellings_are_all_there(estate: Estate) -> None:
    """The valid variants the importer must normalise all occur in a 5,000-camera estate."""
    lon = estate.records["longitude"].drop_nulls()
    dates = estate.records["install_date"].drop_nulls()
    for pattern in ("°", "度", "″", "１", r"^\s", r"\s$"):
        assert lon.str.contains(pattern).any(), pattern
    for pattern in (r"^\d{4}-\d\d-\d\d$", r"^\d{4}/\d{1,2}/\d{1,2}$", "年"):
        assert dates.str.contains(pattern).any(), pattern
    cells = set(estate.records["secrecy"].to_list()) | set(estate.records["point_class"])
    assert {"0", "不涉密", "1", "一类", "二类", "三类", "NULL", "无", "-", None} <= cells


@pytest.mark.parametrize("code", list(FindingCode))
def test_each_code_injected_at_its_rate(estate: Estate, code: FindingCode) -> None:
    count = estate.truth.filter(pl.col("code") == code.value).height
    assert count == pytest.approx(DEFAULT_RATES[code] * CAMERAS, abs=1.01)


def test_about_a_fifth_of_records_carry_a_fault(estate: Estate) -> None:
    faulty = estate.truth["device_id"].n_unique() / CAMERAS
    assert 0.15 <= faulty <= 0.25


def test_zero_rates_give_a_clean_estate() -> None:
    quiet = synthesize(800, seed=3, rates=dict.fromkeys(FindingCode, 0.0))
    assert quiet.truth.is_empty()
    assert reference_findings(quiet.records) == set()


def test_one_rate_raised_others_default() -> None:
    loud = synthesize(1_000, seed=5, rates={F.COORDINATES_SWAPPED: 0.2})
    counts = Counter(loud.truth["code"].to_list())
    assert counts[F.COORDINATES_SWAPPED] == 200
    assert counts[F.MISSING_COORDINATES] == 35
    assert set(loud.truth.iter_rows()) == reference_findings(loud.records)


def test_empty_estate() -> None:
    empty = synthesize(0, seed=1)
    assert empty.records.columns == list(FIELD_NAMES)
    assert empty.records.is_empty()
    assert empty.truth.is_empty()


@pytest.mark.parametrize(("specs", "expected"), [
    (["missing_name=0.02"], {F.MISSING_NAME: 0.02}),
    ([" duplicate_camera = 0 ", "invalid_secrecy=1"],
     {F.DUPLICATE_CAMERA: 0.0, F.INVALID_SECRECY: 1.0}),
    ([], {}),
])
def test_parse_rates(specs: list[str], expected: dict[FindingCode, float]) -> None:
    assert parse_rates(specs) == expected


@pytest.mark.parametrize(("spec", "message"), [
    ("missing_name", "expected CODE=RATE"),
    ("missing_nam=0.1", "unknown finding code 'missing_nam'"),
    ("missing_name=abc", "'abc' is not a number"),
    ("missing_name=1.5", "between 0 and 1"),
    ("missing_name=-0.1", "between 0 and 1"),
    ("missing_name=nan", "between 0 and 1"),
])
def test_bad_rate_specs_name_the_item(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        parse_rates(["invalid_secrecy=0.1", spec])
    assert spec in str(info.value)


def test_bad_rates_and_counts_rejected() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        synthesize(10, seed=1, rates={F.MISSING_NAME: 2.0})
    with pytest.raises(ValueError, match="cameras"):
        synthesize(-1, seed=1)
