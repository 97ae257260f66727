"""Throwaway PostgreSQL clusters for the test suite.

``start_postgres`` initialises a fresh cluster (``initdb``), starts it with
``pg_ctl`` on a free TCP port bound to 127.0.0.1 only, creates the database
``vidgov_test`` and returns a :class:`PostgresServer` whose ``url`` is a
SQLAlchemy URL.  Durability is switched off (``fsync=off`` and friends): the
data is thrown away when the server is stopped.

If ``VIDGOV_TEST_POSTGRES_URL`` is set, that server is used instead and
nothing is started.

``initdb`` and ``postgres`` refuse to run as root; when the tests run as root
(as in CI) the server processes run as the ``postgres`` system user created
by Debian's ``postgresql`` package, in a directory that user can reach.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shlex
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "DB_NAME",
    "ENV_URL",
    "SUPERUSER",
    "PostgresServer",
    "find_postgres_bin",
    "start_postgres",
]

ENV_URL = "VIDGOV_TEST_POSTGRES_URL"
SUPERUSER = "vidgov"
DB_NAME = "vidgov_test"
INSTALL_HINT = "scripts/install-system-deps.sh"

_HOST = "127.0.0.1"
_REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
_SYSTEM_USER = "postgres"
_START_TIMEOUT_S = 30
_START_ATTEMPTS = 3
# Unix socket paths are limited to 108 bytes including the NUL terminator.
_MAX_SOCKET_PATH = 107
_SOCKET_FILE = ".s.PGSQL.65535"


@dataclass
class PostgresServer:
    """A running PostgreSQL server usable by the tests.

    ``url`` is a SQLAlchemy URL
    (``postgresql+psycopg://USER@127.0.0.1:PORT/DBNAME``).  ``stop`` shuts
    down a server started by :func:`start_postgres` and removes its files; it
    is idempotent and a no-op for an external server.
    """

    url: str
    data_dir: Path | None = None
    port: int | None = None
    _on_stop: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def stop(self) -> None:
        on_stop, self._on_stop = self._on_stop, None
        if on_stop is not None:
            on_stop()


def find_postgres_bin() -> Path | None:
    """Return the directory holding ``initdb``, ``pg_ctl`` and ``postgres``.

    Looks at ``pg_config --bindir``, Debian's ``/usr/lib/postgresql/*/bin``
    (newest major version first) and ``initdb`` on ``PATH``; returns ``None``
    if no candidate has all three programs.
    """
    candidates: list[Path] = []

    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            result = subprocess.run(
                [pg_config, "--bindir"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
            if result.returncode == 0 and result.stdout.strip():
                candidates.append(Path(result.stdout.strip()))

    debian_dirs = [Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")]
    candidates.extend(sorted(debian_dirs, key=_major_version_key, reverse=True))

    initdb = shutil.which("initdb")
    if initdb is not None:
        candidates.append(Path(initdb).resolve().parent)

    for candidate in candidates:
        if all(_is_executable(candidate / name) for name in _REQUIRED_BINARIES):
            return candidate
    return None


def start_postgres(base_dir: Path) -> PostgresServer:
    """Start a throwaway cluster under ``base_dir`` (or use the env server).

    Raises ``RuntimeError`` if the PostgreSQL binaries are missing or the
    server does not come up.
    """
    external_url = os.environ.get(ENV_URL, "").strip()
    if external_url:
        return PostgresServer(url=external_url)

    bin_dir = find_postgres_bin()
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; "
            f"run `{INSTALL_HINT}` to install them, or set {ENV_URL} to the "
            "SQLAlchemy URL of an existing server."
        )

    run_as = _server_user()
    work_dir = _make_work_dir(Path(base_dir), run_as)
    socket_dir = _make_socket_dir(run_as)
    cleanup_paths = [work_dir, socket_dir]
    try:
        return _init_and_start(bin_dir, work_dir, socket_dir, run_as, cleanup_paths)
    except BaseException:
        _remove_paths(cleanup_paths)
        raise


# --- implementation -------------------------------------------------------


@dataclass(frozen=True)
class _RunAs:
    """The unprivileged account that owns and runs the cluster."""

    uid: int
    gid: int
    name: str


def _server_user() -> _RunAs | None:
    """``None`` to run as ourselves; the ``postgres`` user when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(_SYSTEM_USER)
    except KeyError:
        raise RuntimeError(
            "running as root, but PostgreSQL refuses to run as root and there "
            f"is no {_SYSTEM_USER!r} system user to run it as; run "
            f"`{INSTALL_HINT}` (Debian's postgresql package creates it) or "
            "run the tests as an unprivileged user."
        ) from None
    return _RunAs(uid=entry.pw_uid, gid=entry.pw_gid, name=entry.pw_name)


def _init_and_start(
    bin_dir: Path,
    work_dir: Path,
    socket_dir: Path,
    run_as: _RunAs | None,
    cleanup_paths: list[Path],
) -> PostgresServer:
    data_dir = work_dir / "data"
    log_file = work_dir / "server.log"
    env = _server_env()

    _run(
        [
            str(bin_dir / "initdb"),
            "--pgdata",
            str(data_dir),
            "--username",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        ],
        run_as=run_as,
        cwd=work_dir,
        env=env,
        what="initdb",
    )

    pg_ctl = str(bin_dir / "pg_ctl")
    port = 0
    for attempt in range(1, _START_ATTEMPTS + 1):
        port = _free_port()
        # pg_ctl hands -o to a shell, so quote what is interpolated.
        options = " ".join(
            [
                f"-p {port}",
                f"-k {shlex.quote(str(socket_dir))}",
                f"-c listen_addresses={_HOST}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
            ]
        )
        result = _run(
            [
                pg_ctl,
                "--pgdata",
                str(data_dir),
                "--log",
                str(log_file),
                "--options",
                options,
                "--wait",
                f"--timeout={_START_TIMEOUT_S}",
                "start",
            ],
            run_as=run_as,
            cwd=work_dir,
            env=env,
            what="pg_ctl start",
            check=False,
        )
        if result.returncode == 0:
            break
        # Stop whatever may be half-running before retrying or giving up.
        _pg_ctl_stop(pg_ctl, data_dir, run_as, work_dir, env)
        port_taken = "already in use" in _tail(log_file)
        if attempt == _START_ATTEMPTS or not port_taken:
            raise RuntimeError(
                f"PostgreSQL failed to start (pg_ctl exit {result.returncode}).\n"
                f"pg_ctl output:\n{result.stdout}{result.stderr}\n"
                f"server log ({log_file}):\n{_tail(log_file)}"
            )

    def on_stop() -> None:
        _pg_ctl_stop(pg_ctl, data_dir, run_as, work_dir, env)
        _remove_paths(cleanup_paths)

    server = PostgresServer(
        url=f"postgresql+psycopg://{SUPERUSER}@{_HOST}:{port}/{DB_NAME}",
        data_dir=data_dir,
        port=port,
        _on_stop=on_stop,
    )
    # Safety net so an aborted test session does not leak a postmaster.
    atexit.register(server.stop)
    try:
        _create_database(bin_dir, port, env)
    except BaseException:
        server.stop()
        raise
    return server


def _create_database(bin_dir: Path, port: int, env: Mapping[str, str]) -> None:
    createdb = bin_dir / "createdb"
    if _is_executable(createdb):
        # A client program: fine to run as root, it connects over TCP.
        _run(
            [str(createdb), "-h", _HOST, "-p", str(port), "-U", SUPERUSER, DB_NAME],
            run_as=None,
            cwd=None,
            env=env,
            what="createdb",
        )
        return
    import psycopg  # only needed when createdb is not installed

    with psycopg.connect(
        host=_HOST, port=port, user=SUPERUSER, dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def _pg_ctl_stop(
    pg_ctl: str,
    data_dir: Path,
    run_as: _RunAs | None,
    cwd: Path,
    env: Mapping[str, str],
) -> None:
    if not (data_dir / "postmaster.pid").exists():
        return
    _run(
        [pg_ctl, "--pgdata", str(data_dir), "--mode=immediate", "--wait", "stop"],
        run_as=run_as,
        cwd=cwd,
        env=env,
        what="pg_ctl stop",
        check=False,
    )


def _run(
    cmd: Sequence[str],
    *,
    run_as: _RunAs | None,
    cwd: Path | None,
    env: Mapping[str, str],
    what: str,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``, as ``run_as`` if given (we are root then).

    Uses ``runuser -u USER --`` (util-linux) so the child gets the
    unprivileged user's identity and supplementary groups.
    """
    argv = list(cmd)
    if run_as is not None:
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        argv = [runuser, "-u", run_as.name, "--", *argv]
    result = subprocess.run(
        argv,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=_START_TIMEOUT_S + 30,
        check=False,
    )
    if check and result.returncode != 0:
        raise RuntimeError(
            f"{what} failed (exit {result.returncode}): {shlex.join(argv)}\n"
            f"{result.stdout}{result.stderr}"
        )
    return result


def _server_env() -> dict[str, str]:
    """Our environment minus libpq/server variables that could interfere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    env.pop("LANG", None)
    env.pop("LANGUAGE", None)
    return env


def _make_work_dir(base_dir: Path, run_as: _RunAs | None) -> Path:
    """A fresh directory for the data dir and log, owned by the server user."""
    base_dir.mkdir(parents=True, exist_ok=True)
    parent = base_dir
    if run_as is not None and not _traversable_by(base_dir, run_as):
        # e.g. pytest's per-user temp root is 0700: use our own directory
        # in a world-traversable place instead of loosening pytest's perms.
        parent = _pick_shared_tmp(run_as)
    work_dir = Path(tempfile.mkdtemp(prefix="vidgov-pg-", dir=parent))
    if run_as is not None:
        os.chown(work_dir, run_as.uid, run_as.gid)
    work_dir.chmod(0o700)
    return work_dir


def _make_socket_dir(run_as: _RunAs | None) -> Path:
    """A short directory for the Unix socket (path limit: 107 bytes)."""
    parents = ["/tmp", tempfile.gettempdir()]
    for parent in parents:
        if not os.path.isdir(parent):
            continue
        if run_as is not None and not _traversable_by(Path(parent), run_as):
            continue
        # mkdtemp's random part is 8 characters.
        if len(parent) + len("/vgpg-") + 8 + 1 + len(_SOCKET_FILE) > _MAX_SOCKET_PATH:
            continue
        with contextlib.suppress(OSError):
            path = Path(tempfile.mkdtemp(prefix="vgpg-", dir=parent))
            if run_as is not None:
                os.chown(path, run_as.uid, run_as.gid)
            path.chmod(0o700)
            return path
    raise RuntimeError(f"no short, writable directory for the PostgreSQL socket among {parents}")


def _pick_shared_tmp(run_as: _RunAs) -> Path:
    for parent in (tempfile.gettempdir(), "/tmp", "/var/tmp"):
        path = Path(parent)
        if path.is_dir() and _traversable_by(path, run_as):
            return path
    raise RuntimeError(
        f"no temporary directory the {run_as.name!r} user can reach; "
        "set TMPDIR to a world-traversable directory"
    )


def _traversable_by(path: Path, user: _RunAs) -> bool:
    """Whether ``user`` can search every directory from / down to ``path``."""
    groups = {user.gid, *os.getgrouplist(user.name, user.gid)}
    current = path.resolve()
    for directory in (current, *current.parents):
        try:
            st = directory.stat()
        except OSError:
            return False
        if st.st_uid == user.uid:
            ok = bool(st.st_mode & stat.S_IXUSR)
        elif st.st_gid in groups:
            ok = bool(st.st_mode & stat.S_IXGRP)
        else:
            ok = bool(st.st_mode & stat.S_IXOTH)
        if not ok:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _remove_paths(paths: Sequence[Path]) -> None:
    for path in paths:
        for _ in range(3):
            try:
                shutil.rmtree(path)
                break
            except FileNotFoundError:
                break
            except OSError:
                # A dying postmaster may still be removing its socket files.
                time.sleep(0.1)
        else:
            shutil.rmtree(path, ignore_errors=True)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _major_version_key(bin_dir: Path) -> tuple[int, str]:
    version = bin_dir.parent.name
    return (int(version) if version.isdigit() else -1, version)
