"""Moving whole tables between polars and the store at the speed of the database's C code.

An ORM or ``executemany`` builds a Python object per value: 250,000 catalog rows of 24 fields are
six million objects and cost seconds before the database sees a byte (measured here: 45,000
rows/s through ``sqlite3.executemany``, 25,000 through SQLAlchemy Core). So bulk work goes
through each database's native bulk path instead: Arrow ingest (ADBC) for SQLite, ``COPY`` for
PostgreSQL. A :class:`BulkSession` is one transaction: commit at the end of the ``with`` block,
rollback on any error, so a failed import leaves the store as it was.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import polars as pl
from sqlalchemy import Engine

from vidgov.errors import ConfigurationError


class BulkSession(Protocol):
    """One transaction of bulk work on one store."""

    def read(self, sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
        """Rows of a SELECT, with the given column types."""
        ...

    def write(self, table: str, frame: pl.DataFrame) -> None:
        """Append ``frame`` (columns named as the table's) to ``table``."""
        ...

    def stage(self, name: str, frame: pl.DataFrame, like: str | None = None) -> None:
        """Create temporary table ``name`` holding ``frame`` (gone at the end of the session);
        with ``like``, its columns take the types of that table's columns of the same names."""
        ...

    def execute(self, sql: str) -> None: ...


@contextmanager
def bulk_session(engine: Engine) -> Iterator[BulkSession]:
    backend = engine.url.get_backend_name()
    if backend == "sqlite":
        with _sqlite_session(engine) as session:
            yield session
    elif backend == "postgresql":
        with _postgres_session(engine) as session:
            yield session
    else:
        raise ConfigurationError(f"bulk import is not supported on {backend}")


# --- SQLite through ADBC -----------------------------------------------------------------


class _SqliteBulk:
    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def read(self, sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
        with self._connection.cursor() as cursor:
            cursor.execute(sql)
            table = cursor.fetch_arrow_table()
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        if frame.height == 0:
            return pl.DataFrame(schema=schema)
        return frame.select(
            pl.col(name).cast(dtype, strict=False) if dtype != pl.Date()
            else pl.col(name).cast(pl.String).str.to_date(strict=False)
            for name, dtype in schema.items()
        )

    def write(self, table: str, frame: pl.DataFrame) -> None:
        if frame.height:
            with self._connection.cursor() as cursor:
                cursor.adbc_ingest(table, _sqlite_values(frame).to_arrow(), mode="append")

    def stage(self, name: str, frame: pl.DataFrame, like: str | None = None) -> None:
        with self._connection.cursor() as cursor:
            cursor.adbc_ingest(name, _sqlite_values(frame).to_arrow(), mode="create",
                               temporary=True)

    def execute(self, sql: str) -> None:
        with self._connection.cursor() as cursor:
            cursor.execute(sql)


def _sqlite_values(frame: pl.DataFrame) -> pl.DataFrame:
    """Dates and times as the text SQLAlchemy's SQLite dialect writes, so the ORM reads them."""
    return frame.with_columns(
        *(pl.col(n).dt.strftime("%Y-%m-%d") for n, t in frame.schema.items() if t == pl.Date),
        *(pl.col(n).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M:%S.%6f")
          for n, t in frame.schema.items() if isinstance(t, pl.Datetime)),
    )


@contextmanager
def _sqlite_session(engine: Engine) -> Iterator[BulkSession]:
    import adbc_driver_sqlite.dbapi as adbc_sqlite

    database = engine.url.database
    if not database or database == ":memory:":
        raise ConfigurationError("bulk import needs an SQLite file, not an in-memory database")
    connection = adbc_sqlite.connect(database)
    try:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 30000")
        yield _SqliteBulk(connection)
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.close()


# --- PostgreSQL through COPY -------------------------------------------------------------


class _PostgresBulk:
    def __init__(self, connection: Any) -> None:
        self._connection = connection  # a psycopg connection inside a transaction

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
        text_schema = {n: (pl.String if t == pl.Date else t) for n, t in schema.items()}
        # COPY writes NULL as an empty field; the catalog never stores empty strings.
        frame = pl.read_csv(buffer, schema=text_schema, empty_string_is_null=True)
        return frame.with_columns(
            pl.col(n).str.to_date(strict=False) for n, t in schema.items() if t == pl.Date)

    def write(self, table: str, frame: pl.DataFrame) -> None:
        if frame.height:
            self._copy_in(table, frame)

    def stage(self, name: str, frame: pl.DataFrame, like: str | None = None) -> None:
        if like is None:
            columns = ", ".join(f"{n} {_pg_type(t)}" for n, t in frame.schema.items())
            self.execute(f"CREATE TEMPORARY TABLE {name} ({columns}) ON COMMIT DROP")
        else:
            self.execute(f"CREATE TEMPORARY TABLE {name} ON COMMIT DROP AS "
                         f"SELECT {', '.join(frame.columns)} FROM {like} WITH NO DATA")
        self._copy_in(name, frame)

    def execute(self, sql: str) -> None:
        with self._connection.cursor() as cursor:
            cursor.execute(sql)

    def _copy_in(self, table: str, frame: pl.DataFrame) -> None:
        data = frame.write_csv(null_value="\\N", datetime_format="%Y-%m-%d %H:%M:%S.%6f%z")
        columns = ", ".join(frame.columns)
        with self._connection.cursor() as cursor, cursor.copy(
            f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true, NULL '\\N')"
        ) as copy:
            copy.write(data.encode("utf-8"))


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


@contextmanager
def _postgres_session(engine: Engine) -> Iterator[BulkSession]:
    with engine.begin() as connection:
        raw = connection.connection.driver_connection
        yield _PostgresBulk(raw)
