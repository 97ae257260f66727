"""A synthetic Guangxi camera estate: catalog records as clerks write them, with known faults.

Why: the importer, the audit and the scorecards need an estate shaped like the real one
(250,000 cameras over 14 cities and five admin levels, >95 % owned by public security and
political-legal departments) whose faults are known exactly, so a test can say "the audit found
every injected fault and nothing else". Clean records use the messy-but-valid spellings the
importer normalises (see :mod:`vidgov.simulate.defects`); they must produce no finding.

Everything is drawn from one ``numpy.random.Generator`` seeded by the caller, in a fixed order,
so one seed gives the same estate byte for byte. Records are built column-wise over integer
indexes (city, county, place type): per-record Python would take tens of seconds at 250,000.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from vidgov.catalog.fields import FIELD_NAMES
from vidgov.catalog.findings import FindingCode
from vidgov.domain.divisions import Divisions, Level, load_divisions
from vidgov.domain.geo import Boundaries, load_boundaries
from vidgov.simulate import vocabulary as vocab
from vidgov.simulate.defects import (
    COORDINATE_WEIGHTS,
    Codes,
    Rows,
    Sites,
    Texts,
    inject,
    pad_strays,
    pick_empty,
    write_coordinates,
    write_dates,
)
from vidgov.simulate.rates import DEFAULT_RATES, checked_rate, parse_rates
from vidgov.simulate.texts import (
    column,
    digits,
    fill_each,
    groups,
    lookup,
    numbered,
    short_county,
    short_township,
    short_village,
    template_ids,
)

__all__ = ["DEFAULT_RATES", "Estate", "parse_rates", "synthesize"]
Ints = npt.NDArray[np.int64]
_INSTALL_FROM, _INSTALL_TO = np.datetime64("2012-01-01"), np.datetime64("2024-05-31")
_GROUPS: Final = ("urban", "township", "village", "highway", "venue")
_KINDS: Final = (vocab.PS, vocab.TRAFFIC, vocab.POLITICAL_LEGAL, vocab.STATION_POLICE, "other")
_DEPARTMENT_CONTEXTS: Final = ("region", "city", "district", "county")


@dataclass(frozen=True)
class Estate:
    """``records``: one row per camera, columns FIELD_NAMES, all String as typed by clerks.
    ``truth``: device_id (as written in records), code: one row per finding the audit owes."""

    records: pl.DataFrame
    truth: pl.DataFrame


def synthesize(
    cameras: int, seed: int, rates: Mapping[FindingCode, float] | None = None
) -> Estate:
    """An estate of exactly ``cameras`` records; codes missing from ``rates`` keep their
    DEFAULT_RATES value (pass 0 to turn one off). Duplicate copies are drawn out of the count."""
    if cameras < 0:
        raise ValueError(f"cameras must be >= 0, got {cameras}")
    chosen = {**DEFAULT_RATES, **{FindingCode(c): checked_rate(FindingCode(c), float(r), c)
                                  for c, r in (rates or {}).items()}}
    if cameras == 0:
        return Estate(pl.DataFrame(schema=dict.fromkeys(FIELD_NAMES, pl.String)),
                      pl.DataFrame(schema={"device_id": pl.String, "code": pl.String}))
    rng = np.random.default_rng(seed)
    divisions, boundaries = load_divisions(), load_boundaries()
    atlas = _Atlas.of(divisions)
    where, sites, cells = _place(cameras, rng, atlas, boundaries)
    _describe(cells, where, _context(where, sites, atlas, divisions, rng), rng)
    cells["name"] = numbered(cells["name"])
    truth = inject(cells, sites, chosen, rng=rng, divisions=divisions, boundaries=boundaries)
    records = pl.DataFrame([column(f, cells[f]) for f in FIELD_NAMES])
    if records["device_id"].n_unique() != cameras:
        raise AssertionError("synthetic device IDs are not unique")
    return Estate(records, truth)


@dataclass(frozen=True)
class _Atlas:
    """Cities and counties by position, so per-record work groups on small integers."""

    cities: Codes
    city_names: Texts
    counties: Codes
    county_names: Texts
    county_city: Ints  # city position per county
    towns: Mapping[int, Ints]  # county position -> its township codes (no "virtual" units)
    villages: Mapping[int, Ints]

    @classmethod
    def of(cls, div: Divisions) -> _Atlas:
        cities = np.array(sorted(vocab.CITY_POPULATION))
        counties = div.of_level(Level.COUNTY)
        codes = np.array([d.code for d in counties])
        frame = div.frame().filter(~pl.col("name").str.contains("虚拟"))

        def members(level: Level) -> dict[int, Ints]:
            rows = (frame.filter(pl.col("level") == level.value).group_by("county_code")
                    .agg(pl.col("code").cast(pl.Int64).sort()).iter_rows())
            return {int(np.searchsorted(codes, c)): np.array(v, dtype=np.int64) for c, v in rows}

        names = [d.name if (d := div.get(c)) else c for c in cities]
        return cls(cities, np.array(names, dtype=object), codes,
                   np.array([d.name for d in counties], dtype=object),
                   np.searchsorted(cities, np.char.add(codes.astype("<U4"), "00")).astype(np.int64),
                   members(Level.TOWNSHIP), members(Level.VILLAGE))


@dataclass(frozen=True)
class _Where:
    level: npt.NDArray[np.int8]
    city: Ints  # position in _Atlas.cities
    county: Ints  # position in _Atlas.counties
    highway: npt.NDArray[np.bool_]  # region-level expressway camera somewhere in Guangxi
    centre: Ints  # the ID's centre: region, city or county code (6 digits)
    grass: Ints  # township/village code as an integer, 0 above township level

    def take(self, order: Rows) -> _Where:
        return _Where(*(getattr(self, f.name)[order] for f in fields(self)))


def _place(n: int, rng: np.random.Generator, atlas: _Atlas, bnd: Boundaries,
           ) -> tuple[_Where, Sites, dict[str, Texts]]:
    """Level, division, ID centre and a point inside the division for every camera."""
    level = rng.choice(5, n, p=vocab.LEVEL_SHARES).astype(np.int8)
    pop = np.array([vocab.CITY_POPULATION[c] for c in atlas.cities], dtype=np.float64)
    share = pop / pop.sum() * n  # largest remainder: counts exactly proportional, then shuffled
    counts = np.floor(share).astype(np.int64)
    counts[np.argsort(counts - share, kind="stable")[: n - counts.sum()]] += 1
    city = rng.permutation(np.repeat(np.arange(len(atlas.cities)), counts))
    county = np.zeros(n, dtype=np.int64)
    for c, rows in groups(city):
        options = np.flatnonzero(atlas.county_city == c)
        names = atlas.county_names[options].astype(str)
        w = np.select([np.char.endswith(names, "区"), np.char.endswith(names, "市")], [1.6, 1.2],
                      1.0) * rng.lognormal(0.0, 0.25, len(options))
        county[rows] = options[rng.choice(len(options), len(rows), p=w / w.sum())]
    region = np.flatnonzero(level == 0)
    highway = np.zeros(n, dtype=np.bool_)
    highway[region] = rng.random(len(region)) < 0.3
    core = np.searchsorted(atlas.counties, np.array(vocab.NANNING_CORE))
    county[region] = np.where(highway[region], rng.integers(0, len(atlas.counties), len(region)),
                              rng.choice(core, len(region)))
    city = atlas.county_city[county]
    grass_int = np.zeros(n, dtype=np.int64)
    for lv, table in ((3, atlas.towns), (4, atlas.villages)):
        for k, rows in groups(np.where(level == lv, county, -1)):
            options = table.get(k, np.zeros(0, dtype=np.int64))
            if len(options):
                grass_int[rows] = options[rng.integers(0, len(options), len(rows))]
            elif k >= 0:
                level[rows] = 2  # a county without townships/villages on file
    city_code, county_code = atlas.cities[city], atlas.counties[county]
    city_int, county_int = city_code.astype(np.int64), county_code.astype(np.int64)
    admin = digits(np.select([level == 0, level == 1, level == 2],
                                   [450_000, city_int, county_int], grass_int))
    sample = np.where(level == 1, -1 - city, county)  # city polygon for city-level cameras
    lon, lat = np.empty(n), np.empty(n)
    style = rng.choice(len(COORDINATE_WEIGHTS), n, p=COORDINATE_WEIGHTS)
    texts: tuple[Texts, Texts] = (np.empty(n, dtype=object), np.empty(n, dtype=object))
    todo = np.arange(n, dtype=np.intp)
    while len(todo):  # re-draw the rare point whose written (rounded) form leaves the division
        for key, rows in groups(sample[todo]):
            code = atlas.cities[-1 - key] if key < 0 else atlas.counties[key]
            lon[todo[rows]], lat[todo[rows]] = bnd.sample_points(str(code), len(rows), rng)
        lon_t, lat_t, lon[todo], lat[todo] = write_coordinates(lon[todo], lat[todo], style[todo])
        texts[0][todo], texts[1][todo] = lon_t, lat_t
        todo = todo[~bnd.inside(admin[todo], lon[todo], lat[todo])]
    found = bnd.county_of(lon, lat)
    county_code = np.where((level == 1) & (found != ""), found, county_code)
    county = np.searchsorted(atlas.counties, county_code).astype(np.int64)
    centre = np.select([level == 0, (level == 1) | (rng.random(n) < 0.1)],
                       [450_000, city_int], county_code.astype(np.int64))  # 10 %: city platform
    cells = {"admin_code": admin.copy(), "longitude": texts[0], "latitude": texts[1],
             "grassroots_code": np.where(level >= 3, admin, pick_empty(rng, n))}
    order = np.argsort(centre, kind="stable")  # rows grouped by platform, as a platform exports
    where = _Where(level, city, county, highway, centre, np.where(level >= 3, grass_int, 0))
    sites = Sites(level, city_code, county_code, admin, centre, lon, lat)
    return where.take(order), sites.take(order), {k: v[order] for k, v in cells.items()}


def _context(where: _Where, sites: Sites, atlas: _Atlas, div: Divisions,
             rng: np.random.Generator) -> dict[str, Texts]:
    """Per-record strings the name, address and department templates draw on."""
    n = len(where.level)
    town = np.where(where.level == 4, where.grass // 1000, where.grass)

    def name(code: int) -> str:
        d = div.get(str(code)) if code else None
        return "" if d is None else d.name

    def pick(options: Sequence[str], size: int = n) -> Texts:
        return np.array(options, dtype=object)[rng.integers(0, len(options), size)]

    city_roads = np.empty(n, dtype=object)
    for c, rows in groups(where.city):
        city_roads[rows] = pick((*vocab.CITY_ROADS[atlas.cities[c]], *vocab.GENERIC_ROADS),
                                len(rows))
    county = atlas.county_names[where.county]
    districts = np.array([str(x).endswith("区") for x in atlas.county_names])
    urban = (where.level <= 1) | districts[where.county]
    road = np.where(urban & (rng.random(n) < 0.6), city_roads, pick(vocab.GENERIC_ROADS))
    generic = np.array(vocab.GENERIC_ROADS, dtype=object)
    second = rng.integers(0, len(generic), n)
    road2 = np.where(generic[second] == road, generic[(second + 1) % len(generic)],
                     generic[second])
    full = np.where(where.level >= 3, where.grass, atlas.counties.astype(np.int64)[where.county])
    city = atlas.city_names[where.city]
    village = np.where(where.level == 4, where.grass, 0)
    return {
        "city": city, "cityshort": lookup(where.city, lambda k: str(atlas.city_names[k])[:-1]),
        "county": county,
        "cshort": lookup(where.county, lambda k: short_county(atlas.county_names[k])),
        "town": lookup(town, name), "tshort": lookup(town, lambda c: short_township(name(c))),
        "office": lookup(town, lambda c: "办事处" if name(c).endswith("街道") else "人民政府"),
        "village": lookup(village, name),
        "vshort": lookup(village, lambda c: short_village(name(c))),
        "full": lookup(full, lambda c: div.full_name(str(c))),
        "area": np.select([where.level == 0, where.level == 1], ["", city], county),
        "road": road, "road2": road2, "street": pick(vocab.TOWN_STREETS),
        "dir": pick(vocab.DIRECTIONS), "num": digits(rng.integers(1, 400, n)),
        "cam": pick(vocab.CAMERA_QUALIFIERS), "ord": pick(vocab.CHINESE_ORDINALS),
        "estate": pick(vocab.ESTATES),
        "tail": pick(vocab.ADDRESS_TAILS), "highway": pick(vocab.HIGHWAYS),
        "km": digits(rng.integers(1, 900, n)),
        "metre": digits(rng.integers(0, 1000, n), 3),
        "updown": pick(("上行", "下行")), "owner": np.where(where.level == 1, city, county),
        "district": districts[where.county].astype(object),
    }


def _describe(cells: dict[str, Texts], where: _Where, c: dict[str, Texts],
              rng: np.random.Generator) -> None:
    """Name and address (from the place type), then owner and equipment."""
    n = len(where.level)
    naming = np.where(where.highway, 5, where.level)  # 5: expressway, named by kilometre post
    place = np.zeros(n, dtype=np.int64)
    group = np.select([where.level == 3, where.level == 4], [1, 2], 0)
    group[where.highway] = 3
    for key, rows in groups(naming):
        if key < 5:
            mix = vocab.PLACE_MIX[vocab.LEVELS[key]]
            place[rows] = np.array(list(mix))[rng.choice(len(mix), len(rows),
                                                         p=list(mix.values()))]
    c["venue"], c["spot"] = np.full(n, "", dtype=object), np.full(n, "", dtype=object)
    named = where.level <= 1  # region and city cameras: the famous venues
    venue_key = np.select([~named, where.level == 0], [99, 14], where.city)
    for key, rows in groups(place * 100 + venue_key):
        t, v = divmod(key, 100)
        region_key = "region" if t == vocab.GOVERNMENT else "450100"  # 自治区: in Nanning
        key_of = "" if v == 99 else region_key if v == 14 else _city_code(v)
        venues = vocab.CITY_VENUES.get(t, {}).get(key_of, ())
        if venues:
            group[rows] = 4
            c["venue"][rows] = np.array(venues, dtype=object)[rng.integers(0, len(venues),
                                                                          len(rows))]
    catalog: dict[str, int] = {}
    template = np.zeros(n, dtype=np.int64)
    for key, rows in groups(place * 10 + group):
        t, g = divmod(key, 10)
        table = vocab.NAME_TEMPLATES[_GROUPS[g]]
        t = t if t in table else vocab.ROAD
        place[rows] = t
        ids = template_ids(table[t], catalog)
        template[rows] = ids[rng.integers(0, len(ids), len(rows))]
        spots = vocab.SPOTS.get(t, ("",))
        c["spot"][rows] = np.array(spots, dtype=object)[rng.integers(0, len(spots), len(rows))]
    cells["name"] = fill_each(template, [t + "{cam}" for t in catalog], c)
    cells["address"] = fill_each(group, [vocab.ADDRESS_TEMPLATES[g] for g in _GROUPS], c)
    cells["place_type"] = np.array(vocab.PLACE_TYPES, dtype=object)[place]
    _own(cells, where, c, place, rng=rng)
    _equip(cells, where, place, rng=rng)


def _city_code(position: int) -> str:
    return sorted(vocab.CITY_POPULATION)[position]


def _own(cells: dict[str, Texts], where: _Where, c: dict[str, Texts], place: Ints, *,
         rng: np.random.Generator) -> None:
    """Department, ID (industry and network follow the owner), maintenance unit and contact."""
    n = len(place)
    kind = np.zeros(n, dtype=np.int64)
    for lv, rows in groups(where.level):
        mix = vocab.DEPARTMENT_MIX[vocab.LEVELS[lv]]
        kind[rows] = np.array([_KINDS.index(k) for k in mix])[
            rng.choice(len(mix), len(rows), p=list(mix.values()))]
    kind[(kind == 1) & (place != vocab.ROAD)] = 0  # traffic police own road cameras only
    dctx = np.select([where.level == 0, where.level == 1, c["district"].astype(bool)], [0, 1, 2], 3)
    catalog: dict[str, int] = {}
    template, industry = np.zeros(n, dtype=np.int64), np.empty(n, dtype=object)
    for key, rows in groups(kind * 10 + dctx):
        k, d = _KINDS[key // 10], _DEPARTMENT_CONTEXTS[key % 10]
        if k == "other":
            for t, sub in groups(place[rows]):
                table = vocab.REGION_OTHER if d == "region" else vocab.OTHER_DEPARTMENTS
                fallback = vocab.REGION_URBAN if d == "region" else vocab.URBAN_MANAGEMENT
                owner, industry[rows[sub]] = table.get(t, fallback)
                template[rows[sub]] = template_ids((owner,), catalog)[0]
        else:
            template[rows] = template_ids((vocab.DEPARTMENTS[d][k],), catalog)[0]
            codes, p = vocab.INDUSTRIES[k]
            industry[rows] = np.array(codes, dtype=object)[rng.choice(len(codes), len(rows), p=p)]
    cells["department"] = fill_each(template, list(catalog), c)
    network = np.empty(n, dtype=object)
    for k, rows in groups(kind):
        codes, p = vocab.NETWORKS[_KINDS[k]]
        network[rows] = np.array(codes, dtype=object)[rng.choice(len(codes), len(rows), p=p)]
    type_code = np.where(rng.random(n) < 0.9, 132, 131)
    serial = np.empty(n, dtype=np.int64)
    for _, rows in groups(where.centre):
        serial[rows] = np.arange(1, len(rows) + 1)  # numbered per platform, in row order
    cells["device_id"] = np.array([  # DeviceId.compose's layout, built in bulk
        f"{c}00{i}{t}{w}{s:06d}" for c, i, t, w, s in zip(
            where.centre.tolist(), industry.tolist(), type_code.tolist(), network.tolist(),
            serial.tolist(), strict=True)], dtype=object)
    slot = rng.choice(len(vocab.CARRIER_WEIGHTS), n, p=vocab.CARRIER_WEIGHTS)
    firm = (where.city * 2 + slot - 4) % len(vocab.LOCAL_FIRMS)  # two local firms per city
    unit = np.where(slot < 4, slot, len(vocab.CARRIERS) + firm)
    cells["maintenance_unit"] = fill_each(unit, (*vocab.CARRIERS, *vocab.LOCAL_FIRMS), c)
    second, rest = rng.choice(list("3456789"), n).tolist(), rng.integers(0, 10**9, n).tolist()
    area = lookup(where.city, lambda k: vocab.AREA_CODES[_city_code(k)]).tolist()
    local, is_mobile = rng.integers(2_000_000, 9_000_000, n).tolist(), rng.random(n) < 0.6
    cells["maintenance_contact"] = np.array([
        f"1{a}{b:09d}" if m else f"{c}-{d}"
        for a, b, c, d, m in zip(second, rest, area, local, is_mobile.tolist(), strict=True)],
        dtype=object)
    classes = np.empty(n, dtype=np.int64)
    for t, rows in groups(place):
        classes[rows] = rng.choice(3, len(rows), p=vocab.POINT_CLASS_MIX[t]) + 1
    written = np.array(["", "1", "2", "3", "", "一类", "二类", "三类"], dtype=object)
    cells["point_class"] = written[classes + 4 * (rng.random(n) < 0.5)]


def _equip(cells: dict[str, Texts], where: _Where, place: Ints, *,
           rng: np.random.Generator) -> None:
    """Manufacturer, model, stream URLs (unique addresses per city block), dates, secrecy."""
    n = len(place)
    maker = rng.choice(len(vocab.MANUFACTURERS), n, p=vocab.MANUFACTURER_WEIGHTS)
    brand, model, main, sub = (np.empty(n, dtype=object) for _ in range(4))
    for m, rows in groups(maker):
        names, models, main_path, sub_path = vocab.MANUFACTURERS[m]
        brand[rows] = np.array(names, dtype=object)[rng.choice(3, len(rows), p=(0.6, 0.25, 0.15))]
        model[rows] = np.array(models, dtype=object)[rng.integers(0, len(models), len(rows))]
        main[rows], sub[rows] = main_path, sub_path
    host = np.empty(n, dtype=object)
    for c, rows in groups(where.city):  # 10.(16c+16..16c+31).x.y: one /12-ish block per city
        v = rng.choice(16 * 256 * 254, len(rows), replace=False)
        o2, o3, o4 = c * 16 + v // (256 * 254) + 16, v // 254 % 256, v % 254 + 1
        host[rows] = [f"rtsp://10.{a}.{b}.{d}:554" for a, b, d in
                      zip(o2.tolist(), o3.tolist(), o4.tolist(), strict=True)]
    cells["stream_url"] = host + main
    cells["sub_stream_url"] = np.where(rng.random(n) < 0.7, host + sub, pick_empty(rng, n))
    cells["manufacturer"] = np.where(rng.random(n) < 0.95, brand, pick_empty(rng, n))
    cells["model"] = np.where(rng.random(n) < 0.9, model, pick_empty(rng, n))
    span = int((_INSTALL_TO - _INSTALL_FROM).astype(np.int64))
    days = _INSTALL_FROM.astype(np.int64) + np.rint(rng.beta(2.0, 1.6, n) * span).astype(np.int64)
    dates = np.array(write_dates(days, rng.choice(3, n, p=(0.6, 0.27, 0.13))), dtype=object)
    cells["install_date"] = np.where(rng.random(n) < 0.92, dates, pick_empty(rng, n))
    secrecy = np.array(["0", "不涉密", "1", "涉密"], dtype=object)
    cells["secrecy"] = np.where(rng.random(n) < 0.925, secrecy[rng.choice(4, n, p=(
        0.92, 0.06, 0.015, 0.005))], pick_empty(rng, n))
    pad_strays(cells, ("name", "address", "department", "maintenance_unit", "longitude",
                       "latitude"), rng)
