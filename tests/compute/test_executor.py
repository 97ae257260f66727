"""The local executor: results in item order, the item's own error, nothing run twice."""

from __future__ import annotations

import functools

import pytest

from vidgov.compute.executor import Executor, LocalExecutor


def scale(factor: int, item: int) -> int:
    if item < 0:
        raise ValueError(f"negative item {item}")
    return factor * item


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], []),
        ([3], [30]),
        ([5, 1, 4, 1], [50, 10, 40, 10]),  # order and repeats kept
    ],
)
def test_results_come_back_in_item_order(items: list[int], expected: list[int]) -> None:
    executor: Executor = LocalExecutor()
    assert executor.map(functools.partial(scale, 10), items) == expected
    assert executor.workers == 1


def test_an_item_error_is_raised_as_is_and_later_items_do_not_run() -> None:
    seen: list[int] = []

    def record(item: int) -> int:
        seen.append(item)
        return scale(1, item)

    with pytest.raises(ValueError, match="negative item -2"):
        LocalExecutor().map(record, [1, -2, 3])
    assert seen == [1, -2]
