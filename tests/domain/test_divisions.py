"""Tests of the shipped Guangxi division table and its lookup API (real data)."""

from __future__ import annotations

import polars as pl
import pytest

from vidgov.domain.divisions import Division, Divisions, Level, load_divisions, normalize_code

CODE_LENGTH = {
    Level.REGION: 6,
    Level.CITY: 6,
    Level.COUNTY: 6,
    Level.TOWNSHIP: 9,
    Level.VILLAGE: 12,
}


@pytest.fixture(scope="module")
def divisions() -> Divisions:
    return load_divisions()


@pytest.mark.parametrize(
    ("level", "count"),
    [
        (Level.REGION, 1),
        (Level.CITY, 14),
        (Level.COUNTY, 111),
        (Level.TOWNSHIP, 1284),
        (Level.VILLAGE, 16681),
    ],
)
def test_counts_per_level(divisions: Divisions, level: Level, count: int) -> None:
    assert len(divisions.of_level(level)) == count


def test_total_and_cached(divisions: Divisions) -> None:
    assert len(divisions) == 1 + 14 + 111 + 1284 + 16681
    assert load_divisions() is divisions


@pytest.mark.parametrize(
    ("code", "name", "level", "parent"),
    [
        ("450000", "广西壮族自治区", Level.REGION, None),
        ("450100", "南宁市", Level.CITY, "450000"),
        ("451400", "崇左市", Level.CITY, "450000"),
        ("450103", "青秀区", Level.COUNTY, "450100"),
        ("450181", "横州市", Level.COUNTY, "450100"),  # was 横县 450127 until 2021
        ("450110", "武鸣区", Level.COUNTY, "450100"),
        ("451481", "凭祥市", Level.COUNTY, "451400"),
        ("450103001", "新竹街道", Level.TOWNSHIP, "450103"),
        ("450181100", "横州镇", Level.TOWNSHIP, "450181"),
        ("450103001005", "新竹社区居委会", Level.VILLAGE, "450103001"),
    ],
)
def test_known_divisions(
    divisions: Divisions, code: str, name: str, level: Level, parent: str | None
) -> None:
    assert divisions.get(code) == Division(code, name, level, parent)
    assert code in divisions


@pytest.mark.parametrize("code", ["450127", "440103", "450199", "", "abc", "45010300100"])
def test_unknown_codes(divisions: Divisions, code: str) -> None:
    assert divisions.get(code) is None
    assert code not in divisions
    assert divisions.county_code(code) is None
    assert divisions.city_code(code) is None
    assert divisions.children(code) == []
    with pytest.raises(KeyError):
        divisions.full_name(code)


@pytest.mark.parametrize(
    ("code", "city", "county"),
    [
        ("450000", None, None),
        ("450100", "450100", None),
        ("4501", "450100", None),
        ("450103", "450100", "450103"),
        ("450103001", "450100", "450103"),
        ("450103001005", "450100", "450103"),
        ("450181100", "450100", "450181"),
        ("451481", "451400", "451481"),
    ],
)
def test_city_and_county_code(
    divisions: Divisions, code: str, city: str | None, county: str | None
) -> None:
    assert divisions.city_code(code) == city
    assert divisions.county_code(code) == county


@pytest.mark.parametrize(
    ("code", "full"),
    [
        ("450000", "广西壮族自治区"),
        ("450100", "广西壮族自治区南宁市"),
        ("450103", "广西壮族自治区南宁市青秀区"),
        ("450103001", "广西壮族自治区南宁市青秀区新竹街道"),
        ("450103001005", "广西壮族自治区南宁市青秀区新竹街道新竹社区居委会"),
    ],
)
def test_full_name(divisions: Divisions, code: str, full: str) -> None:
    assert divisions.full_name(code) == full


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("45", "450000"),
        ("4501", "450100"),
        ("450103", "450103"),
        (" 450103 ", "450103"),
        ("450103000000", "450103"),
        ("450103001000", "450103001"),
        ("450103001005", "450103001005"),
        ("450103000", "450103"),
        ("abc", "abc"),
        ("", ""),
    ],
)
def test_normalize_code(raw: str, canonical: str) -> None:
    assert normalize_code(raw) == canonical


def test_padded_spellings_resolve(divisions: Divisions) -> None:
    assert divisions.get("450103000000") == divisions.get("450103")
    assert divisions.get("450103001000") == divisions.get("450103001")
    assert divisions.get("45") == divisions.get("450000")


def test_children(divisions: Divisions) -> None:
    cities = divisions.children("450000")
    assert [d.code for d in cities] == [f"45{i:02d}00" for i in range(1, 15)]
    nanning = [d.name for d in divisions.children("450100")]
    assert len(nanning) == 12
    assert "横州市" in nanning
    assert divisions.children("450103001005") == []


def test_hierarchy_is_consistent(divisions: Divisions) -> None:
    parent_level = {
        Level.CITY: Level.REGION,
        Level.COUNTY: Level.CITY,
        Level.TOWNSHIP: Level.COUNTY,
        Level.VILLAGE: Level.TOWNSHIP,
    }
    for level in Level:
        for d in divisions.of_level(level):
            assert len(d.code) == CODE_LENGTH[level]
            assert d.code.isdigit()
            assert d.code.startswith("45")
            assert d.name.strip() == d.name
            assert d.name
            if level is Level.REGION:
                assert d.parent_code is None
                continue
            assert d.parent_code is not None
            parent = divisions.get(d.parent_code)
            assert parent is not None
            assert parent.level is parent_level[level]
            prefix = {Level.CITY: 2, Level.COUNTY: 4}.get(level, len(parent.code))
            assert d.code[:prefix] == parent.code[:prefix]


def test_every_county_has_townships(divisions: Divisions) -> None:
    for county in divisions.of_level(Level.COUNTY):
        assert divisions.children(county.code), county


def test_frame(divisions: Divisions) -> None:
    frame = divisions.frame()
    assert frame.columns == ["code", "name", "level", "parent_code", "city_code", "county_code"]
    assert all(dtype == pl.String for dtype in frame.dtypes)
    assert frame.height == len(divisions)
    assert frame["code"].is_unique().all()
    counts = dict(frame.group_by("level").len().iter_rows())
    assert counts == {"region": 1, "city": 14, "county": 111, "township": 1284, "village": 16681}
    row = frame.filter(pl.col("code") == "450103001005").row(0, named=True)
    assert row == {
        "code": "450103001005",
        "name": "新竹社区居委会",
        "level": "village",
        "parent_code": "450103001",
        "city_code": "450100",
        "county_code": "450103",
    }
    region = frame.filter(pl.col("level") == "region").row(0, named=True)
    assert region["parent_code"] is None
    assert region["city_code"] is None
    assert region["county_code"] is None
    assert frame.filter(pl.col("level") == "city")["county_code"].null_count() == 14
    # helper columns agree with the methods
    sample = frame.sample(200, seed=7)
    for code, city, county in sample.select("code", "city_code", "county_code").iter_rows():
        assert divisions.city_code(code) == city
        assert divisions.county_code(code) == county
