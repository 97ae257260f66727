"""Where pure work runs: in this process, or spread over a Ray cluster, behind one method.

Why a protocol this small: the hot paths (analysing a camera's clip, probing a batch of
cameras) are pure functions of their work item, so the only thing that differs between a
laptop and a region's cluster is *where* ``fn(item)`` runs. Callers write
``executor.map(fn, items)`` and get the results in item order; :class:`LocalExecutor` is the
reference the Ray executor (:mod:`vidgov.compute.ray_executor`) must agree with.

``fn`` must be a module-level function (or a ``functools.partial`` of one) whose arguments and
result pickle, because a cluster ships it to other processes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from vidgov.errors import ConfigurationError

T = TypeVar("T")
R = TypeVar("R")


class ClusterUnreachable(ConfigurationError):
    """The configured compute cluster does not answer (nothing was run)."""


class Executor(Protocol):
    """Runs a pure function over work items; results come back in the items' order."""

    @property
    def workers(self) -> int:
        """How many items can run at the same time (for sizing batches and reports)."""
        ...

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``[fn(item) for item in items]``, wherever the items run."""
        ...


class LocalExecutor:
    """Everything in this process, one item after the other: the baseline and the default.

    One process still uses both cores where the work is multi-threaded (onnxruntime, FFmpeg's
    frame threads), so on a small machine it is often the fastest choice.
    """

    @property
    def workers(self) -> int:
        return 1

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        return [fn(item) for item in items]
