"""Tests of the shipped Guangxi boundaries and vectorised point lookups (real data).

Reference answers come from plain shapely predicates evaluated point by point,
so the grid shortcut in vidgov.domain.geo is checked against GEOS itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest
import shapely

from vidgov.domain.divisions import Level, load_divisions
from vidgov.domain.geo import Boundaries, load_boundaries

GX = "450000"

# Points at least ~1.3 km from their county's border in the shipped polygons.
KNOWN_POINTS = [
    ("450103", 108.38, 22.82),  # 南宁市青秀区
    ("450502", 109.11, 21.04),  # 北海市海城区, 涠洲岛 (an island part)
    ("450321", 110.49, 24.78),  # 桂林市阳朔县
    ("451002", 106.62, 23.90),  # 百色市右江区
    ("450181", 109.27, 22.68),  # 南宁市横州市
    ("451202", 108.06, 24.69),  # 河池市金城江区
    ("450902", 110.16, 22.64),  # 玉林市玉州区
    ("450681", 107.97, 21.55),  # 防城港市东兴市
    ("450702", 108.62, 21.95),  # 钦州市钦南区
]

# Points well outside Guangxi (>= 0.16 degrees from its outline).
OUTSIDE_POINTS = [
    ("Guangzhou, Guangdong", 113.26, 23.13),
    ("Zhanjiang, Guangdong", 110.36, 21.27),
    ("Xinyi, Guangdong", 110.95, 22.35),
    ("Jianghua, Hunan", 111.58, 25.18),
    ("Guiyang, Guizhou", 106.63, 26.65),
    ("Funing, Yunnan", 105.63, 23.63),
    ("Hanoi, Vietnam", 105.85, 21.03),
    ("Cao Bang, Vietnam", 106.25, 22.67),
    ("Haikou, Hainan", 110.33, 20.03),
    ("Gulf of Tonkin (sea)", 108.80, 21.20),
]


def polygon(bounds: Boundaries, code: str) -> Any:
    """The polygon of ``code``, which must exist."""
    geom = bounds.geometry(code)
    assert geom is not None, code
    return geom


@pytest.fixture(scope="module")
def bounds() -> Boundaries:
    return load_boundaries()


@pytest.fixture(scope="module")
def county_codes() -> list[str]:
    return [d.code for d in load_divisions().of_level(Level.COUNTY)]


def random_points(n: int, seed: int, pad: float = 0.2) -> tuple[npt.NDArray[np.float64], ...]:
    """Uniform points over Guangxi's bounding box grown by ``pad`` degrees."""
    b = load_boundaries().bounds
    rng = np.random.default_rng(seed)
    return rng.uniform(b[0] - pad, b[2] + pad, n), rng.uniform(b[1] - pad, b[3] + pad, n)


def reference_county(
    bounds: Boundaries, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
) -> list[str]:
    """County of each point by brute force over all county polygons."""
    codes = [d.code for d in load_divisions().of_level(Level.COUNTY)]
    geoms = np.array([bounds.geometry(c) for c in codes], dtype=object)
    out = [""] * len(lon)
    for code, geom in zip(codes, geoms, strict=True):
        for i in np.flatnonzero(shapely.intersects_xy(geom, lon, lat)):
            out[i] = code
    return out


def test_loaded_once_with_all_polygons(bounds: Boundaries, county_codes: list[str]) -> None:
    assert load_boundaries() is bounds
    divisions = load_divisions()
    for level in (Level.REGION, Level.CITY, Level.COUNTY):
        for d in divisions.of_level(level):
            geom = bounds.geometry(d.code)
            assert geom is not None, d
            assert geom.geom_type in ("Polygon", "MultiPolygon")
            assert geom.is_valid
    assert len(county_codes) == 111
    x0, y0, x1, y1 = bounds.bounds
    assert 104.0 < x0 < 105.0
    assert 111.5 < x1 < 112.5
    assert 20.5 < y0 < 21.5
    assert 26.0 < y1 < 26.6


def test_polygons_form_a_partition(bounds: Boundaries, county_codes: list[str]) -> None:
    """The lookup shortcuts assume this (areas in square degrees)."""
    counties = [polygon(bounds, c) for c in county_codes]
    union = shapely.union_all(counties)
    assert sum(g.area for g in counties) - union.area < 1e-9  # no overlaps
    region = polygon(bounds, GX)
    assert union.difference(region).area < 1e-9
    assert region.symmetric_difference(union).area < 1e-6
    for city in load_divisions().of_level(Level.CITY):
        geom = polygon(bounds, city.code)
        kids = shapely.union_all(
            [g for c, g in zip(county_codes, counties, strict=True) if c[:4] == city.code[:4]]
        )
        assert geom.symmetric_difference(kids).area < 1e-6, city


