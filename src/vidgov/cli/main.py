"""The ``vidgov`` command: one Typer sub-app per capability, errors as one clear line."""

from __future__ import annotations

import importlib
import sys
from typing import Annotated, Any, Final

import typer
from rich.markup import escape

from vidgov.cli.context import State
from vidgov.cli.output import stderr
from vidgov.errors import VidgovError

#: Every command: its name, and the module attribute that is its sub-app (a group) or its
#: function. A command's module is imported only when the command line names it (or needs
#: them all, for the list): some pull in the video stack (onnxruntime, OpenCV, supervision,
#: FastAPI), which took two of the six seconds of ``vidgov catalog import`` of a big file.
_COMMANDS: Final[tuple[tuple[str, str, str, bool], ...]] = (
    # name, module, attribute, is a group
    ("catalog", "vidgov.cli.catalog", "app", True),
    ("report", "vidgov.cli.report", "app", True),
    ("orders", "vidgov.cli.orders", "app", True),
    ("sim", "vidgov.cli.sim", "app", True),
    ("users", "vidgov.cli.users", "app", True),
    ("analyse", "vidgov.cli.analyse", "app", True),
    ("subscriptions", "vidgov.cli.subscriptions", "app", True),
    ("events", "vidgov.cli.subscriptions", "events_app", True),
    ("audit", "vidgov.cli.audit", "audit_command", False),
    ("demo", "vidgov.cli.demo", "demo_command", False),
    ("deid", "vidgov.cli.deid", "deid_command", False),
    ("sweep", "vidgov.cli.sweep", "sweep_command", False),
    ("worker", "vidgov.cli.sweep", "worker_command", False),
    ("serve", "vidgov.cli.serve", "serve_command", False),
)
_NAMES: Final = frozenset(name for name, *_ in _COMMANDS)


def build_app(only: str | None = None) -> typer.Typer:
    """The ``vidgov`` app with every command, or with the command ``only`` alone."""
    app = typer.Typer(
        name="vidgov",
        help="vidgov：公共视频数据治理平台 — governance of a region's public video data.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
    )
    for name, module, attribute, group in _COMMANDS:
        if only is not None and name != only:
            continue
        target = getattr(importlib.import_module(module), attribute)
        if group:
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)
    app.callback()(main)
    return app


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


def __getattr__(name: str) -> Any:
    """``app``: the app with every command (the CLI reference and its test read it)."""
    if name == "app":
        return build_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _named_command(args: list[str]) -> str | None:
    """The command the arguments name, if any: the first that is neither an option nor the
    value of ``--database-url``; None (so every command is loaded) when it is unknown."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--database-url":
            skip = True
        elif not arg.startswith("-"):
            return arg if arg in _NAMES else None
    return None


def run() -> None:
    """Entry point: our own errors print one line and exit non-zero, never a traceback."""
    try:
        build_app(_named_command(sys.argv[1:]))()
    except VidgovError as exc:
        stderr().print(f"[bold red]错误 error:[/] {escape(str(exc))}", soft_wrap=True)
        sys.exit(exc.exit_code)
