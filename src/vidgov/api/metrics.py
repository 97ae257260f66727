"""Prometheus metrics at ``/metrics``: request latencies, and the estate read from the store.

Request figures are counted in this process. Sweep and probe figures come from the store at
scrape time (a custom collector), because sweeps run in ``vidgov worker`` processes: what the
store says is true whichever process probed.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, case, func, select
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vidgov.maintenance.models import WorkOrder
from vidgov.probing.models import CameraHealth, Sweep

SWEEP_BUCKETS = (10.0, 30.0, 60.0, 180.0, 600.0, 1200.0, 3600.0, float("inf"))


class Metrics:
    """This process's registry: one per app, so tests and workers never share counters."""

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "vidgov_http_request_duration_seconds", "Time to answer an API request",
            ["method", "route", "status"], registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0))
        self.requests = Counter("vidgov_http_requests", "API requests answered",
                                ["method", "route", "status"], registry=self.registry)
        self.registry.register(StoreCollector(engine))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class StoreCollector(Collector):
    """Sweep durations, probe outcomes and open work orders, as the store has them now."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily | HistogramMetricFamily]:
        with Session(self._engine) as session:
            outcomes = session.execute(select(
                func.count(),
                func.sum(case((CameraHealth.online, 1), else_=0)),
                func.sum(case((CameraHealth.playable, 1), else_=0)))).one()
            durations = [
                (finished - started).total_seconds() if finished else 0.0
                for started, finished in session.execute(
                    select(Sweep.started_at, Sweep.finished_at)
                    .where(Sweep.finished_at.is_not(None)).order_by(Sweep.id.desc()).limit(500))
            ]
            orders = session.execute(select(WorkOrder.status, func.count())
                                     .group_by(WorkOrder.status)).all()
            running = session.scalar(select(func.count()).select_from(Sweep)
                                     .where(Sweep.status == "running")) or 0
        probed, online, playable = (int(v or 0) for v in outcomes)
        latest = GaugeMetricFamily("vidgov_cameras_latest_probe",
                                   "Cameras by the outcome of their latest probe",
                                   labels=["outcome"])
        latest.add_metric(["playable"], playable)
        latest.add_metric(["online_not_playable"], online - playable)
        latest.add_metric(["offline"], probed - online)
        yield latest
        buckets, total = [], 0.0
        for bound in SWEEP_BUCKETS:
            buckets.append((str(bound) if bound != float("inf") else "+Inf",
                            sum(1 for d in durations if d <= bound)))
        total = sum(durations)
        histogram = HistogramMetricFamily("vidgov_sweep_duration_seconds",
                                          "Wall time of the last 500 finished sweeps")
        histogram.add_metric([], buckets, total)
        yield histogram
        gauge = GaugeMetricFamily("vidgov_sweeps_running", "Sweeps started, not finished")
        gauge.add_metric([], running)
        yield gauge
        order_gauge = GaugeMetricFamily("vidgov_work_orders", "Work orders by status",
                                        labels=["status"])
        for status, count in orders:
            order_gauge.add_metric([status], count)
        yield order_gauge


class MetricsMiddleware:
    """Times every request by its route template (never the raw path: IDs would explode
    the label set) and writes one structured access-log line without secrets."""

    def __init__(self, app: ASGIApp, metrics: Metrics, log: AccessLog) -> None:
        self.app, self.metrics, self.log = app, metrics, log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "(unmatched)"
            labels = (scope["method"], template, str(status))
            self.metrics.latency.labels(*labels).observe(elapsed)
            self.metrics.requests.labels(*labels).inc()
            state = scope.get("state") or {}
            self.log.request(scope["method"], template, scope.get("path", ""), status,
                             elapsed, state.get("username"))


class AccessLog:
    """JSON lines on the ``vidgov.access`` logger: method, route, path, status, ms, user.

    Query strings, headers and bodies are never logged: they are where passwords, tokens
    and cookies travel.
    """

    def __init__(self) -> None:
        self._log = logging.getLogger("vidgov.access")

    def request(self, method: str, route: str, path: str, status: int, elapsed_s: float,
                username: str | None) -> None:
        if self._log.isEnabledFor(logging.INFO):
            self._log.info(json.dumps({
                "event": "request", "method": method, "route": route, "path": path,
                "status": status, "ms": round(elapsed_s * 1000, 1), "user": username,
            }, ensure_ascii=False))
