"""The Ray executor joining a cluster by address: two real nodes on this machine.

A head on 127.0.0.2 and a worker node on 127.0.0.3 (Ray replaces 127.0.0.1 by the host's
address), one CPU each, started with ``ray start --block`` from this venv and stopped by their
process ids. Each node runs with its own ``VIDGOV_TEST_NODE``, so a task can tell where it ran
without asking Ray: SPREAD must use both nodes.
"""

from __future__ import annotations

import functools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from vidgov.compute.executor import LocalExecutor
from vidgov.compute.ray_executor import RayConfig, RayExecutor

pytestmark = pytest.mark.ray
RAY = Path(sys.executable).parent / "ray"


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
    return port


def start_node(args: list[str], name: str, temp: Path) -> subprocess.Popen[bytes]:
    # a cluster's nodes must have the code of the tasks installed; here, this test module too
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled",
           "VIDGOV_TEST_NODE": name, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    return subprocess.Popen(
        [str(RAY), "start", "--block", "--num-cpus=1", "--object-store-memory=100000000",
         "--disable-usage-stats", f"--temp-dir={temp}",
         f"--dashboard-agent-listen-port={free_port('127.0.0.1')}", *args],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def stop(node: subprocess.Popen[bytes]) -> None:
    """The node by its process id (``ray start --block`` stops what it started); what is
    left of its own session is killed if it does not."""
    if node.poll() is None:
        node.terminate()
        try:
            node.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(node.pid, signal.SIGKILL)
            node.wait()


def wait_for_cpus(executor: RayExecutor, cpus: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if executor.workers >= cpus:
            return
        time.sleep(0.5)
    pytest.fail(f"the cluster never offered {cpus} CPUs", pytrace=False)


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    temp = tmp_path_factory.mktemp("n")  # short: Unix socket paths must stay under 108 bytes
    port = free_port("127.0.0.2")
    address = f"127.0.0.2:{port}"
    head = start_node(["--head", "--node-ip-address=127.0.0.2", f"--port={port}",
                       "--include-dashboard=false"], "head", temp)
    nodes = [head]
    try:
        deadline = time.monotonic() + 60
        while True:  # the GCS is up when its port answers
            try:
                socket.create_connection(("127.0.0.2", port), timeout=1).close()
                break
            except OSError:
                if head.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"ray head did not start on {address}", pytrace=False)
                time.sleep(0.5)
        nodes.append(start_node([f"--address={address}", "--node-ip-address=127.0.0.3"],
                                "worker", temp))
        yield address
    finally:
        for node in reversed(nodes):
            stop(node)


def where_and_square(item: int) -> tuple[int, str]:
    time.sleep(0.3)  # long enough that one node cannot take every task
    return item * item, os.environ.get("VIDGOV_TEST_NODE", "driver")


def test_joining_by_address_spreads_over_both_nodes(two_nodes: str) -> None:
    items = list(range(8))
    with RayExecutor(RayConfig(address=two_nodes, connect_timeout_s=5)) as executor:
        wait_for_cpus(executor, 2, timeout_s=60)
        results = executor.map(where_and_square, items)
        assert executor.workers == 2
    assert [square for square, _ in results] == [i * i for i in items]
    assert {node for _, node in results} == {"head", "worker"}
    local = LocalExecutor().map(functools.partial(pow, exp=2), items)
    assert [square for square, _ in results] == local
