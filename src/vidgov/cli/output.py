"""Terminal output: Rich tables for people, JSON on stdout for programs, progress on stderr."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import polars as pl
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table


def stdout() -> Console:
    return Console(highlight=False)


def stderr() -> Console:
    return Console(stderr=True, highlight=False)


def print_json(document: Any) -> None:
    """JSON on stdout with nothing else, so ``vidgov ... --json | jq`` works."""
    print(json.dumps(document, ensure_ascii=False, default=str))


def frame_table(
    frame: pl.DataFrame, title: str, headers: dict[str, str] | None = None,
    limit: int | None = None,
) -> Table:
    headers = headers or {}
    hidden = frame.height - limit if limit is not None and frame.height > limit else 0
    caption = f"… 另有 {hidden:,} 行 / {hidden:,} more rows: --json or --xlsx" if hidden else None
    table = Table(title=title, title_justify="left", header_style="bold", caption=caption)
    for column, dtype in frame.schema.items():
        table.add_column(headers.get(column, column),
                         justify="right" if dtype.is_numeric() else "left")
    for row in frame.head(limit).iter_rows() if limit else frame.iter_rows():
        table.add_row(*("" if v is None else str(v) for v in row))
    return table


@contextmanager
def stages(total: int, quiet: bool = False) -> Iterator[Any]:
    """A progress bar over named stages of a long job, drawn on stderr."""
    progress = Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
        console=stderr(), transient=True, disable=quiet)
    with progress:
        yield _Stage(progress, progress.add_task("…", total=total))


class _Stage:
    def __init__(self, progress: Progress, task: Any) -> None:
        self._progress = progress
        self._task = task

    def start(self, description: str) -> None:
        self._progress.update(self._task, description=description)

    def done(self) -> None:
        self._progress.advance(self._task)