@pytest.mark.parametrize(("code", "lon", "lat"), KNOWN_POINTS)
def test_known_points(bounds: Boundaries, code: str, lon: float, lat: float) -> None:
    x, y = np.array([lon]), np.array([lat])
    assert bounds.county_of(x, y).tolist() == [code]
    city = code[:4] + "00"
    assert bounds.inside(np.array([code, city, GX]), np.repeat(x, 3), np.repeat(y, 3)).all()
    assert bounds.in_guangxi(x, y).tolist() == [True]


@pytest.mark.parametrize(("place", "lon", "lat"), OUTSIDE_POINTS)
def test_points_outside_guangxi(bounds: Boundaries, place: str, lon: float, lat: float) -> None:
    x, y = np.array([lon]), np.array([lat])
    assert bounds.county_of(x, y).tolist() == [""], place
    assert bounds.in_guangxi(x, y).tolist() == [False], place
    assert not bounds.inside(np.array([GX]), x, y).any(), place


def test_swapped_lon_lat_is_outside(bounds: Boundaries) -> None:
    lon = np.array([p[1] for p in KNOWN_POINTS])
    lat = np.array([p[2] for p in KNOWN_POINTS])
    assert (bounds.county_of(lat, lon) == "").all()
    assert not bounds.in_guangxi(lat, lon).any()
    assert not bounds.inside(np.array([p[0] for p in KNOWN_POINTS]), lat, lon).any()


def test_every_county_maps_back(bounds: Boundaries, county_codes: list[str]) -> None:
    points = [polygon(bounds, c).representative_point() for c in county_codes]
    lon = np.array([p.x for p in points])
    lat = np.array([p.y for p in points])
    assert bounds.county_of(lon, lat).tolist() == county_codes
    assert bounds.inside(np.array(county_codes), lon, lat).all()
    cities = np.array([c[:4] + "00" for c in county_codes])
    assert bounds.inside(cities, lon, lat).all()
    assert bounds.in_guangxi(lon, lat).all()
    # and no county claims another county's point
    shifted = np.roll(np.array(county_codes), 1)
    assert not bounds.inside(shifted, lon, lat).any()


@pytest.mark.parametrize(
    "values",
    [
        (np.nan, 22.8),
        (108.4, np.nan),
        (np.nan, np.nan),
        (np.inf, 22.8),
        (108.4, -np.inf),
    ],
)
def test_nan_and_infinite_coordinates(bounds: Boundaries, values: tuple[float, float]) -> None:
    lon = np.array([values[0], 108.38])
    lat = np.array([values[1], 22.82])
    assert bounds.county_of(lon, lat).tolist() == ["", "450103"]
    assert bounds.in_guangxi(lon, lat).tolist() == [False, True]
    assert bounds.inside(np.array(["450103", "450103"]), lon, lat).tolist() == [False, True]


def test_empty_input(bounds: Boundaries) -> None:
    empty = np.array([], dtype=np.float64)
    assert bounds.county_of(empty, empty).shape == (0,)
    assert bounds.in_guangxi(empty, empty).shape == (0,)
    assert bounds.inside(np.array([], dtype=object), empty, empty).shape == (0,)


def test_county_of_matches_shapely(bounds: Boundaries) -> None:
    lon, lat = random_points(20_000, seed=1)
    got = bounds.county_of(lon, lat)
    assert got.dtype == np.dtype("<U6")
    assert got.tolist() == reference_county(bounds, lon, lat)
    assert 0.3 < (got != "").mean() < 0.7


def test_in_guangxi_matches_outline(bounds: Boundaries) -> None:
    lon, lat = random_points(50_000, seed=2)
    expected = shapely.intersects_xy(bounds.geometry(GX), lon, lat)
    assert (bounds.in_guangxi(lon, lat) == expected).all()
    assert (bounds.in_guangxi(lon, lat) == (bounds.county_of(lon, lat) != "")).all()


def test_inside_matches_shapely_for_mixed_codes(bounds: Boundaries) -> None:
    divisions = load_divisions()
    codes = np.array(
        [d.code for level in Level for d in divisions.of_level(level)][::7], dtype=object
    )
    lon, lat = random_points(30_000, seed=3, pad=0.0)
    picked = np.random.default_rng(4).choice(codes, len(lon))
    geoms = np.array([bounds.geometry(c) for c in picked], dtype=object)
    expected = shapely.intersects_xy(geoms, lon, lat)
    assert (bounds.inside(picked, lon, lat) == expected).all()
    assert (bounds.inside(picked.astype(str), lon, lat) == expected).all()  # '<U12' path
    assert (bounds.inside(pl.Series(picked), lon, lat) == expected).all()


