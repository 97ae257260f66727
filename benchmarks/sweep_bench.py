"""Sweep benchmark: a whole provincial catalog swept against a real simulated fleet.

Target (issue 3): a 250,000-camera catalog against the simulated fleet, the online pass in at
most 3 minutes and the full playable sweep in at most 20 minutes on a 2-core machine, fleet
included. What it does, all in one run on this machine:

- a throwaway SQLite store (a temporary folder) and a simulated fleet on 127.0.0.1
  (``vidgov.simulate.fleet``: GStreamer's RTSP server in a child process, hang/no-packet
  cameras in a thread, dead cameras on a closed port). ``--cameras`` catalog cameras share
  ``--mounts`` real RTSP mounts of the same condition; each keeps its own device ID and is
  really probed (nothing is shared between cameras but the server). The catalog is written
  by ``services.fleet.register_fleet``, as ``vidgov sim fleet --register`` does;
- the online pass: ``services.sweeps.sweep`` with the prober ``vidgov sweep --no-decode``
  builds (protocol level: OPTIONS + DESCRIBE), every result stored;
- the full playable sweep: the same with decoding and picture diagnosis, as ``vidgov sweep``
  runs by default (OSD clock read on every 100th camera, as there). It stops at
  ``--playable-budget`` seconds (default: the 20-minute target; the sweep is resumable, so
  this is a kill). A run stopped there, or of fewer cameras than the catalog's 250,000, is
  projected as measured plus the cameras it did not reach at its steady rate (from a quarter
  to nine tenths of its cameras): its start and end are paid once, not once a tenth;
- the baseline: one tuned ``ffprobe`` process per camera, one after another, on a sample of
  the same catalog, extrapolated to the whole catalog.

Printed per pass: wall time, cameras/s, CPU seconds of the prober process and of the fleet
(GStreamer child + the in-process fault thread), CPU used by other processes meanwhile, the
online and playable rates found against what the fleet was told, targets passed or failed,
and the time on N workers.

Run: ``.venv/bin/python benchmarks/sweep_bench.py [--cameras 250000] [--mounts 1000]``;
``--cameras 2000 --playable-budget 120`` for a quick look.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, func, select

from vidgov.cli.sweep import OSD_EVERY
from vidgov.probing.models import ProbeRecord, Sweep
from vidgov.probing.probe import ProbeOptions
from vidgov.probing.results import ProbeTimeouts
from vidgov.services.fleet import register_fleet
from vidgov.services.sweeps import make_prober, picture_diagnoser, sweep
from vidgov.simulate.fleet import (
    PICTURE_CONDITIONS,
    Condition,
    Fleet,
    FleetCamera,
    assign_conditions,
)
from vidgov.store.db import open_store

#: The targets, set for the province's catalog on a 2-core machine.
TARGET_CAMERAS = 250_000
ONLINE_TARGET_S = 3 * 60.0
PLAYABLE_TARGET_S = 20 * 60.0

#: About 80 % online and 65 % playable, as the region reports: a fifth of the cameras dead
#: (closed ports), every picture fault and every answering protocol fault, the rest normal.
#: (Hanging cameras are left out: each holds a probe slot for its whole timeout, which
#: measures the timeout, not the sweep.)
BENCH_MIX: Mapping[Condition, float] = {
    Condition.NORMAL: 0.54,
    **dict.fromkeys(PICTURE_CONDITIONS[1:], 0.015),
    Condition.PORT_CLOSED: 0.20,
    Condition.AUTH_REQUIRED: 0.03,
    Condition.NOT_FOUND: 0.03,
    Condition.NO_VIDEO: 0.01,
    Condition.NO_KEYFRAME: 0.02,
    Condition.NO_PACKETS: 0.02,
}

#: ffprobe as tuned as it goes (as in ``probe_bench.py``), with a 2 s socket timeout like ours.
FFPROBE = ["-v", "error", "-rtsp_transport", "tcp", "-timeout", "2000000",
           "-analyzeduration", "0", "-probesize", "500", "-show_streams"]
WORKERS = (1, 2, 4, 8, 16)


def _ticks(path: str) -> float:
    """User + system CPU seconds from a /proc ``stat`` file (Linux)."""
    try:
        with open(path) as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_busy_s() -> float:
    """CPU seconds the whole machine has spent busy (all cores, /proc/stat)."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@dataclass
