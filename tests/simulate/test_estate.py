"""The synthetic estate: realistic shape, deterministic, and a truth list the audit reproduces.

The strongest check runs the real pipeline: the estate is written as a clerk's CSV, imported
and audited, and the findings must equal the truth exactly: every injected fault is found, and
no clean record, whatever valid spelling it uses, produces a finding.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import unicodedata
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from vidgov.catalog.audit import audit
from vidgov.catalog.exporter import write_csv
from vidgov.catalog.fields import FIELD_NAMES
from vidgov.catalog.findings import FindingCode
from vidgov.catalog.importer import import_catalog
from vidgov.catalog.store import read_cameras
from vidgov.domain.divisions import Level, load_divisions
from vidgov.domain.geo import load_boundaries
from vidgov.simulate import vocabulary
from vidgov.simulate.estate import DEFAULT_RATES, Estate, parse_rates, synthesize
from vidgov.store.db import open_store

F = FindingCode
CAMERAS = 5_000
TODAY = dt.date(2026, 11, 25)


@pytest.fixture(scope="module")
def estate() -> Estate:
    return synthesize(CAMERAS, seed=11)


def clean(cell: str | None) -> str | None:
    text = unicodedata.normalize("NFKC", cell).strip() if cell is not None else None
    return None if text in (None, "", "NULL", "无", "-") else text


def audited(records: pl.DataFrame) -> set[tuple[str, str]]:
    """(device_id, code) pairs the real importer and audit find in ``records``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "estate.csv"
        write_csv(records, path, excel_safe=False)
        engine = open_store(f"sqlite:///{Path(folder) / 'vidgov.db'}")
        import_catalog(engine, [path])
        result = audit(read_cameras(engine), load_divisions(), load_boundaries(), TODAY)
        engine.dispose()
    return set(result.findings.select("device_id", "code").iter_rows())


def test_truth_is_exactly_what_the_rules_find(estate: Estate) -> None:
    truth = set(estate.truth.iter_rows())
    found = audited(estate.records)
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
    total = sum(cities[c] for c in vocabulary.CITY_POPULATION)
    population = sum(vocabulary.CITY_POPULATION.values())
    for code, people in vocabulary.CITY_POPULATION.items():
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
    assert audited(quiet.records) == set()


def test_one_rate_raised_others_default() -> None:
    loud = synthesize(1_000, seed=5, rates={F.COORDINATES_SWAPPED: 0.2})
    counts = Counter(loud.truth["code"].to_list())
    assert counts[F.COORDINATES_SWAPPED] == 200
    assert counts[F.MISSING_COORDINATES] == 35
    assert set(loud.truth.iter_rows()) == audited(loud.records)


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
