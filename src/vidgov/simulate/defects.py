"""How a synthetic estate's cells are written: the valid variants clerks type, and the faults.

Why one module for both: the audit must stay silent on every variant written here as valid
(DMS coordinates, full-width digits, 年月日 dates, NULL/无/- for blanks) and report exactly one
root-cause code for every fault injected here. Keeping the two side by side keeps them from
overlapping: no fault is written in a form the importer would normalise away, and no valid
variant looks like a fault.

Faults are assigned by exact counts (``round(rate * N)`` records per code), in groups whose
codes could interact (all admin-code and coordinate faults; missing vs invalid of one field),
so that a record carries at most one fault per group and duplicates carry none at all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from vidgov.catalog.findings import FindingCode
from vidgov.domain.divisions import Divisions, Level
from vidgov.domain.geo import Boundaries
from vidgov.domain.ids import DeviceId, admin_code_matches_centre, device_id_problem
from vidgov.simulate.vocabulary import EMPTY_TOKENS, EMPTY_WEIGHTS

F = FindingCode
Texts = npt.NDArray[np.object_]
Codes = npt.NDArray[np.str_]
Floats = npt.NDArray[np.float64]
Rows = npt.NDArray[np.intp]

# --- valid variants -----------------------------------------------------------------------------
#: Coordinate styles: decimal (6 or 5 places), DMS with ASCII marks, 度分秒, primes, full-width.
COORDINATE_STYLES: Final[tuple[str, ...]] = (
    "decimal", "decimal5", "dms", "dms_zh", "dms_prime", "fullwidth")
COORDINATE_WEIGHTS: Final[tuple[float, ...]] = (0.78, 0.05, 0.06, 0.05, 0.02, 0.04)
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_DMS_MARKS: Final[Mapping[str, tuple[str, str, str]]] = {
    "dms": ("°", "'", '"'), "dms_zh": ("度", "分", "秒"), "dms_prime": ("°", "′", "″")}


@dataclass(frozen=True)
class Sites:
    """Where each camera is, row-aligned with the cells; injection moves and checks these."""

    level: npt.NDArray[np.int8]  # index into vocabulary.LEVELS (0 = region ... 4 = village)
    city: Codes  # 6-digit city of the point
    county: Codes  # 6-digit county of the point
    admin: Texts  # the clean admin code, 6/9/12 digits
    centre: npt.NDArray[np.int64]  # the ID's centre (6-digit code), before any fault
    lon: Floats  # degrees, as the written cell reads back
    lat: Floats

    def take(self, order: Rows) -> Sites:
        return Sites(**{f.name: getattr(self, f.name)[order] for f in fields(self)})


def write_coordinates(lon: Floats, lat: Floats, style: Rows) -> tuple[Texts, Texts, Floats, Floats]:
    """Cells for the points in ``style`` (index into COORDINATE_STYLES), and what they read back
    as: DMS keeps 1/100 s (0.3 m), so the generator checks the written point, not the drawn one."""
    texts = (np.empty(len(lon), dtype=object), np.empty(len(lon), dtype=object))
    values = (np.empty(len(lon)), np.empty(len(lon)))
    for s, name in enumerate(COORDINATE_STYLES):
        rows = np.flatnonzero(style == s)
        for source, text, value in zip((lon, lat), texts, values, strict=True):
            text[rows], value[rows] = _write_axis(source[rows], name)
    return texts[0], texts[1], values[0], values[1]


def _write_axis(x: Floats, style: str) -> tuple[list[str], Floats]:
    if style in _DMS_MARKS:
        deg_mark, min_mark, sec_mark = _DMS_MARKS[style]
        hundredths = np.rint(x * 360_000).astype(np.int64)
        d, rem = np.divmod(hundredths, 360_000)
        m, cs = np.divmod(rem, 6_000)
        cells = [f"{a}{deg_mark}{b}{min_mark}{c // 100}.{c % 100:02d}{sec_mark}"
                 for a, b, c in zip(d.tolist(), m.tolist(), cs.tolist(), strict=True)]
        return cells, hundredths / 360_000
    places = 5 if style == "decimal5" else 6
    cells = [f"{v:.{places}f}" for v in x.tolist()]
    if style == "fullwidth":
        cells = [c.translate(_FULLWIDTH) for c in cells]
    return cells, np.round(x, places)


def write_dates(days: npt.NDArray[np.int64], style: Rows) -> list[str]:
    """Days since 1970-01-01 as "2019-05-12" (0), "2019/5/12" (1) or "2019年5月12日" (2)."""
    dates = days.astype("datetime64[D]")
    year = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    month = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    return [f"{y}-{m:02d}-{d:02d}" if s == 0 else f"{y}/{m}/{d}" if s == 1 else f"{y}年{m}月{d}日"
            for y, m, d, s in zip(year.tolist(), month.tolist(), day.tolist(), style.tolist(),
                                  strict=True)]


def pick_empty(rng: np.random.Generator, n: int) -> Texts:
    """How clerks leave a cell blank: truly empty (None), "NULL", "无", "-" or a space."""
    tokens = np.array(EMPTY_TOKENS, dtype=object)
    return tokens[rng.choice(len(tokens), n, p=EMPTY_WEIGHTS)]


def pad_strays(cells: dict[str, Texts], names: tuple[str, ...], rng: np.random.Generator,
               share: float = 0.02) -> None:
    """A space (two, or an ideographic one) typed before or after the text of some cells."""
    for field in names:
        stray = np.flatnonzero(rng.random(len(cells[field])) < share)
        pad = np.array([" ", "  ", "\u3000"], dtype=object)[rng.integers(0, 3, len(stray))]
        cells[field][stray] = np.where(rng.random(len(stray)) < 0.5, pad + cells[field][stray],
                                       cells[field][stray] + pad)


# --- faults -------------------------------------------------------------------------------------
#: Codes that interact (admin code, ID centre, coordinates): at most one per record.
PLACE_GROUP: Final[tuple[FindingCode, ...]] = (
    F.ADMIN_CODE_MISMATCH, F.COORDINATES_OUTSIDE_ADMIN_AREA,  # not for region cameras: first
    F.MISSING_ADMIN_CODE, F.INVALID_ADMIN_CODE, F.INVALID_DEVICE_ID, F.MISSING_COORDINATES,
    F.INVALID_COORDINATES, F.COORDINATES_OUTSIDE_GUANGXI, F.COORDINATES_SWAPPED)
#: One group per field: missing and invalid of one field exclude each other.
FIELD_GROUPS: Final[tuple[tuple[FindingCode, ...], ...]] = (
    (F.MISSING_NAME,), (F.MISSING_ADDRESS,), (F.MISSING_DEPARTMENT,),
    (F.MISSING_MAINTENANCE_UNIT,),
    (F.MISSING_MAINTENANCE_CONTACT, F.INVALID_MAINTENANCE_CONTACT),
    (F.MISSING_POINT_CLASS, F.INVALID_POINT_CLASS), (F.MISSING_STREAM_URL, F.INVALID_STREAM_URL),
    (F.INVALID_INSTALL_DATE,), (F.INVALID_SECRECY,))
_NOT_FOR_REGION: Final = frozenset({F.ADMIN_CODE_MISMATCH, F.COORDINATES_OUTSIDE_ADMIN_AREA})
_MISSING_FIELD: Final[Mapping[FindingCode, str]] = {
    F.MISSING_NAME: "name", F.MISSING_ADDRESS: "address", F.MISSING_DEPARTMENT: "department",
    F.MISSING_MAINTENANCE_UNIT: "maintenance_unit",
    F.MISSING_MAINTENANCE_CONTACT: "maintenance_contact", F.MISSING_POINT_CLASS: "point_class",
    F.MISSING_STREAM_URL: "stream_url"}
#: Written forms of values that cannot be valid, per (code, field).
_BAD_VALUES: Final[Mapping[FindingCode, tuple[str, tuple[str, ...]]]] = {
    F.INVALID_POINT_CLASS: ("point_class", ("四类", "5", "0", "4", "四类点", "六类")),
    F.INVALID_MAINTENANCE_CONTACT: ("maintenance_contact", (
        "张工", "李工", "王经理", "陈师傅", "1388888", "0771-123", "138771234", "1387712345",
        "0775-12", "见附件")),
    F.INVALID_INSTALL_DATE: ("install_date", (
        "2019-13-45", "2018-02-30", "2020/13/5", "去年", "前年", "2021年2月30日",
        "2027-06-18", "2028/3/9", "2029年10月1日", "2030-12-31")),
    F.INVALID_SECRECY: ("secrecy", ("2", "机密", "秘密", "3", "绝密")),
}
#: Points outside Guangxi (Guangdong, Yunnan, Hunan, Guizhou, Hainan, Vietnam, the sea, 0,0);
#: every one swapped is outside too (latitude > 90, or still 0,0).
OUTSIDE_POINTS: Final[tuple[tuple[float, float], ...]] = (
    (113.264, 23.129), (114.057, 22.543), (110.359, 21.271), (102.833, 24.880),
    (104.100, 23.370), (112.939, 28.228), (111.613, 26.420), (106.630, 26.647),
    (110.331, 20.031), (105.854, 21.029), (106.761, 21.800), (108.000, 20.500),
    (112.500, 18.000), (116.407, 39.904), (0.0, 0.0))
OTHER_PROVINCE_CODES: Final[tuple[str, ...]] = (
    "440103", "440106", "440304", "440803", "530102", "532601", "430102", "431102",
    "520102", "460105", "350203", "110105")


def inject(
    cells: dict[str, Texts], sites: Sites, rates: Mapping[FindingCode, float], *,
    rng: np.random.Generator, divisions: Divisions, boundaries: Boundaries,
) -> pl.DataFrame:
    """Write the faults into ``cells`` (in place) and return the truth: device_id, code."""
    n = len(sites.level)
    originals, copies = _pairs(sites.centre, _count(rates[F.DUPLICATE_CAMERA] * n / 2), rng)
    pool = np.setdiff1d(np.arange(n), np.r_[originals, copies])
    plan: dict[FindingCode, Rows] = {}
    for group in (PLACE_GROUP, *FIELD_GROUPS):
        plan.update(_assign(group, rates, pool, level=sites.level, rng=rng))
    writer = _Writer(cells, sites, rng, divisions, boundaries)
    for code, rows in plan.items():
        if len(rows):
            writer.write(code, rows)
    writer.duplicate(originals, copies)
    plan[F.DUPLICATE_CAMERA] = np.r_[originals, copies].astype(np.intp)
    order = {code: i for i, code in enumerate(FindingCode)}
    rows = np.concatenate(list(plan.values())).astype(np.intp)
    codes = np.concatenate([np.full(len(r), c.value, dtype=object) for c, r in plan.items()])
    ranks = np.concatenate([np.full(len(r), order[c]) for c, r in plan.items()])
    sort = np.lexsort((ranks, rows))
    ids = cells["device_id"][rows[sort]].tolist()
    return pl.DataFrame({"device_id": pl.Series(ids, dtype=pl.String),
                         "code": pl.Series(codes[sort].tolist(), dtype=pl.String)})


def _count(expected: float) -> int:
    return math.floor(expected + 0.5)


def _pairs(centre: npt.NDArray[np.int64], count: int, rng: np.random.Generator,
           ) -> tuple[Rows, Rows]:
    """Disjoint (original, copy) pairs under one ID centre, so the copy's own ID still agrees
    with the admin code it copies."""
    n = len(centre)
    order = np.lexsort((rng.random(n), centre))[: n - n % 2]
    first, second = order[0::2], order[1::2]
    candidates = np.flatnonzero(centre[first] == centre[second])
    pick = np.sort(rng.choice(candidates, min(count, len(candidates)), replace=False))
    return first[pick].astype(np.intp), second[pick].astype(np.intp)


def _assign(group: tuple[FindingCode, ...], rates: Mapping[FindingCode, float], pool: Rows, *,
            level: npt.NDArray[np.int8], rng: np.random.Generator) -> dict[FindingCode, Rows]:
    """Exactly round(rate * n) records per code, disjoint within the group; when the rates add
    up to more than the pool holds, every count shrinks in proportion."""
    n = len(level)
    wanted = {code: _count(rates[code] * n) for code in group}
    total = sum(wanted.values())
    if total > len(pool):
        wanted = {code: w * len(pool) // total for code, w in wanted.items()}
    perm = rng.permutation(pool)
    taken = np.zeros(n, dtype=np.bool_)
    out: dict[FindingCode, Rows] = {}
    for code in group:
        free = perm[~taken[perm]]
        if code in _NOT_FOR_REGION:
            free = free[level[free] != 0]
        out[code] = np.sort(free[: wanted[code]]).astype(np.intp)
        taken[out[code]] = True
    return out


class _Writer:
    """Writes one fault code into the cells of the given rows."""

    def __init__(self, cells: dict[str, Texts], sites: Sites, rng: np.random.Generator,
                 divisions: Divisions, boundaries: Boundaries) -> None:
        self.cells, self.sites, self.rng = cells, sites, rng
        self.divisions, self.boundaries = divisions, boundaries
        self.used = set(cells["device_id"].tolist())
        self.serial = 900_000  # serials at or above this are free: clean IDs count from 1
        self.counties = np.array([d.code for d in divisions.of_level(Level.COUNTY)])
        self.prefixes = self.counties.astype("<U4")

    def elsewhere(self, row: int) -> str:
        """A county of another city than the camera's."""
        return str(self.rng.choice(self.counties[self.prefixes != self.sites.city[row][:4]]))

    def write(self, code: FindingCode, rows: Rows) -> None:
        if code in _MISSING_FIELD:
            self.cells[_MISSING_FIELD[code]][rows] = pick_empty(self.rng, len(rows))
        elif code in _BAD_VALUES:
            field, values = _BAD_VALUES[code]
            self.cells[field][rows] = np.array(values, dtype=object)[
                self.rng.integers(0, len(values), len(rows))]
        else:
            getattr(self, code.value)(rows)

    def missing_admin_code(self, rows: Rows) -> None:
        self.cells["admin_code"][rows] = pick_empty(self.rng, len(rows))
        self.cells["grassroots_code"][rows] = pick_empty(self.rng, len(rows))

    def missing_coordinates(self, rows: Rows) -> None:
        which = self.rng.integers(0, 3, len(rows))  # longitude, latitude, both
        for axis, hit in (("longitude", which != 1), ("latitude", which != 0)):
            self.cells[axis][rows[hit]] = pick_empty(self.rng, int(hit.sum()))

    def invalid_device_id(self, rows: Rows) -> None:
        """Excel's 15 significant digits, a digit lost or doubled, O typed for 0."""
        for row in rows.tolist():
            good = str(self.cells["device_id"][row])
            at = 14 + int(self.rng.integers(0, 6))
            forms = [format(int(good), ".14E"), good[:at] + good[at + 1:],
                     good[:at] + good[at] + good[at:], good.replace("0", "O", 1),
                     good[:at] + "l" + good[at + 1:]]
            start = int(self.rng.choice(4, p=(0.4, 0.2, 0.15, 0.25)))
            bad = next(f for f in forms[start:] + forms[:start] if f not in self.used)
            assert device_id_problem(bad) is not None
            self.used.add(bad)
            self.cells["device_id"][row] = bad

    def invalid_admin_code(self, rows: Rows) -> None:
        """Another province, a 45 code that does not exist, or a wrong length (not 2/4 digits:
        those are accepted spellings of a city)."""
        for row in rows.tolist():
            admin, kind = str(self.sites.admin[row]), int(self.rng.integers(0, 4))
            bad = [str(self.rng.choice(OTHER_PROVINCE_CODES)),
                   f"{admin[:4]}{int(self.rng.integers(60, 100))}",
                   admin[:6] + str(self.rng.integers(0, 10)), admin[:5]][kind]
            if len(admin) > 6 and kind == 1:
                bad = admin[:6] + "999"
            if bad in self.divisions:
                bad = "459900"
            self.cells["admin_code"][row] = bad

    def admin_code_mismatch(self, rows: Rows) -> None:
        """Re-register the camera under a county of another city, as if copied from there."""
        for row in rows.tolist():
            good = str(self.cells["device_id"][row])
            centre = self.elsewhere(row) + "00"
            while True:
                new = DeviceId.compose(centre, good[8:10], good[10:13], good[13], self.serial)
                self.serial += 1
                if new.value not in self.used:
                    break
            assert not admin_code_matches_centre(str(self.sites.admin[row]), new.centre)
            self.used.add(new.value)
            self.cells["device_id"][row] = new.value

    def invalid_coordinates(self, rows: Rows) -> None:
        """Two decimal points, a letter O for a zero, or both coordinates pasted into one cell.

        Each stays unreadable after normalisation; a coarse but readable value such as
        "东经108度" would not be an *invalid* coordinate, so it is not used here.
        """
        for row in rows.tolist():
            axis = ("longitude", "latitude")[int(self.rng.integers(0, 2))]
            value = self.sites.lon[row] if axis == "longitude" else self.sites.lat[row]
            text = f"{value:.6f}"
            kind = int(self.rng.choice(3, p=(0.4, 0.35, 0.25)))
            if kind == 0:
                bad = text[:-4] + "." + text[-4:]
            elif kind == 1:
                bad = text.replace("0", "O", 1) if "0" in text else "O" + text[1:]
            else:
                bad = f"{self.sites.lon[row]:.6f},{self.sites.lat[row]:.6f}"
            self.cells[axis][row] = bad

    def coordinates_outside_guangxi(self, rows: Rows) -> None:
        lon, lat = np.empty(len(rows)), np.empty(len(rows))
        todo = np.arange(len(rows))
        while len(todo):
            base = np.array(OUTSIDE_POINTS)[self.rng.integers(0, len(OUTSIDE_POINTS), len(todo))]
            jitter = np.where(base != 0, self.rng.uniform(-0.03, 0.03, base.shape), 0.0)
            lon[todo], lat[todo] = np.round(base[:, 0] + jitter[:, 0], 6), np.round(
                base[:, 1] + jitter[:, 1], 6)
            todo = todo[self.boundaries.in_guangxi(lon[todo], lat[todo])
                        | self.boundaries.in_guangxi(lat[todo], lon[todo])]
        self._write_decimal(rows, lon, lat)

    def coordinates_swapped(self, rows: Rows) -> None:
        lon_cells = self.cells["longitude"][rows].copy()
        self.cells["longitude"][rows] = self.cells["latitude"][rows]
        self.cells["latitude"][rows] = lon_cells

    def coordinates_outside_admin_area(self, rows: Rows) -> None:
        """A point inside Guangxi but in a county of another city than the claimed division's."""
        lon, lat = np.empty(len(rows)), np.empty(len(rows))
        todo = np.arange(len(rows))
        while len(todo):
            for i in todo.tolist():
                x, y = self.boundaries.sample_points(self.elsewhere(rows[i]), 1, self.rng)
                lon[i], lat[i] = round(float(x[0]), 6), round(float(y[0]), 6)
            wrong = self.boundaries.inside(self.sites.admin[rows[todo]], lon[todo], lat[todo])
            todo = todo[wrong | ~self.boundaries.in_guangxi(lon[todo], lat[todo])]
        self._write_decimal(rows, lon, lat)

    def invalid_stream_url(self, rows: Rows) -> None:
        """No "://", no scheme, a misspelt scheme, a space inside, or no host."""
        for row in rows.tolist():
            url = str(self.cells["stream_url"][row]).strip()
            scheme, rest = url.split("://", 1)
            host, path = rest.split("/", 1)
            self.cells["stream_url"][row] = [
                f"{scheme}//{rest}", rest, f"rstp://{rest}", f"rtps://{rest}",
                f"{scheme}://{host} /{path}", f"{scheme}:///{path}",
            ][int(self.rng.integers(0, 6))]

    def duplicate(self, originals: Rows, copies: Rows) -> None:
        """The copy takes the original's identity and place, moved by at most 2 m."""
        for field in ("name", "address", "admin_code", "grassroots_code", "department",
                      "maintenance_unit", "maintenance_contact", "place_type", "point_class"):
            self.cells[field][copies] = self.cells[field][originals]
        angle = self.rng.uniform(0, 2 * np.pi, len(copies))
        metres = self.rng.uniform(0.3, 2.0, len(copies))
        lat = self.sites.lat[originals] + metres * np.sin(angle) / 111_320
        lon = self.sites.lon[originals] + metres * np.cos(angle) / (
            111_320 * np.cos(np.radians(lat)))
        lon, lat = np.round(lon, 6), np.round(lat, 6)
        self._write_decimal(copies, lon, lat)
        stray = ~self.boundaries.inside(self.sites.admin[originals], lon, lat)
        for axis in ("longitude", "latitude"):
            self.cells[axis][copies[stray]] = self.cells[axis][originals[stray]]

    def _write_decimal(self, rows: Rows, lon: Floats, lat: Floats) -> None:
        self.cells["longitude"][rows] = np.array([f"{v:.6f}" for v in lon.tolist()], dtype=object)
        self.cells["latitude"][rows] = np.array([f"{v:.6f}" for v in lat.tolist()], dtype=object)
