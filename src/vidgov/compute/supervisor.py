"""Restarting a crashed task within a budget, and raising the alarm instead of looping.

A sweep that dies (a camera that crashes the decoder, a store that went away for a moment) is
restarted with exponential backoff; a task that keeps dying is a problem for a person, so once
it has failed more than ``max_restarts`` times within ``window_s`` the supervisor gives up
with :class:`GaveUp`, carrying the last error.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from vidgov.errors import VidgovError

T = TypeVar("T")
log = logging.getLogger(__name__)


class GaveUp(VidgovError):
    """A supervised task failed more often than its restart budget allows."""


@dataclass(frozen=True)
class RestartBudget:
    max_restarts: int = 3
    window_s: float = 600.0
    first_backoff_s: float = 1.0
    max_backoff_s: float = 60.0


def supervise(
    task: Callable[[], T], name: str, budget: RestartBudget = RestartBudget(), *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Run ``task`` until it returns, restarting it after failures within ``budget``."""
    failures: deque[float] = deque()
    backoff = budget.first_backoff_s
    while True:
        try:
            return task()
        except Exception as error:  # any crash of the task is what we supervise
            now = clock()
            failures.append(now)
            while failures and now - failures[0] > budget.window_s:
                failures.popleft()
            if len(failures) > budget.max_restarts:
                raise GaveUp(
                    f"{name} failed {len(failures)} times within {budget.window_s:.0f} s; "
                    f"giving up: {error}") from error
            log.warning("%s failed (%s); restarting in %.1f s", name, error, backoff)
            sleep(backoff)
            backoff = min(backoff * 2, budget.max_backoff_s)