class Cost:
    """What one phase cost: wall seconds and CPU seconds of each party."""

    wall_s: float = 0.0
    prober_s: float = 0.0  # this process, less the fleet's thread in it, + prober processes
    fleet_s: float = 0.0  # GStreamer child + the fault-serving thread of this process
    others_s: float = 0.0  # every other process on the machine meanwhile
    children_s: float = 0.0  # of prober_s: the prober child processes (``--processes``)

    def line(self, cameras: int) -> str:
        cores = os.cpu_count() or 1
        return (f"{_clock(self.wall_s)} wall, {cameras / self.wall_s:,.0f} cameras/s; CPU: "
                f"prober {self.prober_s:,.0f} s ({self.prober_s / self.wall_s:.2f} cores, "
                f"{self.prober_s / cameras * 1000:.2f} ms a camera"
                + (f", of which {self.children_s / cameras * 1000:.2f} in prober processes and "
                   f"{(self.prober_s - self.children_s) / cameras * 1000:.2f} in the storing one"
                   if self.children_s else "")
                + f"), fleet {self.fleet_s:,.0f} s "
                f"({self.fleet_s / self.wall_s:.2f} cores), other processes {self.others_s:,.0f} s "
                f"({self.others_s / self.wall_s:.2f} of {cores} cores)")


@contextmanager
def measured(fleet: Fleet) -> Iterator[Cost]:
    """Measure the block's wall time and CPU, split between prober, fleet and the rest."""
    pid, thread = fleet.server_pid, fleet.faulty_thread_id
    child = f"/proc/{pid}/stat" if pid is not None else ""
    faulty = f"/proc/self/task/{thread}/stat" if thread is not None else ""

    def now() -> tuple[float, float, float, float, float, float]:
        # Prober child processes (``--processes``) are reaped when the sweep stops, so their
        # CPU is in RUSAGE_CHILDREN by the end of the block (the fleet's child is still up).
        reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (time.perf_counter(), time.process_time(), reaped.ru_utime + reaped.ru_stime,
                _ticks(child) if child else 0.0, _ticks(faulty) if faulty else 0.0,
                _machine_busy_s())

    cost = Cost()
    before = now()
    try:
        yield cost
    finally:
        after = now()
        wall, own, kids, server, fault, busy = (
            a - b for a, b in zip(after, before, strict=True))
        cost.wall_s, cost.prober_s, cost.fleet_s = wall, own + kids - fault, server + fault
        cost.children_s = kids
        cost.others_s = max(0.0, busy - own - kids - server)


def _clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{rest:02d}s" if hours else f"{minutes}m{rest:02d}s"


def fleet_conditions(mounts: int, mix: Mapping[Condition, float], seed: int) -> list[Condition]:
    """``mounts`` mount conditions in ``mix`` proportions, at least one of each condition."""
    conditions = assign_conditions(mounts, mix, seed)
    missing = [c for c, weight in mix.items() if weight > 0 and c not in conditions]
    return conditions + missing


def catalog_cameras(
    cameras: int, fleet: list[FleetCamera], mix: Mapping[Condition, float], seed: int
) -> list[FleetCamera]:
    """``cameras`` catalog cameras in ``mix`` proportions, each pointing at a mount of its
    condition (round robin over that condition's mounts)."""
    by_condition: dict[Condition, list[FleetCamera]] = {}
    for mount in fleet:
        by_condition.setdefault(mount.condition, []).append(mount)
    used: Counter[Condition] = Counter()
    out = []
    for condition in assign_conditions(cameras, mix, seed + 1):
        mounts = by_condition[condition]
        out.append(mounts[used[condition] % len(mounts)])
        used[condition] += 1
    return out


@dataclass
class Found:
    """Rates a sweep found against what the fleet was told, over the cameras it probed."""

    probed: int
    online: float
    online_told: float
    playable: float
    playable_told: float
    wrong: Counter[str] = field(default_factory=Counter)

    def lines(self, decode: bool) -> list[str]:
        out = [f"online rate {self.online:.2%} found, {self.online_told:.2%} told"]
        if decode:
            out.append(f"playable rate {self.playable:.2%} found, {self.playable_told:.2%} told")
        wrong = sum(self.wrong.values())
        out.append(f"cameras off their expected state: {wrong:,} of {self.probed:,}"
                   + (" (" + ", ".join(f"{k} {v}" for k, v in self.wrong.most_common(6)) + ")"
                      if wrong else ""))
        return out


