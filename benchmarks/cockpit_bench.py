"""Cockpit benchmark: first meaningful render in a real browser over a whole-province store.

Target (issue 4): the cockpit's first meaningful render ≤ 2 s with 250,000 cameras in the
store. "Meaningful" here means what a decision maker came for: the KPI cards filled, and the
map of Guangxi drawn with every placed camera as a coloured point (ECharts says it finished
rendering and the map holds as many points as the API sent); the per-city rates and the trend
load alongside. The clock runs from the navigation to ``/`` until then, in Debian's Chromium
driven by Playwright, signed in as a region-wide admin.

The store is built as ``api_bench.py`` builds it (a synthetic catalog imported through the
real importer, ``--days`` daily sweeps of every camera, work orders). ``vidgov serve`` runs in
its own process, which builds its read model at start-up (``/healthz`` says when it is ready;
the time is printed). Printed: the first render once the service is ready and ``--runs``
renders after it (median and worst).

Baseline, in the same run: the service with its read model switched off
(``VIDGOV_COCKPIT_TTL_S=0``: every request reads and aggregates the estate from the store).

Run: ``.venv/bin/python benchmarks/cockpit_bench.py [--cameras 250000] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from api_bench import PASSWORD, build_store, serve, store_url
from playwright.sync_api import Page, sync_playwright

from vidgov.catalog.exporter import Encoding
from vidgov.services.estate import write_estate

TARGET_S = 2.0
#: True once the KPI cards and the whole map are drawn.
RENDERED = """() => {
  const map = document.querySelector("#map"), kpis = document.querySelector("#kpis");
  return Boolean(kpis && kpis.dataset.cameras && map && map.dataset.rendered === "1"
                 && map.dataset.points);
}"""


@dataclass(frozen=True)
class Renders:
    label: str
    warm_up_s: float
    first_s: float
    then_s: list[float]
    points: int

    def line(self) -> str:
        median, worst = statistics.median(self.then_s), max(self.then_s)
        verdict = "met" if max(self.first_s, worst) <= TARGET_S else "NOT met"
        return (f"{self.label:<26} ready after {self.warm_up_s:4.1f} s; first "
                f"{self.first_s:5.2f} s, then median {median:5.2f} s, worst {worst:5.2f} s; "
                f"{self.points:,} points; target {TARGET_S:.0f} s: "
                f"{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cameras", type=int, default=250_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=3, help="daily sweeps of probe history")
    parser.add_argument("--runs", type=int, default=5, help="renders after the first")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("needs Debian's chromium: run scripts/install-system-deps.sh")
    folder = Path(tempfile.mkdtemp(prefix="vidgov-cockpit-bench-"))
    try:
        run(args, folder, chromium)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace, folder: Path, chromium: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from support.chromium import CHROMIUM_ARGS  # the flags the browser tests use

    print(f"cockpit benchmark: {args.cameras:,} cameras ({args.backend}), {args.days} days of "
          f"sweeps, target first meaningful render ≤ {TARGET_S:.0f} s")
    catalog = folder / "catalog.csv"
    write_estate(args.cameras, args.seed, [], catalog, None, Encoding.UTF8)
    results = []
    with store_url(args.backend, folder) as url:
        build_store(url, catalog, args.cameras, args.seed, args.days)
        variants = [("read model (as served)", {})]
        if not args.no_baseline:
            variants.append(("baseline: no read model", {"VIDGOV_COCKPIT_TTL_S": "0"}))
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for label, env in variants:
                with serve(url, 1, folder, env) as base:
                    warmed = wait_until_ready(base)
                    context = browser.new_context(base_url=base, locale="zh-CN",
                                                  viewport={"width": 1440, "height": 900})
                    page = context.new_page()
                    sign_in(page)
                    first = render(page)
                    then = [render(page) for _ in range(args.runs)]
                    points = int(page.get_attribute("#map", "data-points") or 0)
                    results.append(Renders(label, warmed, first, then, points))
                    print(results[-1].line())
                    context.close()
            browser.close()
    print("\n== summary")
    for result in results:
        print(result.line())
    if len(results) == 2:
        ours, baseline = results
        later = statistics.median(baseline.then_s) / statistics.median(ours.then_s)
        print(f"baseline / read model, first render: {baseline.first_s / ours.first_s:.1f}x; "
              f"later renders: {later:.1f}x")


def wait_until_ready(base: str) -> float:
    """Seconds from the service answering until its read model is built (it starts building
    at start-up: ``/healthz`` says ``warming``, then ``ready``; ``off`` without one)."""
    start = time.perf_counter()
    while True:
        with urllib.request.urlopen(base + "/healthz", timeout=60) as answer:
            if json.loads(answer.read())["read_model"] != "warming":
                return time.perf_counter() - start
        time.sleep(0.1)


def sign_in(page: Page) -> None:
    """A session cookie for the page's browser context (POST /api/auth/login, as the login
    page does), without loading any cockpit page yet."""
    answer = page.request.post("/api/auth/login",
                               data={"username": "region_admin", "password": PASSWORD})
    if not answer.ok:
        raise RuntimeError(f"sign-in failed: {answer.status} {answer.text()}")


def render(page: Page) -> float:
    """Seconds from navigating to the cockpit until its first meaningful render."""
    start = time.perf_counter()
    page.goto("/", wait_until="commit")
    page.wait_for_function(RENDERED, timeout=600_000, polling=20)
    return time.perf_counter() - start


if __name__ == "__main__":
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    main()
