"""Guangxi region, city and county boundaries with vectorised point lookups.

Why: governance checks compare millions of camera positions with the division
their administrative code names, and the synthetic estate generator needs
plausible positions per division; both must run offline and fast. Polygons
ship in ``data/guangxi_boundaries.csv`` as hex WKB (built by
``scripts/build_reference.py``): 1 region outline, 14 cities, 111 counties, in
WGS-84 degrees (lon, lat), simplified, ~26k vertices.

The shipped polygons form a partition: counties do not overlap, each city is
the union of its counties and the counties fill the region outline (the build
script and the tests check this). Lookups rely on it: a 0.01° grid
(:class:`_Grid`) marks each cell as inside one county, outside all, or crossed
by a border; only points in border cells are tested against polygons, with one
``shapely.intersects_xy`` call per polygon. A point on a border counts as inside
that polygon, so a point on a shared border may go to either neighbour.
"""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources

import numpy as np
import numpy.typing as npt
import polars as pl
import shapely

from vidgov.domain.divisions import Level, load_divisions, normalize_code

__all__ = ["Boundaries", "load_boundaries"]

_DATA_FILE = "guangxi_boundaries.csv"
_REGION = "450000"
_CELL_DEG = 0.01  # grid cell size in degrees (~1 km); ~410k cells, ~5% on borders
_OUTSIDE, _BORDER = -1, -2  # grid cell states other than a polygon index

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Geoms = npt.NDArray[np.object_]


def _expand(first: Ints, count: Ints) -> tuple[Ints, Ints]:
    """Ragged ranges: ``(i, first[i] + k)`` for every i and ``0 <= k < count[i]``."""
    count = np.maximum(count, 0)
    i = np.repeat(np.arange(len(count)), count)
    return i, first[i] + np.arange(len(i)) - np.repeat(np.cumsum(count) - count, count)


def _group_test(
    geoms: Geoms, which: Ints, rows: Ints, lon: Floats, lat: Floats
) -> tuple[Ints, Ints]:
    """Test point ``rows[i]`` against ``geoms[which[i]]``, one shapely call per polygon.

    Returns the ``(rows, which)`` pairs whose point lies in or on the polygon.
    """
    if len(which) == 0:
        return rows, which
    order = np.argsort(which, kind="stable")
    which, rows = which[order], rows[order]
    starts = np.flatnonzero(np.r_[True, which[1:] != which[:-1]])
    hits = np.zeros(len(rows), dtype=np.bool_)
    for start, stop in zip(starts, np.r_[starts[1:], len(rows)], strict=True):
        sub = rows[start:stop]
        hits[start:stop] = shapely.intersects_xy(geoms[which[start]], lon[sub], lat[sub])
    return rows[hits], which[hits]