def found_vs_told(engine: Engine, sweep_id: int, manifest: pl.DataFrame, decode: bool) -> Found:
    """Compare the stored results of ``sweep_id`` with the fleet's manifest."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(ProbeRecord.device_id, ProbeRecord.online, ProbeRecord.playable,
                   ProbeRecord.faults).where(ProbeRecord.sweep_id == sweep_id)).all()
    stored = pl.DataFrame(
        {"device_id": [r[0] for r in rows], "online_found": [bool(r[1]) for r in rows],
         "playable_found": [bool(r[2]) for r in rows],
         "faults": [",".join(r[3]) or "ok" for r in rows]},
        schema={"device_id": pl.String, "online_found": pl.Boolean,
                "playable_found": pl.Boolean, "faults": pl.String})
    both = manifest.join(stored, on="device_id", how="inner")
    off = both.filter((pl.col("online") != pl.col("online_found"))
                      | (pl.lit(decode) & (pl.col("playable") != pl.col("playable_found"))))
    return Found(
        probed=both.height,
        online=_share(both["online_found"]), online_told=_share(both["online"]),
        playable=_share(both["playable_found"]), playable_told=_share(both["playable"]),
        wrong=Counter(f"{c} found {f}" for c, f in off.select("condition", "faults").iter_rows()))


def _share(flags: pl.Series) -> float:
    """The share of true values, 0 for none."""
    return int(flags.sum()) / flags.len() if flags.len() else 0.0


class OutOfTime(Exception):
    """The playable sweep reached its time budget (the sweep stays resumable)."""


class Progress:
    """A sweep progress callback: a line every 30 s; raises :class:`OutOfTime` past budget.

    It also keeps when each camera count was reached, for :meth:`steady_rate`: a run of
    20,000 cameras is a tenth of the catalog, and its start (spawning the prober processes,
    loading the OCR model) and its end (the last probes draining, work orders updated) are
    paid once whatever the catalog's size, so scaling its whole wall time up counts them
    a dozen times over.
    """

    def __init__(self, total: int, label: str, budget_s: float) -> None:
        self.total, self.label, self.budget_s = total, label, budget_s
        self.started = self.last = time.perf_counter()
        self.done = 0
        self.reached: list[tuple[float, int]] = []  # (seconds from the start, cameras done)

    def __call__(self, n: int) -> None:
        self.done += n
        now = time.perf_counter()
        self.reached.append((now - self.started, self.done))
        if now - self.last >= 30.0:
            self.last = now
            print(f"    {self.label}: {self.done:,}/{self.total:,} after "
                  f"{_clock(now - self.started)} ({self.done / (now - self.started):,.0f} "
                  "cameras/s)", flush=True)
        if self.budget_s and now - self.started > self.budget_s and self.done < self.total:
            raise OutOfTime

    def steady_rate(self, first: float = 0.25, last: float = 0.9) -> float | None:
        """Cameras/s between the moments ``first`` and ``last`` of the cameras were done
        (shares of those done); None when too few were recorded to tell."""
        if not self.reached:
            return None
        done = self.reached[-1][1]
        start = next((p for p in self.reached if p[1] >= first * done), None)
        end = next((p for p in self.reached if p[1] >= last * done), None)
        if start is None or end is None or end[0] - start[0] < 5.0:
            return None
        return (end[1] - start[1]) / (end[0] - start[0])


def ffprobe_baseline(urls: list[str]) -> tuple[float, float, int]:
    """(wall s, CPU s of the ffprobe processes, successes): one ffprobe per camera in turn."""
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        raise SystemExit("ffprobe not found: run scripts/install-system-deps.sh")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    ok = 0
    started = time.perf_counter()
    for url in urls:
        try:
            done = subprocess.run([ffprobe, *FFPROBE, url], capture_output=True, timeout=30,
                                  check=False)
            ok += done.returncode == 0
        except subprocess.TimeoutExpired:
            pass
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    return wall, cpu, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cameras", type=int, default=250_000, help="catalog cameras")
    parser.add_argument("--mounts", type=int, default=1000,
                        help="real RTSP mounts the catalog cameras share")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="as vidgov sweep (default: 200 a prober process)")
    parser.add_argument("--timeout", type=float, default=2.0, help="as vidgov sweep")
    parser.add_argument("--batch-size", type=int, default=500, help="as vidgov sweep")
    parser.add_argument("--osd-every", type=int, default=OSD_EVERY,
                        help=f"as vidgov sweep (default {OSD_EVERY}, as there)")
    parser.add_argument("--processes", type=int, default=1,
                        help="prober processes of the playable sweep (sharing --concurrency "
                        "and --decode-workers)")
    parser.add_argument("--decode-workers", type=int, default=None,
                        help="streams decoded at once in all (default: as vidgov sweep)")
    parser.add_argument("--playable-budget", type=float, default=PLAYABLE_TARGET_S,
                        help="seconds the playable sweep may run before it is stopped and "
                        "projected (0: to the end)")
    parser.add_argument("--ffprobe-sample", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="vidgov-sweep-bench-"))
    try:
        run(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace, folder: Path) -> None:  # noqa: PLR0915 - one report
    n = args.cameras
    print(f"sweep benchmark: {n:,} catalog cameras on {args.mounts:,} shared RTSP mounts, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    engine = open_store(f"sqlite:///{folder / 'sweep-bench.db'}")
    started = time.perf_counter()
    with Fleet(fleet_conditions(args.mounts, BENCH_MIX, args.seed)) as fleet:
        print(f"  fleet: {len(fleet.cameras):,} mounts up in "
              f"{time.perf_counter() - started:.1f} s (GStreamer child pid {fleet.server_pid})")
        cameras = catalog_cameras(n, fleet.cameras, BENCH_MIX, args.seed)
        started = time.perf_counter()
        manifest = register_fleet(engine, cameras, args.seed)
        told = Counter(c.condition.value for c in cameras)
        print(f"  catalog: {manifest.height:,} cameras, {manifest['device_id'].n_unique():,} "
              f"device IDs, written in {time.perf_counter() - started:.1f} s; told: online "
              f"{_share(manifest['online']):.2%}, playable {_share(manifest['playable']):.2%} "
              f"(dead: {told[Condition.PORT_CLOSED.value]:,} closed ports)")
        timeouts = ProbeTimeouts(connect_s=args.timeout, rtsp_s=args.timeout)

        # 1. The online pass: what `vidgov sweep --no-decode` runs.
        prober = make_prober(ProbeOptions(decode=False, timeouts=timeouts), args.concurrency)
        with measured(fleet) as online:
            report = sweep(engine, [], prober, batch_size=args.batch_size,
                           progress=Progress(n, "online pass", 0))
        assert report.summary.probed_now == n, report.summary
        print(f"\nonline pass (protocol level, {prober.concurrency} in flight, every result "
              f"stored): {online.line(n)}")
        for line in found_vs_told(engine, report.summary.sweep_id, manifest, False).lines(False):
            print(f"  {line}")

        # 2. The baseline: one ffprobe process per camera, on a sample of the same catalog.
        sample = random.Random(args.seed).sample([c.url for c in cameras],
                                                 min(args.ffprobe_sample, n))
        base_wall, base_cpu, base_ok = ffprobe_baseline(sample)
        base_rate = len(sample) / base_wall
        print(f"\nbaseline, one tuned ffprobe per camera in turn ({len(sample)} sampled "
              f"cameras, {base_ok} succeeded): {base_rate:.2f} cameras/s, "
              f"{base_cpu / len(sample) * 1000:.0f} ms CPU a camera; for {n:,} cameras: "
              f"{_clock(n / base_rate)} (run {os.cpu_count()} at a time and CPU-bound: at best "
              f"{_clock(n * base_cpu / len(sample) / (os.cpu_count() or 1))})")
        print(f"  ratio: the online pass is {n / online.wall_s / base_rate:,.0f}x the baseline")

        # 3. The full playable sweep: what `vidgov sweep` runs.
        options = ProbeOptions(decode=True, timeouts=timeouts,
                               diagnose=picture_diagnoser(clock_every=args.osd_every))
        prober = make_prober(options, args.concurrency, args.decode_workers,
                             processes=args.processes)
        print(f"\nfull playable sweep ({prober.concurrency} in flight and {prober.decode_workers} "
              f"decoding in {args.processes} process(es), windows of {options.window_frames} "
              f"frames, OSD clock on every {args.osd_every}th): "
              "running", flush=True)
        stopped = False
        progress = Progress(n, "playable sweep", args.playable_budget)
        with measured(fleet) as playable:
            try:
                report = sweep(engine, [], prober, batch_size=args.batch_size,
                               progress=progress)
                sweep_id = report.summary.sweep_id
            except OutOfTime:
                stopped = True
        if stopped:
            with engine.connect() as connection:
                sweep_id = int(connection.execute(select(func.max(Sweep.id))).scalar_one())
        found = found_vs_told(engine, sweep_id, manifest, True)
        done = found.probed
        steady = progress.steady_rate()
        rate = steady or done / playable.wall_s

        def wall_for(cameras: int) -> float:
            """The run as measured, then the cameras it did not reach at its steady rate."""
            return playable.wall_s + max(cameras - done, 0) / rate

        print(f"  {done:,} cameras: {playable.line(done)}")
        if steady is not None:
            print(f"  steady rate, from a quarter to nine tenths of the cameras done: "
                  f"{steady:,.0f} cameras/s; the start and the end took "
                  f"{playable.wall_s - done / steady:.0f} s more than that rate would")
        if stopped:
            print(f"  stopped at the {_clock(args.playable_budget)} budget after {done:,} of "
                  f"{n:,}; at that rate all {n:,} take {_clock(wall_for(n))}")
        for line in found.lines(True):
            print(f"  {line}")
        print(f"  ratio: {done / playable.wall_s / base_rate:,.1f}x the ffprobe baseline "
              "(which decodes nothing)")

    scale = TARGET_CAMERAS / n
    online_s, playable_s = online.wall_s * scale, wall_for(TARGET_CAMERAS)
    at = "" if n == TARGET_CAMERAS else f", projected from {n:,}"
    print(f"\ntargets for {TARGET_CAMERAS:,} cameras (this machine, fleet included{at}):")
    print(f"  online pass {_clock(online_s)}{' (linearly)' if at else ''} <= "
          f"{_clock(ONLINE_TARGET_S)}: {'PASS' if online_s <= ONLINE_TARGET_S else 'FAIL'}"
          f"{_alone(online, scale)}")
    print(f"  full playable sweep {_clock(playable_s)}"
          + (" (the cameras measured, then the rest at the steady rate; linearly from the "
             f"whole run {_clock(playable.wall_s * TARGET_CAMERAS / max(done, 1))})"
             if done < TARGET_CAMERAS else "")
          + f" <= {_clock(PLAYABLE_TARGET_S)}: "
          f"{'PASS' if playable_s <= PLAYABLE_TARGET_S else 'FAIL'}"
          f"{_alone(playable, playable_s / playable.wall_s)}")
    print(f"  baseline, one ffprobe per camera in turn: {_clock(TARGET_CAMERAS / base_rate)} "
          "(protocol level only)")

    online_cpu = online.prober_s / n
    playable_cpu = playable.prober_s / max(done, 1)
    print(f"\n{TARGET_CAMERAS:,} cameras on N workers, assuming each worker is one prober "
          f"process like this one with a core of its own (a process is held to about one core "
          f"by its GIL: {online.prober_s / online.wall_s:.2f} and "
          f"{playable.prober_s / playable.wall_s:.2f} cores here), the cameras elsewhere and "
          f"the store keeping up: time = cameras x prober CPU a camera "
          f"({online_cpu * 1000:.2f} ms online, {playable_cpu * 1000:.1f} ms playable) / N")
    print(f"  {'workers':>8} {'online pass':>14} {'playable sweep':>16}")
    for workers in WORKERS:
        t_online = TARGET_CAMERAS * online_cpu / workers
        t_playable = TARGET_CAMERAS * playable_cpu / workers
        print(f"  {workers:>8} {_clock(t_online):>9} {_mark(t_online, ONLINE_TARGET_S)} "
              f"{_clock(t_playable):>11} {_mark(t_playable, PLAYABLE_TARGET_S)}")


def _alone(cost: Cost, scale: float) -> str:
    """A note estimating the phase on an otherwise idle machine, when others took CPU."""
    cores = os.cpu_count() or 1
    if cost.others_s < 0.1 * cost.wall_s:
        return ""
    floor = max(cost.prober_s, (cost.prober_s + cost.fleet_s) / cores) * scale
    return (f" (other processes took {cost.others_s / cost.wall_s:.2f} cores meanwhile; "
            f"CPU-bound estimate without them: {_clock(floor)})")


def _mark(seconds: float, target: float) -> str:
    return "ok  " if seconds <= target else "over"


if __name__ == "__main__":
    main()
