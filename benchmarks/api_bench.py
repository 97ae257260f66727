"""API benchmark: the catalog and rates routes over a whole-province store, under load.

Target (issue 4): p95 ≤ 50 ms at 50 concurrent clients over a 250,000-camera store, on SQLite
and on PostgreSQL, with the load coming from a separate process.

For each backend the store is built through the real code: a synthetic Guangxi catalog
imported by ``import_catalog``; ``--days`` daily sweeps over every camera written as a sweep
writes them (a probe row per camera, each camera's latest state and since when, through the
store's bulk path: the ORM sweep would take minutes at this size); work orders opened,
escalated and closed by ``update_orders`` after each sweep; users of three roles made by
``create_user``. Then ``vidgov serve`` runs in its own process (``--workers`` 1 and 2) and
locust (another process, ``api_locustfile.py``) plays ``--users`` cockpit users, each with its
own bearer token, for ``--duration`` seconds.

Baseline, measured in the same run on the same store: the service with its read model
switched off (``VIDGOV_COCKPIT_TTL_S=0``: every cockpit request recomputes the estate from
the store, as a service without the cache would), one worker.

Run: ``.venv/bin/python benchmarks/api_bench.py [--cameras 250000] [--backend sqlite]``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from vidgov.catalog.exporter import Encoding
from vidgov.catalog.importer import import_catalog
from vidgov.catalog.store import read_cameras
from vidgov.domain.divisions import Level, load_divisions
from vidgov.maintenance.lifecycle import update_orders
from vidgov.probing.models import Sweep
from vidgov.services.estate import write_estate
from vidgov.sharing.accounts import create_user
from vidgov.sharing.policy import Role
from vidgov.store.bulk import bulk_session
from vidgov.store.db import open_store

TARGET_P95_MS = 50
HOST = "127.0.0.1"
PASSWORD = "bench-password-1"
NANNING, NANNING_CODE = "南宁市", "450100"
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
#: (role, share of the simulated users)
MIX = (("region_admin", 0.4), ("nanning_operator", 0.4), ("nanning_unit", 0.2))
#: Probe outcome by a camera's draw u in [0, 1): offline 20 %, online but not playable 10 %.
FAULTS = ((0.10, "unreachable"), (0.20, "timeout"), (0.25, "frozen"), (0.30, "blur"))
OFFLINE_BELOW, UNPLAYABLE_BELOW = 0.20, 0.30
CHURN = 0.05  # share of cameras whose state is drawn afresh each day


@dataclass(frozen=True)
class Persona:
    """A signed-in role and what it asks for: places, cameras and search terms in scope."""

    username: str
    places: list[dict[str, str]]
    device_ids: list[str]
    terms: list[str]


@dataclass(frozen=True)
class Result:
    label: str
    rows: list[dict[str, str]]  # locust's per-route stats, "Aggregated" last
    first_answer_s: float
    duration_s: int

    @property
    def overall(self) -> dict[str, str]:
        return self.rows[-1]

    @property
    def p95(self) -> tuple[float, bool]:
        """Overall p95 in ms, and whether it is only a lower bound: when no request was
        answered within the run, each took longer than the run."""
        value = self.overall["95%"]
        if value in ("", "N/A"):
            return self.duration_s * 1000.0, True
        return float(value), False

    def p95_text(self) -> str:
        value, lower_bound = self.p95
        return f"> {value:.0f}" if lower_bound else f"{value:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cameras", type=int, default=250_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=3, help="daily sweeps of probe history")
    parser.add_argument("--users", type=int, default=50, help="concurrent clients")
    parser.add_argument("--duration", type=int, default=30, help="seconds of load per run")
    parser.add_argument("--think-s", type=float, default=1.0,
                        help="mean pause of a client between requests")
    parser.add_argument("--workers", default="1,2", help="server worker counts to measure")
    parser.add_argument("--backend", action="append", choices=("sqlite", "postgresql"),
                        help="store backend (default: both)")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    folder = Path(tempfile.mkdtemp(prefix="vidgov-api-bench-"))
    try:
        run(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace, folder: Path) -> None:
    n = args.cameras
    print(f"API benchmark: {n:,} cameras, {args.days} days of sweeps, {args.users} clients "
          f"(think {args.think_s:.1f} s), {args.duration} s per run, target p95 ≤ "
          f"{TARGET_P95_MS} ms")
    catalog = folder / "catalog.csv"
    start = time.perf_counter()
    write_estate(n, args.seed, [], catalog, None, Encoding.UTF8)
    print(f"synth catalog            {time.perf_counter() - start:7.1f} s")
    results: list[Result] = []
    for backend in args.backend or ("sqlite", "postgresql"):
        with store_url(backend, folder) as url:
            personas = build_store(url, catalog, n, args.seed, args.days)
            for workers in (int(w) for w in args.workers.split(",")):
                label = f"{backend}, {workers} worker{'s' if workers > 1 else ''}"
                results.append(measure(label, url, workers, personas, args, folder, {}))
            if not args.no_baseline:
                label = f"{backend}, 1 worker, baseline (no read model)"
                results.append(measure(label, url, 1, personas, args, folder,
                                       {"VIDGOV_COCKPIT_TTL_S": "0"}))
    summarise(results)


# --- the store --------------------------------------------------------------------------


@contextlib.contextmanager
def store_url(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'vidgov.db'}"
        return
    sys.path.insert(0, str(HERE.parent / "tests"))
    from support.postgres import start_postgres

    server = start_postgres(folder / "pg")
    try:
        yield server.url
    finally:
        server.stop()


def build_store(url: str, catalog: Path, n: int, seed: int, days: int) -> list[Persona]:
    backend = url.partition(":")[0].partition("+")[0]
    print(f"\n== {backend}: building the store")
    engine = open_store(url)
    try:
        start = time.perf_counter()
        report = import_catalog(engine, [catalog])
        assert report.inserted == n, report.counts()
        print(f"import catalog           {time.perf_counter() - start:7.1f} s")
        start = time.perf_counter()
        orders = write_sweeps(engine, seed, days)
        print(f"{days} daily sweeps + orders {time.perf_counter() - start:7.1f} s   "
              f"({orders})")
        if engine.url.get_backend_name() == "postgresql":
            # What autovacuum does after a bulk load: planner statistics, visibility map.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
                db.exec_driver_sql("VACUUM ANALYZE")
        return make_personas(engine, seed)
    finally:
        engine.dispose()


def write_sweeps(engine: Engine, seed: int, days: int) -> str:
    """``days`` sweeps of every camera, one a day, each followed by ``update_orders``."""
    ids = read_cameras(engine, ("device_id",))["device_id"]
    rng = np.random.default_rng(seed)
    usual = rng.random(ids.len())
    now = datetime.now(UTC).replace(microsecond=0)
    health: pl.DataFrame | None = None
    opened = escalated = closed = 0
    for day in range(days - 1, -1, -1):
        at = now - timedelta(days=day, hours=2)
        draw = np.where(rng.random(ids.len()) < CHURN, rng.random(ids.len()), usual)
        fault = np.full(ids.len(), "", dtype=object)
        for bound, code in reversed(FAULTS):
            fault[draw < bound] = code
        with Session(engine) as session, session.begin():
            sweep = Sweep(scope="", status="finished", planned=ids.len(), started_at=at,
                          finished_at=at + timedelta(minutes=50))
            session.add(sweep)
            session.flush()
            sweep_id = sweep.id
        probes = pl.DataFrame({"device_id": ids, "fault": fault.astype(str)}).select(
            pl.lit(sweep_id).alias("sweep_id"), "device_id",
            pl.lit(at).dt.cast_time_unit("us").alias("probed_at"),
            pl.Series("online", draw >= OFFLINE_BELOW).cast(pl.Int64),
            pl.Series("playable", draw >= UNPLAYABLE_BELOW).cast(pl.Int64),
            pl.when(pl.col("fault") == "").then(pl.lit("[]"))
            .otherwise(pl.format('["{}"]', pl.col("fault"))).alias("faults"),
            pl.lit('{"connect": 40.0, "first_frame": 900.0}').alias("timings_ms"))
        latest = probes.select("device_id", "probed_at", "online", "playable", "faults",
                               "sweep_id")
        if health is None:
            health = latest.with_columns(since=pl.col("probed_at"))
        else:
            same = ((pl.col("online") == pl.col("online_was"))
                    & (pl.col("playable") == pl.col("playable_was"))
                    & (pl.col("faults") == pl.col("faults_was")))
            health = latest.join(
                health.select("device_id", online_was="online", playable_was="playable",
                              faults_was="faults", since_was="since"),
                on="device_id", how="left",
            ).select(*latest.columns, since=pl.when(same).then(pl.col("since_was"))
                     .otherwise(pl.col("probed_at")))
        with bulk_session(engine) as bulk:
            staged_probes = bulk.stage("probes", probes, like="probe_result")
            staged_health = bulk.stage("health", health, like="camera_health")
            bulk.execute(f"INSERT INTO probe_result ({', '.join(probes.columns)}) "
                         f"SELECT {', '.join(probes.columns)} FROM {staged_probes}")
            bulk.execute("DELETE FROM camera_health")
            bulk.execute(f"INSERT INTO camera_health ({', '.join(health.columns)}) "
                         f"SELECT {', '.join(health.columns)} FROM {staged_health}")
        changes = update_orders(engine, at + timedelta(hours=1))
        opened, escalated = opened + changes.opened, escalated + changes.escalated
        closed += changes.closed
    changes = update_orders(engine, now)
    return (f"orders opened {opened + changes.opened:,}, escalated "
            f"{escalated + changes.escalated:,}, closed {closed + changes.closed:,}")


def make_personas(engine: Engine, seed: int) -> list[Persona]:
    """Users of three roles, and what each can ask for within its scope."""
    divisions = load_divisions()
    cameras = read_cameras(engine, ("device_id", "admin_code", "name", "address",
                                    "maintenance_unit")).filter(
        pl.col("device_id").str.contains(r"^\d{20}$"))
    nanning = cameras.filter(pl.col("admin_code").str.starts_with(NANNING_CODE[:4]))
    unit = nanning["maintenance_unit"].drop_nulls().mode().sort()[0]
    own = nanning.filter(pl.col("maintenance_unit") == unit)
    with Session(engine) as session, session.begin():
        create_user(session, "region_admin", PASSWORD, Role.ADMIN, ["450000"], divisions)
        create_user(session, "nanning_operator", PASSWORD, Role.OPERATOR, [NANNING_CODE],
                    divisions, department="南宁市公安局")
        create_user(session, "nanning_unit", PASSWORD, Role.MAINTENANCE_UNIT, [NANNING_CODE],
                    divisions, maintenance_unit=unit)
    cities = [{"city": d.name} for d in divisions.of_level(Level.CITY)]
    counties = [{"county": d.code} for d in divisions.of_level(Level.COUNTY)
                if d.code.startswith(NANNING_CODE[:4])]
    nanning_places = [{"city": NANNING}, *counties]
    return [
        Persona("region_admin", cities, *_samples(cameras, seed)),
        Persona("nanning_operator", nanning_places, *_samples(nanning, seed)),
        Persona("nanning_unit", nanning_places, *_samples(own, seed)),
    ]


def _samples(cameras: pl.DataFrame, seed: int) -> tuple[list[str], list[str]]:
    """200 device IDs, and 30 search terms: ID prefixes, parts of names and addresses."""
    picked = cameras.sample(min(200, cameras.height), seed=seed)
    rng = np.random.default_rng(seed)
    terms = [d[:14] for d in picked["device_id"][:10]]
    for text in [*picked["name"].drop_nulls()[:10], *picked["address"].drop_nulls()[:10]]:
        start = int(rng.integers(0, max(1, len(text) - 4)))
        terms.append(text[start:start + 4])
    return picked["device_id"].to_list(), terms


# --- serving and loading ----------------------------------------------------------------


def measure(label: str, url: str, workers: int, personas: list[Persona],
            args: argparse.Namespace, folder: Path, env: dict[str, str]) -> Result:
    print(f"\n-- {label}")
    with serve(url, workers, folder, env) as base:
        tokens = fetch_tokens(base, personas, args.users)
        first_answer_s = warm(base, tokens, workers, settle="VIDGOV_COCKPIT_TTL_S" not in env)
        plan = folder / "plan.json"
        plan.write_text(json.dumps(_plan(personas, tokens, args.users, args.seed),
                                   ensure_ascii=False), encoding="utf-8")
        rows = run_locust(base, plan, args, folder)
    result = Result(label, rows, first_answer_s, args.duration)
    print_routes(result)
    return result


@contextlib.contextmanager
def serve(url: str, workers: int, folder: Path, env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    log = (folder / f"serve-{port}.log").open("wb")
    process = subprocess.Popen(
        [str(BIN / "vidgov"), "--database-url", url, "serve", "--host", HOST,
         "--port", str(port), "--workers", str(workers)],
        stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **env})
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"vidgov serve exited {process.returncode}: see its log")
            with contextlib.suppress(OSError):
                if _get(base + "/healthz", {})[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("vidgov serve did not come up in 120 s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def fetch_tokens(base: str, personas: Sequence[Persona], users: int) -> list[str]:
    """One bearer token per simulated user, from POST /api/auth/token."""
    tokens = []
    for username in _usernames(personas, users):
        body = urllib.parse.urlencode({"username": username, "password": PASSWORD}).encode()
        request = urllib.request.Request(base + "/api/auth/token", data=body)
        with urllib.request.urlopen(request, timeout=60) as answer:
            tokens.append(json.loads(answer.read())["access_token"])
    return tokens


def warm(base: str, tokens: list[str], workers: int, settle: bool = True) -> float:
    """Until every worker answers the cockpit quickly (at most a minute); returns the seconds
    to the first answer.

    Each worker builds its read model on its first cockpit request: that start-up is timed
    here, not in the load run. Without a read model (``settle`` False) there is nothing to
    wait for.
    """
    headers = {"Authorization": f"Bearer {tokens[0]}"}
    paths = ["/api/kpis", "/api/rates/trend", "/api/map/regions", "/api/cameras"]
    start = time.monotonic()
    _get(base + paths[0], headers, timeout=600)
    first = time.monotonic() - start
    deadline = time.monotonic() + 60
    with concurrent.futures.ThreadPoolExecutor(8 * workers) as pool:
        while settle and time.monotonic() < deadline:
            began = time.monotonic()
            answers = list(pool.map(lambda p: _get(base + p, headers, timeout=600),
                                    paths * 2 * workers))
            if all(code == 200 for code, _ in answers) and time.monotonic() - began < 1.0:
                break
    return first


def run_locust(base: str, plan: Path, args: argparse.Namespace, folder: Path
               ) -> list[dict[str, str]]:
    prefix = folder / "locust"
    completed = subprocess.run(
        [str(BIN / "locust"), "-f", str(HERE / "api_locustfile.py"), "--headless",
         "-u", str(args.users), "-r", str(args.users), "-t", f"{args.duration}s",
         "--host", base, "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"],
        env={**os.environ, "VIDGOV_BENCH_PLAN": str(plan),
             "VIDGOV_BENCH_THINK_S": str(args.think_s)},
        capture_output=True, text=True, timeout=args.duration + 120, check=False)
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        raise RuntimeError(f"locust failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
    with stats.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        with failures.open(encoding="utf-8") as file:
            for row in list(csv.DictReader(file))[:5]:
                print(f"   failure: {row['Name']}: {row['Error'][:160]} ×{row['Occurrences']}")
    return rows


def _plan(personas: Sequence[Persona], tokens: list[str], users: int, seed: int
          ) -> list[dict[str, Any]]:
    by_name = {p.username: p for p in personas}
    return [{"token": token, "seed": seed + i, "places": by_name[name].places,
             "device_ids": by_name[name].device_ids, "terms": by_name[name].terms}
            for i, (name, token) in enumerate(zip(_usernames(personas, users), tokens,
                                                  strict=True))]


def _usernames(personas: Sequence[Persona], users: int) -> list[str]:
    names = []
    for name, share in MIX:
        names += [name] * round(users * share)
    return (names + [personas[0].username] * users)[:users]


def _get(url: str, headers: dict[str, str], timeout: float = 10) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


# --- figures ----------------------------------------------------------------------------


def print_routes(result: Result) -> None:
    print(f"first answer after start (read model built) {result.first_answer_s:5.1f} s")
    print(f"{'route':<34} {'requests':>8} {'fail':>5} {'p50':>6} {'p95':>6} {'p99':>6}   ms")
    for row in result.rows:
        name = "all routes" if row["Name"] == "Aggregated" else row["Name"]
        print(f"{name:<34} {int(row['Request Count']):>8} {int(row['Failure Count']):>5} "
              f"{_ms(row['50%']):>6} {_ms(row['95%']):>6} {_ms(row['99%']):>6}")
    overall = result.overall
    p95, _ = result.p95
    verdict = "met" if p95 <= TARGET_P95_MS else "NOT met"
    print(f"overall p95 {result.p95_text()} ms vs target {TARGET_P95_MS} ms: {verdict}; "
          f"{float(overall['Requests/s']):.0f} requests/s answered")


def summarise(results: Sequence[Result]) -> None:
    print(f"\n== summary: all routes, ms (target p95 ≤ {TARGET_P95_MS} ms)")
    print(f"{'run':<46} {'req/s':>6} {'p50':>6} {'p95':>6} {'p99':>6} {'fail':>5}  target")
    for result in results:
        row = result.overall
        verdict = "met" if result.p95[0] <= TARGET_P95_MS else "NOT met"
        print(f"{result.label:<46} {float(row['Requests/s']):>6.0f} {_ms(row['50%']):>6} "
              f"{result.p95_text():>6} {_ms(row['99%']):>6} {int(row['Failure Count']):>5}  "
              f"{verdict}")
    for result in results:
        if "baseline" not in result.label:
            continue
        backend = result.label.partition(",")[0]
        for other in results:
            if other.label == f"{backend}, 1 worker":
                (slow, lower_bound), (fast, _) = result.p95, other.p95
                print(f"{backend}: baseline p95 / read-model p95 (1 worker) = "
                      f"{'≥ ' if lower_bound else ''}{slow / max(1.0, fast):,.0f}x")


def _ms(value: str) -> str:
    return "n/a" if value in ("", "N/A") else f"{float(value):.0f}"


if __name__ == "__main__":
    main()