class _Grid:
    """Regular lon/lat grid over non-overlapping polygons, for O(1) point triage.

    ``owner[cell]`` is the polygon containing the whole cell, ``_OUTSIDE`` when
    the cell touches no polygon, or ``_BORDER`` when a polygon edge crosses it;
    border cells list candidate polygons in CSR form
    (``cand[start[cell]:start[cell + 1]]``).
    Built by rasterising the edges in numpy (~40 ms) instead of testing ~400k
    cell boxes with GEOS (~1 s).
    """

    def __init__(self, geoms: Geoms, bounds: tuple[float, ...], cell: float) -> None:
        """Classify the cells, ``cell`` degrees square, over shapely-style ``bounds``."""
        self.x0, self.y0, self.cell = bounds[0], bounds[1], cell
        self.nx = int(np.ceil((bounds[2] - bounds[0]) / cell)) + 1
        self.ny = int(np.ceil((bounds[3] - bounds[1]) / cell)) + 1
        parts, part_geom = shapely.get_parts(geoms, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        xy, ring = shapely.get_coordinates(rings, return_index=True)
        u, v = (xy[:, 0] - self.x0) / cell, (xy[:, 1] - self.y0) / cell  # in cell units
        same = ring[1:] == ring[:-1]  # segment i joins vertices i and i + 1
        self._u0, self._v0 = u[:-1][same], v[:-1][same]
        self._u1, self._v1 = u[1:][same], v[1:][same]
        self._poly = part_geom[ring_part[ring[:-1][same]]].astype(np.int64)
        centre = self._centre_owner()
        cells, polys = self._crossed()
        border = np.unique(cells)
        # a border cell may also lie partly in a polygon none of whose edges cross it
        outer = centre[border]
        n = len(geoms)
        key = np.unique(np.r_[cells * n + polys, (border * n + outer)[outer >= 0]])
        cells, polys = np.divmod(key, n)
        self.owner = centre.astype(np.int32)
        self.owner[border] = _BORDER
        self.start = np.r_[0, np.cumsum(np.bincount(cells, minlength=self.nx * self.ny))]
        self.cand = polys

    def _centre_owner(self) -> Ints:
        """Polygon containing each cell centre (-1: none), by even-odd scanlines."""
        u0, v0, u1, v1 = self._u0, self._v0, self._u1, self._v1
        lo = np.ceil(np.minimum(v0, v1) - 0.5).astype(np.int64)  # rows whose centre line
        hi = np.ceil(np.maximum(v0, v1) - 0.5).astype(np.int64)  # the segment crosses
        seg, row = _expand(lo, hi - lo)
        at = u0[seg] + (row + 0.5 - v0[seg]) * (u1[seg] - u0[seg]) / (v1[seg] - v0[seg])
        poly = self._poly[seg]
        order = np.lexsort((at, row, poly))
        at, row, poly = at[order], row[order], poly[order]
        if len(at) % 2 or np.any(row[::2] != row[1::2]) or np.any(poly[::2] != poly[1::2]):
            raise ValueError("polygon rings are not closed")
        first = np.ceil(at[::2] - 0.5).astype(np.int64)
        span, col = _expand(first, np.ceil(at[1::2] - 0.5).astype(np.int64) - first)
        owner = np.full(self.nx * self.ny, _OUTSIDE, dtype=np.int64)
        owner[row[::2][span] * self.nx + col] = poly[::2][span]
        return owner

    def _crossed(self) -> tuple[Ints, Ints]:
        """``(cell, polygon)`` for every cell a polygon edge passes through."""
        u0, v0, du, dv = self._u0, self._v0, self._u1 - self._u0, self._v1 - self._v0
        n = len(u0)
        cuts = []  # (segment, parameter t in (0, 1)) where a segment crosses a grid line
        for a0, a1 in ((u0, self._u1), (v0, self._v1)):
            first = np.floor(np.minimum(a0, a1)).astype(np.int64) + 1
            seg, line = _expand(first, np.ceil(np.maximum(a0, a1)).astype(np.int64) - first)
            cuts.append((seg, (line - a0[seg]) / (a1[seg] - a0[seg])))
        seg = np.r_[cuts[0][0], cuts[1][0], np.arange(n), np.arange(n)]
        t = np.r_[cuts[0][1], cuts[1][1], np.zeros(n), np.ones(n)]
        order = np.lexsort((t, seg))
        seg, t = seg[order], t[order]
        pair = seg[1:] == seg[:-1]
        seg, mid = seg[:-1][pair], 0.5 * (t[:-1][pair] + t[1:][pair])  # one point per piece
        col = np.floor(u0[seg] + mid * du[seg]).astype(np.int64)
        row = np.floor(v0[seg] + mid * dv[seg]).astype(np.int64)
        return row * self.nx + col, self._poly[seg]

    def cells(self, lon: Floats, lat: Floats) -> tuple[Ints, Ints]:
        """``(rows, cell)``: indices of the points inside the grid, their cells; NaN drops out."""
        fx, fy = (lon - self.x0) / self.cell, (lat - self.y0) / self.cell
        rows = np.flatnonzero((fx >= 0) & (fx < self.nx) & (fy >= 0) & (fy < self.ny))
        return rows, fy[rows].astype(np.int64) * self.nx + fx[rows].astype(np.int64)

    def candidates(self, rows: Ints, cell: Ints) -> tuple[Ints, Ints]:
        """Expand points in border cells into ``(row, candidate polygon)`` pairs."""
        i, at = _expand(self.start[cell], self.start[cell + 1] - self.start[cell])
        return rows[i], self.cand[at]


def _coords(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Floats, Floats]:
    """Coerce to equally long 1-D float64 arrays of degrees."""
    x = np.ascontiguousarray(lon, dtype=np.float64).ravel()
    y = np.ascontiguousarray(lat, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"lon and lat differ in length: {x.shape} vs {y.shape}")
    return x, y


def _factorize_digits(arr: npt.NDArray[np.str_]) -> tuple[Ints, list[str]] | None:
    """``(inverse, uniques)`` of fixed-width strings of ASCII digits, else ``None``.

    Why: turning a numpy ``'<U12'`` array into Python strings costs ~100 ns a
    row; codes are digits, so each row packs exactly into an int64 (base 11:
    padding 0, '0'..'9' -> 1..10) that polars factorises quickly.
    """
    width = arr.dtype.itemsize // 4
    if width > 18 or len(arr) == 0:
        return None
    chars = np.ascontiguousarray(arr).view(np.uint32).reshape(len(arr), width)
    key = np.zeros(len(arr), dtype=np.int64)
    for i in range(width):
        c = chars[:, i].astype(np.int64)
        if np.any((c != 0) & ((c < 48) | (c > 57))):
            return None
        key *= 11
        key += np.where(c == 0, 0, c - 47)
    series = pl.Series(key)
    first = series.arg_unique()
    inverse = series.replace_strict(series.gather(first), np.arange(len(first)))
    return inverse.to_numpy(), arr[first.to_numpy()].tolist()


def _code_series(codes: npt.ArrayLike | pl.Series) -> pl.Series:
    """Codes as a polars String Series: strings as they are, None as null, others via str()."""
    if isinstance(codes, pl.Series):
        return codes.cast(pl.String, strict=False)
    arr = np.asarray(codes).ravel()
    if arr.dtype == object:
        try:
            return pl.Series("code", arr, dtype=pl.String)
        except TypeError:  # not all str: slow path
            return pl.Series("code", [None if v is None else str(v) for v in arr.tolist()])
    return pl.Series("code", arr.tolist(), dtype=pl.String, strict=False)


class Boundaries:
    """Region, city and county polygons of Guangxi with vectorised lookups.

    Coordinates are WGS-84 degrees; array arguments are 1-D and equally long.
    """

    def __init__(self, codes: list[str], geoms: list[object]) -> None:
        """Take polygons keyed by 6-digit code: the region, its cities and counties."""
        self._codes = np.array(codes, dtype="<U6")
        self._geoms: Geoms = np.empty(len(geoms), dtype=object)
        self._geoms[:] = geoms
        shapely.prepare(self._geoms)
        self._index = {c: i for i, c in enumerate(codes)}
        is_county = np.array([not c.endswith("00") for c in codes])
        counties = self._codes[is_county]
        self._counties: Geoms = self._geoms[is_county]
        self._county_codes: npt.NDArray[np.str_] = np.r_[np.array([""], dtype="<U6"), counties]
        # covers[t, k]: county k lies inside polygon t (the partition, see module doc)
        cities = np.array([c[:4] + "00" for c in counties], dtype="<U6")
        target = self._codes[:, None]
        covers = (target == counties) | (target == cities) | (target == _REGION)
        self._covers = covers.ravel()  # flat: [t * n_counties + k]
        self._grid = _Grid(self._counties, tuple(shapely.total_bounds(self._counties)), _CELL_DEG)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Guangxi's bounding box ``(min_lon, min_lat, max_lon, max_lat)`` in degrees."""
        b = shapely.bounds(self._geoms[self._index[_REGION]])
        return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))

    def geometry(self, code: str) -> shapely.Geometry | None:
        """The polygon :meth:`inside` tests for ``code`` (townships and villages
        get their county's); ``None`` for unknown codes."""
        i = self._target(code)
        return None if i < 0 else self._geoms[i]

    def _target(self, code: str) -> int:
        """Index of the polygon for a code of any level, or -1."""
        code = normalize_code(code)
        if code in self._index:
            return self._index[code]
        division = load_divisions().get(code)
        if division is None or division.level not in (Level.TOWNSHIP, Level.VILLAGE):
            return -1
        return self._index.get(code[:6], -1)

    def county_of(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.str_]:
        """6-digit county code of each point, ``'<U6'`` shape ``(n,)``; ``''``
        outside every county (outside Guangxi) and for NaN coordinates."""
        x, y = _coords(lon, lat)
        found = np.full(len(x), _OUTSIDE, dtype=np.int64)
        rows, cell = self._grid.cells(x, y)
        owner = self._grid.owner[cell]
        border = owner == _BORDER
        owner[border] = _OUTSIDE
        found[rows] = owner
        pair_rows, cand = self._grid.candidates(rows[border], cell[border])
        hit_rows, hit = _group_test(self._counties, cand, pair_rows, x, y)
        found[hit_rows] = hit
        return self._county_codes[found + 1]

    def in_guangxi(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> Bools:
        """Whether each point lies in the Guangxi outline; shape ``(n,)``, NaN -> False."""
        x, y = _coords(lon, lat)
        return self._inside(np.full(len(x), self._index[_REGION], dtype=np.int64), x, y)

    def inside(
        self, codes: npt.ArrayLike | pl.Series, lon: npt.ArrayLike, lat: npt.ArrayLike
    ) -> Bools:
        """Whether point i lies in the division ``codes[i]`` names, shape ``(n,)``.

        Region -> outline, city -> city, county -> county, township/village ->
        their county; unknown codes, nulls and NaN coordinates -> False.
        ``codes`` (an array or a polars Series; object arrays and Series are
        fastest) hold strings in any spelling :func:`normalize_code` accepts;
        other values are compared as ``str(value)``.
        """
        x, y = _coords(lon, lat)
        return self._inside(self._targets(codes), x, y)

    def _targets(self, codes: npt.ArrayLike | pl.Series) -> Ints:
        """Polygon index per code, -1 for unknown codes and nulls; shape ``(n,)``."""
        if not isinstance(codes, pl.Series):
            arr = np.asarray(codes).ravel()
            digits = _factorize_digits(arr) if arr.dtype.kind == "U" else None
            if digits is not None:
                inverse, uniques = digits
                return self._targets(pl.Series(uniques, dtype=pl.String))[inverse]
        series = _code_series(codes)
        keys, values = self._lookup
        mapped = series.replace_strict(keys, values, default=-2, return_dtype=pl.Int64)
        target: Ints = mapped.to_numpy(writable=True)
        target[series.is_null().to_numpy()] = -1
        odd = np.flatnonzero(target == -2)  # other spellings and unknown codes
        if len(odd):
            uniq = series.gather(odd).unique().to_list()
            target[odd] = series.gather(odd).replace_strict(
                uniq, [self._target(c) for c in uniq], return_dtype=pl.Int64
            )
        return target

    @functools.cached_property
    def _lookup(self) -> tuple[pl.Series, pl.Series]:
        """Every known canonical code and its polygon index (see :meth:`_target`), ~30 ms."""
        codes = [d.code for level in Level for d in load_divisions().of_level(level)]
        targets = [self._target(c) for c in codes]
        known = [i for i, t in enumerate(targets) if t >= 0]
        return (
            pl.Series([codes[i] for i in known], dtype=pl.String),
            pl.Series([targets[i] for i in known], dtype=pl.Int64),
        )

    def _inside(self, target: Ints, x: Floats, y: Floats) -> Bools:
        """Whether point i lies in polygon ``target[i]`` (-1: never)."""
        if target.shape != x.shape:
            raise ValueError(f"codes and coordinates differ in length: {target.shape} vs {x.shape}")
        result = np.zeros(len(x), dtype=np.bool_)
        rows, cell = self._grid.cells(x, y)
        want = target[rows]
        if want.min(initial=0) < 0:
            keep = want >= 0
            rows, cell, want = rows[keep], cell[keep], want[keep]
        owner = self._grid.owner[cell]
        owned = owner >= 0
        result[rows[owned]] = self._covers[want[owned] * len(self._counties) + owner[owned]]
        border = owner == _BORDER
        hit_rows, _ = _group_test(self._geoms, want[border], rows[border], x, y)
        result[hit_rows] = True
        return result

    def sample_points(
        self, code: str, n: int, rng: np.random.Generator, spread: float = 0.15
    ) -> tuple[Floats, Floats]:
        """``n`` points strictly inside the division's polygon, clustered toward its centre.

        Points are drawn from a normal distribution around the centroid (a
        point on the surface when the centroid falls outside), with standard
        deviations of ``spread`` times the bounding box's width and height, and
        rejection-sampled in batches; if 20 batches do not suffice the rest is
        drawn uniformly from the polygon. Deterministic for a given ``rng``
        state. Returns ``(lon, lat)``, each shape ``(n,)``, in degrees.
        Raises ``KeyError`` for codes without a polygon.
        """
        geom = self.geometry(code)
        if geom is None:
            raise KeyError(code)
        centre = shapely.centroid(geom)
        if not shapely.contains(geom, centre):
            centre = shapely.point_on_surface(geom)
        cx, cy = float(shapely.get_x(centre)), float(shapely.get_y(centre))
        minx, miny, maxx, maxy = (float(b) for b in shapely.bounds(geom))
        xs: list[Floats] = [np.empty(0)]
        ys: list[Floats] = [np.empty(0)]
        have, attempt = 0, 0
        while have < n:
            batch = max(2 * (n - have), 64)
            if attempt < 20:
                x = rng.normal(cx, spread * (maxx - minx), batch)
                y = rng.normal(cy, spread * (maxy - miny), batch)
            else:
                x, y = rng.uniform(minx, maxx, batch), rng.uniform(miny, maxy, batch)
            ok = shapely.contains_xy(geom, x, y)
            xs.append(x[ok][: n - have])
            ys.append(y[ok][: n - have])
            have, attempt = have + len(xs[-1]), attempt + 1
        return np.concatenate(xs), np.concatenate(ys)


@functools.cache
def load_boundaries() -> Boundaries:
    """Load the shipped polygons and build the grid once (~50 ms); later calls reuse them."""
    text = (resources.files("vidgov.domain") / "data" / _DATA_FILE).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    geoms = shapely.from_wkb([bytes.fromhex(r["wkb_hex"]) for r in rows])
    return Boundaries([r["code"] for r in rows], list(geoms))
