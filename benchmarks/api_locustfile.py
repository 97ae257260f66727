"""The load ``api_bench.py`` puts on the service: cockpit users reading the catalog and rates.

Run by ``api_bench.py`` (``locust -f benchmarks/api_locustfile.py --headless ...``) with
``VIDGOV_BENCH_PLAN`` naming a JSON file written by the benchmark: one entry per simulated
user with its bearer token (fetched through ``POST /api/auth/token`` before the run, so the
Argon2 sign-in is not timed) and what that user can ask for: cities or counties in its scope,
device IDs in its scope, search terms. Each user waits ``VIDGOV_BENCH_THINK_S`` seconds on
average (uniform between half and one and a half times it) between requests, like a person
clicking through the cockpit.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, between, task

_PLAN: list[dict[str, Any]] = json.loads(
    Path(os.environ["VIDGOV_BENCH_PLAN"]).read_text(encoding="utf-8"))
_THINK_S = float(os.environ.get("VIDGOV_BENCH_THINK_S", "1.0"))
_NEXT = itertools.count()
STATUSES = ("playable", "unplayable", "offline", "unprobed")


class CockpitUser(FastHttpUser):
    """One person at the cockpit: a region admin, a city operator or a maintenance unit."""

    wait_time = between(_THINK_S * 0.5, _THINK_S * 1.5)

    def on_start(self) -> None:
        self.plan = _PLAN[next(_NEXT) % len(_PLAN)]
        self.headers = {"Authorization": f"Bearer {self.plan['token']}"}
        self.random = random.Random(self.plan["seed"])
        # People arrive over a think time, not all in the same millisecond: without this,
        # locust's start fires every user's first request at once.
        gevent.sleep(self.random.uniform(0, _THINK_S))

    def _get(self, path: str, name: str, **params: object) -> None:
        with self.client.get(path, params=params, headers=self.headers, name=name,
                             catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code}: {(answer.text or '')[:200]}")

    @task(4)
    def cameras_page(self) -> None:
        self._get("/api/cameras", "GET /api/cameras (page)",
                  page=self.random.randint(1, 20), page_size=50)

    @task(3)
    def cameras_filtered(self) -> None:
        place = self.random.choice(self.plan["places"])
        self._get("/api/cameras", "GET /api/cameras (city, status)", **place,
                  status=self.random.choice(STATUSES), page=self.random.randint(1, 3))

    @task(2)
    def cameras_search(self) -> None:
        self._get("/api/cameras", "GET /api/cameras (q)",
                  q=self.random.choice(self.plan["terms"]))

    @task(4)
    def camera(self) -> None:
        device_id = self.random.choice(self.plan["device_ids"])
        self._get(f"/api/cameras/{device_id}", "GET /api/cameras/{device_id}")

    @task(2)
    def rates_by_city(self) -> None:
        self._get("/api/rates", "GET /api/rates?by=city", by="city")

    @task(1)
    def rates_by_county(self) -> None:
        self._get("/api/rates", "GET /api/rates?by=county", by="county")

    @task(3)
    def kpis(self) -> None:
        self._get("/api/kpis", "GET /api/kpis")

    @task(1)
    def trend(self) -> None:
        self._get("/api/rates/trend", "GET /api/rates/trend", days=30)

    @task(2)
    def map_regions(self) -> None:
        self._get("/api/map/regions", "GET /api/map/regions",
                  level=self.random.choice(("city", "county")))

    @task(2)
    def orders(self) -> None:
        self._get("/api/orders", "GET /api/orders", status="open",
                  page=self.random.randint(1, 5))