def test_inside_agrees_with_county_of(bounds: Boundaries) -> None:
    lon, lat = random_points(50_000, seed=5)
    county = bounds.county_of(lon, lat)
    known = county != ""
    assert bounds.inside(county[known], lon[known], lat[known]).all()
    cities = np.char.add(np.char.ljust(county[known], 4).astype("<U4"), "00")
    assert bounds.inside(cities, lon[known], lat[known]).all()
    # a township / village code is tested against its county polygon
    townships = {d.code[:6]: d.code for d in load_divisions().of_level(Level.TOWNSHIP)}
    villages = {d.code[:6]: d.code for d in load_divisions().of_level(Level.VILLAGE)}
    assert bounds.inside(
        np.array([townships[c] for c in county[known]]), lon[known], lat[known]
    ).all()
    assert bounds.inside(
        np.array([villages[c] for c in county[known]]), lon[known], lat[known]
    ).all()
    # points outside every county are inside nothing
    assert not bounds.inside(np.full((~known).sum(), GX), lon[~known], lat[~known]).any()


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("450103", True),
        ("450103000000", True),  # zero-padded 12-digit county
        ("450103001", True),  # township in 青秀区
        ("450103001005", True),  # village in 青秀区
        ("450103001000", True),  # zero-padded township
        ("4501", True),  # short city prefix
        ("45", True),
        ("450102", False),  # neighbouring 兴宁区
        ("450127", False),  # old 横县 code, no longer valid
        ("450103999", False),  # unknown township
        ("440103", False),  # Guangdong
        ("", False),
        ("abc", False),
        (None, False),
    ],
)
def test_inside_code_spellings(bounds: Boundaries, code: str | None, expected: bool) -> None:
    got = bounds.inside(np.array([code], dtype=object), np.array([108.38]), np.array([22.82]))
    assert got.tolist() == [expected]


@pytest.mark.parametrize(
    "codes",
    [
        np.array(["450103", "450102", "x", "4501"]),  # fixed-width unicode
        np.array(["450103", "450102", "", "4501"]),  # fixed-width, digits only
        np.array(["450103", "450102", None, "4501"], dtype=object),
        pl.Series(["450103", "450102", None, "4501"]),
        ["450103", "450102", "x", "4501"],
        np.array(["450103", 450102, None, 4501], dtype=object),  # non-strings via str()
    ],
)
def test_inside_accepts_code_containers(bounds: Boundaries, codes: Any) -> None:
    lon, lat = np.full(4, 108.38), np.full(4, 22.82)
    assert bounds.inside(codes, lon, lat).tolist() == [True, False, False, True]


def test_length_mismatch_raises(bounds: Boundaries) -> None:
    with pytest.raises(ValueError, match="length"):
        bounds.county_of(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="length"):
        bounds.inside(np.array(["450103"]), np.zeros(2), np.zeros(2))


SAMPLE_CODES = ["450103", "450502", "450181", "451481", "450100", "451000", GX]


@pytest.mark.parametrize("code", SAMPLE_CODES)
def test_sample_points_inside_and_deterministic(bounds: Boundaries, code: str) -> None:
    lon, lat = bounds.sample_points(code, 500, np.random.default_rng(11))
    assert lon.shape == lat.shape == (500,)
    assert shapely.contains_xy(bounds.geometry(code), lon, lat).all()
    assert bounds.inside(np.full(500, code), lon, lat).all()
    if len(code) == 6 and not code.endswith("00"):
        assert (bounds.county_of(lon, lat) == code).all()
    again = bounds.sample_points(code, 500, np.random.default_rng(11))
    assert np.array_equal(lon, again[0])
    assert np.array_equal(lat, again[1])
    other = bounds.sample_points(code, 500, np.random.default_rng(12))
    assert not np.array_equal(lon, other[0])


def test_sample_points_every_county(bounds: Boundaries, county_codes: list[str]) -> None:
    rng = np.random.default_rng(0)
    for code in county_codes:
        lon, lat = bounds.sample_points(code, 20, rng)
        assert (bounds.county_of(lon, lat) == code).all(), code


def test_sample_points_cluster_toward_centre(bounds: Boundaries) -> None:
    centre = polygon(bounds, "450100").centroid
    lon, lat = bounds.sample_points("450100", 2000, np.random.default_rng(3), spread=0.1)
    wide = bounds.sample_points("450100", 2000, np.random.default_rng(3), spread=1.0)
    near = np.hypot(lon - centre.x, lat - centre.y)
    far = np.hypot(wide[0] - centre.x, wide[1] - centre.y)
    assert np.median(near) < 0.6 * np.median(far)


def test_sample_points_edge_cases(bounds: Boundaries) -> None:
    lon, lat = bounds.sample_points("450103", 0, np.random.default_rng(0))
    assert lon.shape == lat.shape == (0,)
    township_pts = bounds.sample_points("450103001", 5, np.random.default_rng(0))
    assert (bounds.county_of(*township_pts) == "450103").all()
    with pytest.raises(KeyError):
        bounds.sample_points("440103", 5, np.random.default_rng(0))
