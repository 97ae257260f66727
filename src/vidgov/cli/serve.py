"""``vidgov serve``: the API and the cockpit over HTTP (uvicorn)."""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer
import uvicorn

from vidgov.api.app import create_app
from vidgov.cli.context import state
from vidgov.settings import load_settings


def serve_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64,
                                         help="Worker processes (each with its own pool).")] = 1,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """服务 Serve the API (/api, /docs, /metrics) and the cockpit on http://HOST:PORT."""
    settings = load_settings()
    url = state(ctx).database_url
    if url:
        settings = settings.model_copy(update={"database_url": url})
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    state(ctx).engine().dispose()  # migrate once, before any worker starts
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level,
                    access_log=False, timeout_graceful_shutdown=10)
        return
    # Worker processes build their own app from the environment.
    os.environ["VIDGOV_DATABASE_URL"] = settings.database_url
    uvicorn.run("vidgov.api.app:create_app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level=log_level, access_log=False,
                timeout_graceful_shutdown=10)
