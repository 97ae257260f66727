"""The composition root: ``create_app(settings)`` builds everything; nothing happens at import.

Routers are included, then every ``/api`` route is checked for a declared action (deny by
default: one that declares none makes ``create_app`` fail), then the web UI is mounted last
so it never shadows the API.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from fastapi.routing import APIRoute

from vidgov.api.deps import Public, Requires, Services
from vidgov.api.metrics import AccessLog, Metrics, MetricsMiddleware
from vidgov.api.problems import install_problem_handlers
from vidgov.api.routers import admin, analytics, audit, auth, cameras, cockpit, orders
from vidgov.domain.divisions import load_divisions
from vidgov.domain.geo import load_boundaries
from vidgov.errors import ConfigurationError
from vidgov.services.read_model import EstateView
from vidgov.settings import Settings, load_settings
from vidgov.sharing.policy import Action
from vidgov.store.db import open_store
from vidgov.web import mount_web

log = logging.getLogger("vidgov.api")


def create_app(settings: Settings) -> FastAPI:
    engine = open_store(settings.database_url)
    divisions, boundaries = load_divisions(), load_boundaries()
    services = Services(
        settings=settings, engine=engine, divisions=divisions, boundaries=boundaries,
        view=EstateView(engine, divisions, boundaries, ttl_s=settings.cockpit_ttl_s))
    metrics = Metrics(engine)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log.info("vidgov service up on %s", engine.url.render_as_string(hide_password=True))
        services.view.warm_up()
        yield
        engine.dispose()  # graceful shutdown: in-flight requests are done, close the pool
        log.info("vidgov service stopped")

    app = FastAPI(
        title="vidgov",
        summary="公共视频数据治理平台 API: catalog, audit, health, work orders, cockpit",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.services = services
    install_problem_handlers(app)
    for module in (auth, cockpit, cameras, audit, orders, admin, analytics):
        app.include_router(module.router)

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        return Response(metrics.exposition(),
                        media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """Up; and whether the cockpit's read model is built (a load balancer may wait)."""
        view = services.view
        model = "off" if settings.cockpit_ttl_s == 0 else "ready" if view.ready else "warming"
        return {"status": "ok", "read_model": model}

    check_declared_actions(app)
    app.add_middleware(MetricsMiddleware, metrics=metrics, log=AccessLog())
    mount_web(app)  # last: the pages at / never shadow an API route
    return app


def create_app_from_env() -> FastAPI:
    """For ``uvicorn --factory`` and ``vidgov serve --workers N``: settings from VIDGOV_*."""
    return create_app(load_settings())


def declared_action(route: APIRoute) -> Action | str | None:
    """The action a route declares; None when it is public; "" when it declares nothing."""
    for dependency in route.dependant.dependencies:
        call = dependency.call
        if isinstance(call, Requires):
            return call.action
        if isinstance(call, Public):
            return None
        for sub in dependency.dependencies:
            if isinstance(sub.call, Requires):
                return sub.call.action
    return ""


def check_declared_actions(app: FastAPI) -> None:
    undeclared = [f"{sorted(r.methods or ())} {r.path}" for r in app.routes
                  if isinstance(r, APIRoute) and r.path.startswith("/api/")
                  and declared_action(r) == ""]
    if undeclared:
        raise ConfigurationError(f"routes without a declared action: {', '.join(undeclared)}")
