"""The same ``map`` on a Ray cluster: an existing one by address, or a local one started here.

Why these choices (measured on a 2-core machine, see docs/analytics.md "Speed"):

- **Telemetry off, before Ray starts.** Ray reports usage to an outside host after a minute and
  probes cloud-metadata addresses; a government network flags both. ``RAY_USAGE_STATS_ENABLED=0``
  is set for this process and every worker it starts. Token auth (on by default in 2.60) is
  turned off for the local cluster only when the caller has not configured it.
- **Probe the address first.** ``ray.init(address=…)`` with nothing listening waits for
  minutes; a TCP connect with a timeout turns that into :class:`ClusterUnreachable` at once.
- **Batched, spread tasks.** A Ray task costs about 1 ms, so items go out ``batch`` at a time;
  ``SPREAD`` keeps Ray from packing every task onto the first node while others idle.
- **Ray is imported here only**, and only when an executor is built: no other package of
  vidgov knows Ray, and importing vidgov never pays for it.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import islice
from types import TracebackType
from typing import Any, TypeVar

from vidgov.compute.executor import ClusterUnreachable
from vidgov.errors import ConfigurationError

T = TypeVar("T")
R = TypeVar("R")

_QUIET_ENV = {
    "RAY_USAGE_STATS_ENABLED": "0",  # never phone home
    "RAY_gcs_server_port_wait_time_s": "10",
    "RAY_py_gcs_connect_timeout_s": "10",  # a GCS that stops answering fails, not hangs
}


@dataclass(frozen=True)
class RayConfig:
    """Where to run. ``address`` ("host:port" of a cluster's GCS) or ``None`` for a local
    cluster of ``workers`` CPUs started (and stopped) by the executor."""

    address: str | None = None
    workers: int = 2
    batch: int = 1  # items per Ray task: aim for ≥ 10 ms of work per task
    connect_timeout_s: float = 3.0
    node_ip: str = "127.0.0.2"  # a local cluster's address; Ray replaces 127.0.0.1 by the host's
    object_store_mb: int = 256
    temp_dir: str | None = None  # short: Ray's Unix socket paths must stay ≤ 107 bytes

    def __post_init__(self) -> None:
        if self.workers < 1 or self.batch < 1:
            raise ConfigurationError(f"Ray workers and batch must be 1 or more, got "
                                     f"{self.workers}, {self.batch}")


def _host_port(address: str) -> tuple[str, int]:
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ConfigurationError(f"Ray address must be host:port, got {address!r}")
    return host, int(port)


_HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
_HTTP2_SETTINGS = bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])  # an empty SETTINGS frame
_SETTINGS_TYPE = 4


def probe(address: str, timeout_s: float) -> None:
    """Raise :class:`ClusterUnreachable` unless a gRPC server (Ray's GCS speaks gRPC) answers
    at ``address`` within ``timeout_s``.

    Why more than a TCP connect: a port that accepts and then says nothing (a wrong service,
    a hung head) makes ``ray.init`` wait two minutes and then exit the process. A gRPC server
    answers the HTTP/2 preface with its own SETTINGS frame at once; anything else fails here.
    """
    host, port = _host_port(address)
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as sock:
            sock.settimeout(timeout_s)
            sock.sendall(_HTTP2_PREFACE + _HTTP2_SETTINGS)
            reply = sock.recv(9)
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise ClusterUnreachable(f"Ray cluster at {address} is unreachable ({reason}; "
                                 f"waited at most {timeout_s:g} s)") from None
    if len(reply) < 9 or reply[3] != _SETTINGS_TYPE:
        raise ClusterUnreachable(f"Ray cluster at {address} is unreachable (the port answers "
                                 "but not as a Ray head: no gRPC reply)")


def _run_batch(fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    """The body of one Ray task: the items of a batch, in order."""
    return [fn(item) for item in items]


class RayExecutor:
    """``map`` over a Ray cluster; results in item order, as :class:`LocalExecutor` gives them.

    Use as a context manager (or call :meth:`close`): a local cluster it started is stopped.
    """

    def __init__(self, config: RayConfig | None = None) -> None:
        self.config = config or RayConfig()
        if self.config.address is not None:
            probe(self.config.address, self.config.connect_timeout_s)
        for key, value in _QUIET_ENV.items():
            os.environ.setdefault(key, value)
        import ray

        if ray.is_initialized():
            raise ConfigurationError("Ray is already initialised in this process: "
                                     "close the other executor first")
        if self.config.address is not None:
            try:
                ray.init(address=self.config.address, log_to_driver=False,
                         configure_logging=False)
            except (SystemExit, ConnectionError, TimeoutError) as exc:  # Ray exits on failure
                raise ClusterUnreachable(f"Ray cluster at {self.config.address} answered but "
                                         f"could not be joined ({exc})") from None
        else:
            os.environ.setdefault("RAY_AUTH_MODE", "disabled")
            # workers on this machine import what this process imports, as LocalExecutor does
            paths = {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
            ray.init(num_cpus=self.config.workers, include_dashboard=False,
                     runtime_env={"env_vars": paths},
                     _node_ip_address=self.config.node_ip,
                     object_store_memory=self.config.object_store_mb * 1024 * 1024,
                     _temp_dir=self.config.temp_dir, log_to_driver=False,
                     configure_logging=False)
        self._ray: Any = ray
        self._task: Any = ray.remote(num_cpus=1, max_retries=0)(_run_batch).options(
            scheduling_strategy="SPREAD")

    @property
    def workers(self) -> int:
        """CPUs the cluster offers (one task per CPU at a time)."""
        return int(self._ray.cluster_resources().get("CPU", 0))

    def map(self, fn: Callable[[T], R], items: Sequence[T], *, batch: int | None = None,
            ) -> list[R]:
        """Run ``fn`` over ``items`` in tasks of ``batch`` items (default: the config's); an
        error in any item is raised here, as the local executor would raise it."""
        size = batch or self.config.batch
        function = self._ray.put(fn)  # shipped once, not once per task
        iterator = iter(items)
        refs = [self._task.remote(function, chunk)
                for chunk in iter(lambda: list(islice(iterator, size)), [])]
        try:
            batches: list[list[R]] = self._ray.get(refs)
        except self._ray.exceptions.RayTaskError as exc:
            raise exc.as_instanceof_cause() from None
        return [result for batch in batches for result in batch]

    def close(self) -> None:
        """Disconnect; a local cluster started by this executor stops with it."""
        if self._ray.is_initialized():
            self._ray.shutdown()

    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
