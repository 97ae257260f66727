"""Catalog benchmark: synth, import from a GBK CSV into SQLite, audit; against named baselines.

Baselines measured in the same run on the same file:
- Python's csv module parsing the file (the naive importer's floor),
- sqlite3 ``executemany`` inserting the already-parsed rows (the naive writer),
- the same audit rules written with pandera (ratio printed).

The import is timed twice: in this process (``import_catalog``), and end to end as a user runs
it (``vidgov catalog import`` in a new process, into a new store: start-up and store creation
included).

Run: ``.venv/bin/python benchmarks/catalog_bench.py [--cameras 250000]``. On a machine shared
with other work, compare the CPU seconds printed beside the import's wall time as well: they
move much less with the load than the wall time does.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from vidgov.catalog.audit import audit
from vidgov.catalog.exporter import Encoding
from vidgov.catalog.importer import import_catalog
from vidgov.catalog.store import read_cameras
from vidgov.domain.divisions import load_divisions
from vidgov.domain.geo import load_boundaries
from vidgov.services.estate import write_estate
from vidgov.store.db import open_store

if TYPE_CHECKING:
    from sqlalchemy import Engine

TODAY = date(2026, 11, 25)

#: Issue 2's target, and the two baselines as the issue measured them on its reference
#: machine: the target is also stated relative to them, since this machine's speed varies.
TARGET_ROWS_S = 100_000
REFERENCE_CSV_ROWS_S = 140_000
REFERENCE_EXECUTEMANY_ROWS_S = 230_000
PEAK_LIMIT_MB = 2048


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024



def timed_import(engine: Engine, catalog: Path, label: str, **expected: int) -> float:
    """``import_catalog`` of ``catalog`` in this process; seconds. ``expected``: the counts
    the report must show."""
    settle()
    start, cpu = time.perf_counter(), time.process_time()
    report = import_catalog(engine, [catalog])
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    counts = report.counts()
    assert all(counts[key] == value for key, value in expected.items()), counts
    rows = sum(expected.values())
    print(f"{label:<23} {seconds:7.2f} s   {rows / seconds:>10,.0f} rows/s "
          f"(CPU {cpu:.2f} s, all threads)")
    return seconds


def settle() -> None:
    """Write out what earlier steps left dirty (the synthesised CSV, the last store), so that
    a timed import's own fsyncs do not also wait for them, as they would not for a catalog
    that a clerk saved a while ago."""
    os.sync()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cameras", type=int, default=250_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-pandera", action="store_true",
                        help="leave out the pandera baseline (about a minute)")
    args = parser.parse_args()
    n = args.cameras
    folder = Path(tempfile.mkdtemp(prefix="vidgov-bench-"))
    try:
        run(n, args.seed, folder, pandera=not args.skip_pandera)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(n: int, seed: int, folder: Path, pandera: bool = True) -> None:
    catalog, truth = folder / "g.csv", folder / "t.csv"
    print(f"catalog benchmark: {n:,} cameras, seed {seed}")

    start = time.perf_counter()
    write_estate(n, seed, [], catalog, truth, Encoding.GBK)
    synth_s = time.perf_counter() - start
    size_mb = catalog.stat().st_size / 1e6
    print(f"synth + write GBK CSV   {synth_s:7.2f} s   ({size_mb:.0f} MB)")

    engine = open_store(f"sqlite:///{folder / 'vidgov.db'}")
    import_s = timed_import(engine, catalog, "import (vidgov)", inserted=n)
    timed_import(engine, catalog, "re-import, unchanged", unchanged=n)

    settle()
    cli_s = time_cli(catalog, folder)
    print(f"import (vidgov CLI)     {cli_s:7.2f} s   {n / cli_s:>10,.0f} rows/s "
          f"(end to end, new process and store; peak {peak_mb(resource.RUSAGE_CHILDREN):.0f} MB)")

    rows, parse_s = baseline_csv_parse(catalog)
    print(f"baseline: csv module    {parse_s:7.2f} s   {n / parse_s:>10,.0f} rows/s (parse only)")
    insert_s = baseline_executemany(folder / "naive.db", rows)
    print(f"baseline: executemany   {insert_s:7.2f} s   {n / insert_s:>10,.0f} rows/s "
          "(insert only)")

    print_targets(n / import_s, n / cli_s, n / parse_s, n / insert_s,
                  peak_mb(resource.RUSAGE_CHILDREN))

    divisions, boundaries = load_divisions(), load_boundaries()
    start = time.perf_counter()
    cameras = read_cameras(engine)
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    result = audit(cameras, divisions, boundaries, TODAY)
    audit_s = time.perf_counter() - start
    print(f"load catalog for audit  {load_s:7.2f} s   {n / load_s:>10,.0f} rows/s")
    print(f"audit rules (vidgov)    {audit_s:7.2f} s   {n / audit_s:>10,.0f} cameras/s")

    if pandera:
        from pandera_rules import build_schema, validate

        schema = build_schema(TODAY)
        start = time.perf_counter()
        failures = validate(schema, cameras)
        pandera_s = time.perf_counter() - start
        print(f"audit rules (pandera)   {pandera_s:7.2f} s   {n / pandera_s:>10,.0f} cameras/s "
              f"({failures:,} failure cases; vidgov is {pandera_s / audit_s:.1f}x faster)")

    expected = pl.read_csv(truth, infer_schema=False).select("device_id", "code")
    found = result.findings.select("device_id", "code")
    hits = found.join(expected, on=["device_id", "code"], how="semi").height
    precision = hits / found.height if found.height else 1.0
    recall = hits / expected.height if expected.height else 1.0
    print(f"findings {found.height:,} vs injected {expected.height:,}: "
          f"precision {precision:.4f}, recall {recall:.4f}")
    print(f"peak memory             {peak_mb():7.0f} MB   (this process: synth, imports, audit; "
          f"limit {PEAK_LIMIT_MB:,} MB: {_verdict(peak_mb() < PEAK_LIMIT_MB)})")


def print_targets(import_rate: float, cli_rate: float, csv_rate: float, insert_rate: float,
                  cli_peak_mb: float) -> None:
    """The issue's target as it was stated (absolute rows/s) and relative to the baselines
    measured in this run, so that a slow or busy machine can be told from a slow import."""
    csv_target = TARGET_ROWS_S / REFERENCE_CSV_ROWS_S
    insert_target = TARGET_ROWS_S / REFERENCE_EXECUTEMANY_ROWS_S
    for label, rate in (("import (vidgov)", import_rate), ("import (vidgov CLI)", cli_rate)):
        verdict = "PASS" if rate >= TARGET_ROWS_S else "FAIL"
        print(f"{label:24s}{rate:>10,.0f} rows/s vs target {TARGET_ROWS_S:,}: {verdict}")
        print(f"{'':24s}= {rate / csv_rate:.2f}x the csv module's parse, "
              f"{rate / insert_rate:.2f}x executemany's insert; the issue's target is "
              f"{TARGET_ROWS_S // 1000}k/{REFERENCE_CSV_ROWS_S // 1000}k = {csv_target:.2f}x "
              f"and {TARGET_ROWS_S // 1000}k/{REFERENCE_EXECUTEMANY_ROWS_S // 1000}k = "
              f"{insert_target:.2f}x of the same baselines on its reference machine "
              f"(relative: {_verdict(rate / csv_rate >= csv_target)} / "
              f"{_verdict(rate / insert_rate >= insert_target)})")
    print(f"{'CLI peak memory':24s}{cli_peak_mb:>10,.0f} MB vs limit {PEAK_LIMIT_MB:,} MB: "
          f"{_verdict(cli_peak_mb < PEAK_LIMIT_MB)}")


def _verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def time_cli(catalog: Path, folder: Path) -> float:
    """``vidgov catalog import`` as a user runs it, into a new SQLite store; seconds."""
    env = {**os.environ, "VIDGOV_DATABASE_URL": f"sqlite:///{folder / 'cli.db'}"}
    command = [sys.executable, "-m", "vidgov", "catalog", "import", "--json",
               "--rejects", str(folder / "cli-rejects.csv"), str(catalog)]
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=folder, capture_output=True)
    return time.perf_counter() - start


def baseline_csv_parse(path: Path) -> tuple[list[list[str]], float]:
    start = time.perf_counter()
    text = path.read_bytes().decode("gb18030")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    return rows, time.perf_counter() - start


def baseline_executemany(path: Path, rows: list[list[str]]) -> float:
    width = len(rows[0])
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(
        f"CREATE TABLE camera (device_id TEXT PRIMARY KEY, "
        f"{', '.join(f'c{i} TEXT' for i in range(1, width))})")
    start = time.perf_counter()
    with connection:
        connection.executemany(
            f"INSERT OR IGNORE INTO camera VALUES ({', '.join('?' * width)})", rows)
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed


if __name__ == "__main__":
    main()
