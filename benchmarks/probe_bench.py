"""Probe benchmark: protocol probes per second against a real RTSP fleet, against ffprobe.

Measured in one run against the same simulated fleet (``vidgov.simulate.fleet``, GStreamer's RTSP
server in a child process on this machine, so server and prober share the cores):

- protocol probes (asyncio RTSP OPTIONS + DESCRIBE) over every camera, ``--concurrency`` in
  flight: cameras/s of wall time and per CPU-second of the prober;
- the baseline: one ``ffprobe`` process per camera, sequentially, on a sample (ratio printed);
- first-frame times of the decode stage (PyAV, ``analyzeduration=0``, ``probesize=500``) on a
  sample of late-joining viewers (they wait for the next keyframe, ~half a 1 s GOP on average);
- the fleet's encoder cost: CPU of the GStreamer child while every picture kind streams.

Run: ``.venv/bin/python benchmarks/probe_bench.py [--cameras 1000]``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import time

from vidgov.probing.address import parse_address
from vidgov.probing.frames import read_window
from vidgov.probing.probe import ProbeOptions, probe_many
from vidgov.probing.results import ProbeTimeouts
from vidgov.simulate.fleet import PICTURE_CONDITIONS, Fleet, PictureFormat


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def protocol_sweep(urls: list[str], concurrency: int) -> tuple[float, float, int]:
    """(wall seconds, prober CPU seconds, cameras answered) for one protocol-only sweep."""
    options = ProbeOptions(timeouts=ProbeTimeouts(connect_s=5.0, rtsp_s=5.0), decode=False)
    wall, cpu = time.perf_counter(), time.process_time()
    results = probe_many(urls, options, concurrency=concurrency)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, cpu, sum(r.online and not r.faults for r in results)


#: ffprobe as people run it, and tuned as far as it goes (no stream analysis, tiny probe).
FFPROBE_DEFAULT = ["-v", "error", "-rtsp_transport", "tcp", "-show_streams"]
FFPROBE_TUNED = [*FFPROBE_DEFAULT, "-analyzeduration", "0", "-probesize", "500"]


def ffprobe_rate(urls: list[str], flags: list[str]) -> tuple[float, int]:
    """(cameras/s, successes) running one ffprobe per camera, one after another."""
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        raise SystemExit("ffprobe not found: run scripts/install-system-deps.sh")
    ok = 0
    started = time.perf_counter()
    for url in urls:
        done = subprocess.run(
            [ffprobe, *flags, url],
            capture_output=True,
            timeout=30,
            check=False,
        )
        ok += done.returncode == 0
    return len(urls) / (time.perf_counter() - started), ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cameras", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--ffprobe-sample", type=int, default=20)
    parser.add_argument("--decode-sample", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="protocol sweeps; the best is kept")
    args = parser.parse_args()

    # Every picture kind in equal shares: one shared encoder per kind, N mounts in all.
    fleet = Fleet.from_mix(
        args.cameras, dict.fromkeys(PICTURE_CONDITIONS, 1.0), seed=1, picture=PictureFormat()
    )
    started = time.perf_counter()
    with fleet:
        print(
            f"fleet: {args.cameras} mounts, {len(PICTURE_CONDITIONS)} shared pipelines "
            f"(640x360, 10 fps, 1 s GOP), up in {time.perf_counter() - started:.2f} s"
        )
        urls = [camera.url for camera in fleet.cameras]
        pid = fleet.server_pid
        assert pid is not None

        # First viewers start every pipeline; from then on each encodes whether watched or not.
        timeouts = ProbeTimeouts(first_frame_s=5.0, window_s=2.0)
        first_ms = []
        by_kind = {camera.condition: camera.url for camera in fleet.cameras}
        for url in by_kind.values():
            read_window(parse_address(url), timeouts, frames=1)
        time.sleep(1.0)
        before, wall = cpu_seconds(pid), time.perf_counter()
        time.sleep(5.0)
        encoders = (cpu_seconds(pid) - before) / (time.perf_counter() - wall)
        print(
            f"encoder CPU: {encoders:.2f} cores for {len(by_kind)} live pipelines serving "
            f"{args.cameras} mounts ({encoders / len(by_kind) * 100:.1f} % of a core each)"
        )

        best = None
        for _ in range(args.rounds):
            server_before = cpu_seconds(pid)
            wall, cpu, ok = protocol_sweep(urls, args.concurrency)
            server_cpu = cpu_seconds(pid) - server_before
            if best is None or wall < best[0]:
                best = (wall, cpu, ok, server_cpu)
        assert best is not None
        wall, cpu, ok, server_cpu = best
        rate = args.cameras / wall
        print(
            f"protocol probes (OPTIONS+DESCRIBE, {args.concurrency} in flight): "
            f"{rate:,.0f} cameras/s wall, {args.cameras / cpu:,.0f} per prober CPU-second "
            f"({ok}/{args.cameras} answered; server used {server_cpu / wall:.2f} cores)"
        )

        sample = urls[: args.ffprobe_sample]
        plain, plain_ok = ffprobe_rate(sample[:5], FFPROBE_DEFAULT)
        print(
            f"baseline, one plain ffprobe per camera: {plain:.2f} cameras/s "
            f"({plain_ok}/5 succeeded; it analyses up to 5 s of stream)"
        )
        baseline, baseline_ok = ffprobe_rate(sample, FFPROBE_TUNED)
        print(
            f"baseline, one tuned ffprobe per camera (-analyzeduration 0 -probesize 500): "
            f"{baseline:.2f} cameras/s ({baseline_ok}/{len(sample)} succeeded)"
        )
        print(
            f"ratio: protocol probes are {rate / baseline:,.0f}x the tuned ffprobe baseline, "
            f"{rate / plain:,.0f}x the plain one"
        )

        phases = random.Random(1)
        for url in urls[: args.decode_sample]:
            outcome = read_window(parse_address(url), timeouts, frames=1)
            if outcome.window is not None:
                first_ms.append(outcome.timings_ms["first_frame"])
            time.sleep(phases.uniform(0.0, 1.0))  # join at a random phase of the 1 s GOP
        if first_ms:
            first_ms.sort()
            p90 = first_ms[int(0.9 * (len(first_ms) - 1))]
            print(
                f"first decoded frame (late viewer, PyAV): median "
                f"{statistics.median(first_ms):.0f} ms, p90 {p90:.0f} ms, "
                f"min {first_ms[0]:.0f} ms, max {first_ms[-1]:.0f} ms "
                f"({len(first_ms)}/{args.decode_sample} decoded)"
            )


if __name__ == "__main__":
    main()
