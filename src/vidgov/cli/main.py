"""The ``vidgov`` command: one Typer sub-app per capability, errors as one clear line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape

from vidgov.cli import analyse as analyse_cli
from vidgov.cli import audit as audit_cli
from vidgov.cli import catalog as catalog_cli
from vidgov.cli import deid as deid_cli
from vidgov.cli import demo as demo_cli
from vidgov.cli import orders as orders_cli
from vidgov.cli import report as report_cli
from vidgov.cli import serve as serve_cli
from vidgov.cli import sim as sim_cli
from vidgov.cli import subscriptions as subscriptions_cli
from vidgov.cli import sweep as sweep_cli
from vidgov.cli import users as users_cli
from vidgov.cli.context import State
from vidgov.cli.output import stderr
from vidgov.errors import VidgovError

app = typer.Typer(
    name="vidgov",
    help="vidgov：公共视频数据治理平台 — governance of a region's public video data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.add_typer(catalog_cli.app, name="catalog")
app.add_typer(report_cli.app, name="report")
app.add_typer(orders_cli.app, name="orders")
app.add_typer(sim_cli.app, name="sim")
app.add_typer(users_cli.app, name="users")
app.add_typer(analyse_cli.app, name="analyse")
app.add_typer(subscriptions_cli.app, name="subscriptions")
app.add_typer(subscriptions_cli.events_app, name="events")
app.command("audit")(audit_cli.audit_command)
app.command("demo")(demo_cli.demo_command)
app.command("deid")(deid_cli.deid_command)
app.command("sweep")(sweep_cli.sweep_command)
app.command("worker")(sweep_cli.worker_command)
app.command("serve")(serve_cli.serve_command)


@app.callback()
def main(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", envvar="VIDGOV_DATABASE_URL",
                     help="Store URL: sqlite:///FILE (default under the user data folder) or "
                     "postgresql+psycopg://USER:PASS@HOST/DB."),
    ] = None,
) -> None:
    ctx.obj = State(database_url=database_url)


def run() -> None:
    """Entry point: our own errors print one line and exit non-zero, never a traceback."""
    try:
        app()
    except VidgovError as exc:
        stderr().print(f"[bold red]错误 error:[/] {escape(str(exc))}", soft_wrap=True)
        sys.exit(exc.exit_code)
