"""Starting and stopping the RTSP server child (:mod:`vidgov.simulate.rtsp_server`).

Why a module of its own: finding a Python that has GStreamer's bindings, handing the child its
plan over a pipe (credentials never on a command line), waiting for its port, draining its
stderr so a full pipe never blocks it, and killing it when it lingers are process plumbing;
:class:`~vidgov.simulate.fleet.Fleet` only decides what is mounted where.
"""

from __future__ import annotations

import json
import logging
import os
import select
import shutil
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import IO, Any, Final

from vidgov.errors import ConfigurationError

log = logging.getLogger(__name__)

INSTALL_HINT: Final = (
    "run scripts/install-system-deps.sh (as root) to install GStreamer's RTSP server"
)
#: Seconds the GStreamer child gets to start listening (it prepares one pipeline per kind).
_START_TIMEOUT_S: Final = 30.0
_STOP_TIMEOUT_S: Final = 5.0
_SERVER_SCRIPT: Final = Path(__file__).with_name("rtsp_server.py")


def find_gi_python() -> str:
    """A Python interpreter that can import GStreamer's RTSP server bindings.

    Tried in order: ``$VIDGOV_GI_PYTHON``, this interpreter, Debian's ``/usr/bin/python3``.
    Raises :class:`ConfigurationError` naming the install script when none can.
    """
    candidates = [os.environ.get("VIDGOV_GI_PYTHON"), sys.executable, "/usr/bin/python3"]
    check = (
        "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0');"
        "from gi.repository import Gst, GstRtspServer"
    )
    tried = []
    for candidate in dict.fromkeys(c for c in candidates if c):
        path = shutil.which(candidate) or candidate
        tried.append(path)
        try:
            done = subprocess.run([path, "-c", check], capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return path
    raise ConfigurationError(
        "no Python with GStreamer's RTSP server bindings (gi, GstRtspServer 1.0) was found "
        f"(tried {', '.join(tried)}); {INSTALL_HINT}"
    )


class RtspChild:
    """The server child process: :meth:`start` it with a plan, get its port, :meth:`stop` it."""

    def __init__(self, gi_python: str | None = None) -> None:
        self._gi_python = gi_python
        self._child: subprocess.Popen[str] | None = None
        self._stderr_thread: threading.Thread | None = None
        self._stderr_tail: deque[str] = deque(maxlen=20)

    @property
    def pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    def start(self, plan: dict[str, Any]) -> int:
        """Start the child with ``plan``; the 127.0.0.1 port it listens on, or
        :class:`ConfigurationError` with the child's last words."""
        python = self._gi_python or find_gi_python()
        env = {**os.environ, "GST_DEBUG": os.environ.get("GST_DEBUG", "0")}
        child = subprocess.Popen(
            [python, str(_SERVER_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,  # a Ctrl-C in a terminal reaches us, and we stop it
        )
        self._child = child
        assert child.stdin is not None
        assert child.stdout is not None
        assert child.stderr is not None
        self._stderr_thread = threading.Thread(
            target=_drain,
            args=(child.stderr, self._stderr_tail),
            name="vidgov-fleet-stderr",
            daemon=True,
        )
        self._stderr_thread.start()
        try:
            child.stdin.write(json.dumps(plan) + "\n")
            child.stdin.flush()
        except OSError:
            pass  # it died before reading its plan; its exit status and stderr say why
        ready, _, _ = select.select([child.stdout], [], [], _START_TIMEOUT_S)
        line = child.stdout.readline() if ready else ""
        try:
            answer = json.loads(line) if line else {}
        except json.JSONDecodeError:
            answer = {"error": f"unexpected output {line[:200]!r}"}
        if "port" not in answer:
            reason = answer.get("error") or (
                f"exited with status {child.poll()}"
                if child.poll() is not None
                else f"did not start within {_START_TIMEOUT_S:.0f} s"
            )
            if child.poll() is not None and self._stderr_thread is not None:
                self._stderr_thread.join(_STOP_TIMEOUT_S)
            said = " | ".join(self._stderr_tail)[-2000:]
            raise ConfigurationError(
                f"the GStreamer RTSP server {reason}; {INSTALL_HINT}"
                + (f" (it said: {said})" if said else "")
            )
        return int(answer["port"])

    def stop(self) -> None:
        """Close the child's stdin (it exits at EOF); kill it if it lingers."""
        if self._child is not None:
            child, self._child = self._child, None
            try:
                if child.stdin is not None:
                    child.stdin.close()
                child.wait(_STOP_TIMEOUT_S)
            except (OSError, subprocess.TimeoutExpired):
                child.kill()
                child.wait(_STOP_TIMEOUT_S)
            if child.stdout is not None:
                child.stdout.close()
        if self._stderr_thread is not None:
            self._stderr_thread.join(_STOP_TIMEOUT_S)
            self._stderr_thread = None


def _drain(stream: IO[str], tail: deque[str]) -> None:
    """Log the child's stderr at DEBUG (GStreamer warnings), so a full pipe never blocks it."""
    started = time.monotonic()
    for line in stream:
        tail.append(line.rstrip())
        log.debug("rtsp server (+%.1f s): %s", time.monotonic() - started, line.rstrip())
    stream.close()
