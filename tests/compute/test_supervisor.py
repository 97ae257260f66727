"""Crashed tasks restart with backoff; a task that keeps crashing raises the alarm."""

from __future__ import annotations

import pytest

from vidgov.compute.supervisor import GaveUp, RestartBudget, supervise


class Flaky:
    def __init__(self, failures: int) -> None:
        self.failures, self.calls = failures, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError(f"crash {self.calls}")
        return "done"


def test_restarts_with_growing_backoff_then_succeeds() -> None:
    slept: list[float] = []
    task = Flaky(failures=3)
    result = supervise(task, "sweep", RestartBudget(max_restarts=3), sleep=slept.append,
                       clock=lambda: 0.0)
    assert (result, task.calls) == ("done", 4)
    assert slept == [1.0, 2.0, 4.0]


def test_gives_up_past_the_budget_with_the_last_error() -> None:
    task = Flaky(failures=10)
    with pytest.raises(GaveUp, match=r"sweep failed 3 times .* crash 3"):
        supervise(task, "sweep", RestartBudget(max_restarts=2), sleep=lambda _: None,
                  clock=lambda: 0.0)


def test_old_failures_fall_out_of_the_window() -> None:
    times = iter([0.0, 1000.0, 2000.0, 3000.0])
    task = Flaky(failures=3)
    assert supervise(task, "sweep", RestartBudget(max_restarts=1, window_s=600),
                     sleep=lambda _: None, clock=lambda: next(times)) == "done"
