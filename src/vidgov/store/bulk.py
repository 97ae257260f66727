"""Moving whole tables between polars and the store at the speed of the database's C code.

An ORM or ``executemany`` builds a Python object per value: 250,000 catalog rows of 24 fields are
six million objects and cost seconds before the database sees a byte (measured here: 45,000
rows/s through ``sqlite3.executemany``, 25,000 through SQLAlchemy Core). So bulk work moves
Arrow data with each database's native bulk path and does the row work in SQL:

- PostgreSQL: ``COPY`` into a temporary table, then SQL over it.
- SQLite: ADBC writes the Arrow table into a private staging file, which the store's own SQLite
  connection ATTACHes and reads in SQL. ADBC's SQLite is a second copy of the library in our
  process; two copies must never open the same file at once (POSIX locks are per process, so
  one copy closing the file drops the other's locks: the SQLite docs' "how to corrupt" 2.2.1).
  The staging and result files are private to one session, and only the store's connection
  ever opens the store.

A :class:`BulkSession` is one transaction: committed at the end of the ``with`` block, rolled
back on any error, so a failed import leaves the store as it was.
"""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

import polars as pl

from vidgov.errors import ConfigurationError

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: SQLite attaches each staged table as a database, and allows 10 attached at once (one is
#: kept free for :meth:`BulkSession.read`).
MAX_STAGED: Final = 8


@dataclass(frozen=True, slots=True)
class Prepared:
    """A frame made ready for :meth:`BulkSession.attach`: on SQLite written to its private
    file (``path``), on PostgreSQL still the frame (COPY needs the connection)."""

    name: str
    like: str | None
    frame: pl.DataFrame | None = None
    path: Path | None = None


class BulkSession(Protocol):
    """One transaction of bulk work on one store."""

    #: SQL for "a differs from b" that treats two NULLs as equal.
    distinct: str

    def stage(self, name: str, frame: pl.DataFrame, like: str | None = None) -> str:
        """Make ``frame`` readable in SQL for this session; returns the name to use in SQL.

        With ``like``, PostgreSQL gives the columns the types of that table's columns. Tables
        can be staged while the transaction runs (a pipeline stages each batch as it comes);
        SQLite allows at most :data:`MAX_STAGED` per session (each is an attached file).
        Same as ``attach(prepare(name, frame, like))``.
        """
        ...

    def prepare(self, name: str, frame: pl.DataFrame, like: str | None = None) -> Prepared:
        """The half of :meth:`stage` that needs no connection, so that a pipeline can run it
        in a thread of its own while the session writes the batch before (on SQLite it is
        most of the work: ADBC writing the private file). Safe to call from any thread."""
        ...

    def attach(self, prepared: Prepared) -> str:
        """The other half of :meth:`stage`, in the session's thread; returns the SQL name."""
        ...

    def execute(self, sql: str) -> int:
        """Run a statement; returns the number of rows it changed."""
        ...

    def scalar(self, sql: str) -> Any: ...

    def timestamp(self, value: datetime) -> str:
        """``value`` as an SQL literal for a timezone-aware timestamp column."""
        ...

    def read(self, sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
        """Rows of a SELECT as a frame with the given column types."""
        ...


@contextmanager
def bulk_session(engine: Engine) -> Iterator[BulkSession]:
    backend = engine.url.get_backend_name()
    if backend == "sqlite":
        with _sqlite_session(engine) as session:
            yield session
    elif backend == "postgresql":
        with engine.begin() as connection:
            yield _PostgresBulk(connection.connection.driver_connection)
    else:
        raise ConfigurationError(f"bulk work is not supported on {backend}")


def _typed(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    if frame.height == 0:
        return pl.DataFrame(schema=schema)
    return frame.select(
        pl.col(name).cast(pl.String).str.to_date(strict=False) if dtype == pl.Date()
        else pl.col(name).cast(dtype, strict=False)
        for name, dtype in schema.items()
    )


# --- SQLite ------------------------------------------------------------------------------


class _SqliteBulk:
    distinct = "IS NOT"

    @staticmethod
    def timestamp(value: datetime) -> str:
        # The text SQLAlchemy's SQLite dialect writes (UTC, no offset), so the ORM reads it.
        return f"'{value.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S.%f')}'"

    def __init__(self, connection: sqlite3.Connection, folder: Path) -> None:
        self._connection = connection
        self._folder = folder
        self._attached: list[str] = []
        self._in_transaction = False
        self._reads = 0

    def stage(self, name: str, frame: pl.DataFrame, like: str | None = None) -> str:
        return self.attach(self.prepare(name, frame, like))

    def prepare(self, name: str, frame: pl.DataFrame, like: str | None = None) -> Prepared:
        # Touches no connection of the session: the file is new and private to this call.
        path = self._folder / f"{name}.db"
        _adbc_write(path, name, _sqlite_values(frame))
        return Prepared(name, like, path=path)

    def attach(self, prepared: Prepared) -> str:
        # ATTACH works inside a transaction (DETACH does not: that waits for finish()).
        if len(self._attached) >= MAX_STAGED:
            raise RuntimeError(f"at most {MAX_STAGED} staged tables per session")
        schema = f"stage_{prepared.name}"
        self._connection.execute("ATTACH DATABASE ? AS " + schema, (str(prepared.path),))
        self._attached.append(schema)
        return f"{schema}.{prepared.name}"

    def _begin(self) -> None:
        if not self._in_transaction:
            self._connection.execute("BEGIN IMMEDIATE")
            self._in_transaction = True

    def execute(self, sql: str) -> int:
        self._begin()
        return self._connection.execute(sql).rowcount

    def scalar(self, sql: str) -> Any:
        self._begin()
        row = self._connection.execute(sql).fetchone()
        return row[0] if row else None

    def read(self, sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
        if self._in_transaction:  # ATTACH is refused inside a transaction
            cursor = self._connection.execute(sql)
            rows = cursor.fetchall()
            frame = pl.DataFrame(rows, schema=[d[0] for d in cursor.description],
                                 orient="row", infer_schema_length=None)
            return _typed(frame, schema)
        # Copy the rows in C into a private file, then let ADBC turn that file into Arrow:
        # 3x faster than fetchall() for the whole catalog. ADBC guesses column types from the
        # first rows, so a typed sentinel row goes first (and is dropped).
        self._reads += 1
        path = self._folder / f"result{self._reads}.db"
        self._connection.execute("ATTACH DATABASE ? AS result", (str(path),))
        try:
            self._connection.execute("PRAGMA result.journal_mode=OFF")
            self._connection.execute("PRAGMA result.synchronous=OFF")
            sentinel = ", ".join(f"{_sentinel(t)} AS {n}" for n, t in schema.items())
            self._connection.execute(f"CREATE TABLE result.rows AS SELECT {sentinel}")
            self._connection.execute(f"INSERT INTO result.rows {sql}")
        finally:
            self._connection.execute("DETACH DATABASE result")
        result = pl.from_arrow(_adbc_read(path, "SELECT * FROM rows"))
        assert isinstance(result, pl.DataFrame)
        return _typed(result.slice(1), schema)

    def finish(self, commit: bool) -> None:
        if self._in_transaction:
            self._connection.execute("COMMIT" if commit else "ROLLBACK")
        for schema in self._attached:
            self._connection.execute(f"DETACH DATABASE {schema}")


def preload_drivers(engine: Engine) -> threading.Thread | None:
    """Start loading the bulk drivers ``engine`` will need, in a thread of its own (returned,
    to be joined), so that work before the first bulk write (reading a catalog file)
    overlaps it: ADBC and pyarrow take a fifth of a second to import, which the first staged
    batch would otherwise wait for. None when nothing is to load (PostgreSQL's COPY)."""
    if engine.url.get_backend_name() != "sqlite":
        return None
    thread = threading.Thread(target=_load_adbc, name="bulk-drivers")
    thread.start()
    return thread


def _load_adbc() -> None:
    import adbc_driver_sqlite.dbapi  # noqa: F401


def _adbc_write(path: Path, table: str, frame: pl.DataFrame) -> None:
    import adbc_driver_sqlite.dbapi as adbc_sqlite

    # A private scratch file, deleted with the session: no journal, no fsync (15% faster);
    # written once and read once in order, so in the biggest pages (a quarter less time).
    connection = adbc_sqlite.connect(str(path), autocommit=True)
    try:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA page_size=65536")
            cursor.fetchall()
            cursor.execute("PRAGMA journal_mode=OFF")
            cursor.fetchall()
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.adbc_ingest(table, frame.to_arrow(), mode="create")
    finally:
        connection.close()


def _adbc_read(path: Path, sql: str) -> Any:
    import adbc_driver_sqlite.dbapi as adbc_sqlite

    connection = adbc_sqlite.connect(str(path))
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetch_arrow_table()
    finally:
        connection.close()


def _sentinel(dtype: pl.DataType) -> str:
    if dtype == pl.Float64():
        return "0.0"
    if dtype == pl.Int64():
        return "0"
    return "''"


def _sqlite_values(frame: pl.DataFrame) -> pl.DataFrame:
    """Dates and times as the text SQLAlchemy's SQLite dialect writes, so the ORM reads them."""
    return frame.with_columns(
        *(pl.col(n).dt.strftime("%Y-%m-%d") for n, t in frame.schema.items() if t == pl.Date),
        *(pl.col(n).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M:%S.%6f")
          for n, t in frame.schema.items() if isinstance(t, pl.Datetime)),
    )


@contextmanager
def _sqlite_session(engine: Engine) -> Iterator[BulkSession]:
    database = engine.url.database
    if not database or database == ":memory:":
        raise ConfigurationError("bulk work needs an SQLite file, not an in-memory database")
    folder = Path(tempfile.mkdtemp(prefix="vidgov-bulk-", dir=_scratch_dir()))
    connection = sqlite3.connect(database, isolation_level=None, timeout=30)
    connection.execute("PRAGMA synchronous=NORMAL")
    # A bulk insert touches the whole primary-key index: keep it in memory (256 MB at most).
    connection.execute("PRAGMA cache_size=-262144")
    session = _SqliteBulk(connection, folder)
    try:
        yield session
        session.finish(commit=True)
    except BaseException:
        session.finish(commit=False)
        raise
    finally:
        connection.close()
        shutil.rmtree(folder, ignore_errors=True)


#: Staging files go to memory (tmpfs) when it has this much room: 250,000 catalog rows
#: stage about 100 MB.
_MEMORY_SCRATCH_MIN_FREE: Final = 2 << 30


def _scratch_dir() -> str | None:
    """Where a session's private files go: ``/dev/shm`` when it is roomy, else the usual
    temporary folder (None).

    On disk, the staging files (written without fsync, deleted at the end) are still dirty
    in the page cache when the store's commit checkpoints, and ext4's ordered journal
    writes them out with the store's fsync: the checkpoint of a 250,000-row import took
    0.35-0.45 s with them on disk and 0.14 s with them in memory. They are scratch: nothing
    of the store's durability depends on them.
    """
    shm = "/dev/shm"
    try:
        stats = os.statvfs(shm)
    except OSError:
        return None
    free = stats.f_bavail * stats.f_frsize
    return shm if free >= _MEMORY_SCRATCH_MIN_FREE and os.access(shm, os.W_OK) else None


# --- PostgreSQL --------------------------------------------------------------------------


class _PostgresBulk:
    distinct = "IS DISTINCT FROM"

    @staticmethod
    def timestamp(value: datetime) -> str:
        return f"'{value.astimezone(UTC).isoformat()}'::timestamptz"

    def __init__(self, connection: Any) -> None:
        self._connection = connection  # a psycopg connection inside a transaction

    def stage(self, name: str, frame: pl.DataFrame, like: str | None = None) -> str:
        return self.attach(self.prepare(name, frame, like))

    @staticmethod
    def prepare(name: str, frame: pl.DataFrame, like: str | None = None) -> Prepared:
        return Prepared(name, like, frame=frame)

    def attach(self, prepared: Prepared) -> str:
        name, frame, like = prepared.name, prepared.frame, prepared.like
        assert frame is not None  # made by prepare() above
        if like is None:
            columns = ", ".join(f"{n} {_pg_type(t)}" for n, t in frame.schema.items())
            self.execute(f"CREATE TEMPORARY TABLE {name} ({columns}) ON COMMIT DROP")
        else:
            self.execute(f"CREATE TEMPORARY TABLE {name} ON COMMIT DROP AS "
                         f"SELECT {', '.join(frame.columns)} FROM {like} WITH NO DATA")
        data = frame.write_csv(null_value="\\N", datetime_format="%Y-%m-%d %H:%M:%S.%6f%z")
        with self._connection.cursor() as cursor, cursor.copy(
            f"COPY {name} ({', '.join(frame.columns)}) FROM STDIN "
            "WITH (FORMAT csv, HEADER true, NULL '\\N')"
        ) as copy:
            copy.write(data.encode("utf-8"))
        return name

    def execute(self, sql: str) -> int:
        with self._connection.cursor() as cursor:
            cursor.execute(sql)
            return int(cursor.rowcount)

    def scalar(self, sql: str) -> Any:
        with self._connection.cursor() as cursor:
            cursor.execute(sql)
            row = cursor.fetchone()
            return row[0] if row else None

    def read(self, sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
        buffer = io.BytesIO()
        with self._connection.cursor() as cursor, cursor.copy(
            f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)"
        ) as copy:
            for chunk in copy:
                buffer.write(chunk)
        if buffer.tell() == 0:
            return pl.DataFrame(schema=schema)
        buffer.seek(0)
        text_schema = {n: (pl.String() if t == pl.Date() else t) for n, t in schema.items()}
        # COPY writes NULL as an empty field; the catalog never stores empty strings.
        frame = pl.read_csv(buffer, schema=text_schema, empty_string_is_null=True)
        return _typed(frame, schema)


def _pg_type(dtype: pl.DataType) -> str:
    if dtype == pl.Float64:
        return "double precision"
    if dtype == pl.Int64:
        return "bigint"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "timestamptz"
    return "text"
