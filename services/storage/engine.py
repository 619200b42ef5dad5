"""The psycopg 3 engine, the wait-then-migrate start-up, TimescaleDB edition checks, and the helpers of set-based
work: settings for one statement, temporary tables for one transaction, COPY."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import structlog
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_fixed

MIGRATIONS = Path(__file__).parent / "migrations"
DATABASE_WAIT_SECONDS = 120
DATABASE_RETRY_SECONDS = 1

log = structlog.get_logger(__name__)


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    # pre_ping drops connections that died with a database restart instead of failing a request
    return create_engine(url, pool_size=pool_size, pool_pre_ping=True, future=True)


@retry(
    retry=retry_if_exception_type(OperationalError),
    stop=stop_after_delay(DATABASE_WAIT_SECONDS),
    wait=wait_fixed(DATABASE_RETRY_SECONDS),
    reraise=True,
)
def wait_for_database(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("select 1"))


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    engine = make_engine(url, pool_size=1)
    try:
        wait_for_database(engine)
    finally:
        engine.dispose()
    command.upgrade(alembic_config(url), revision)
    log.info("database migrated", revision=revision)


def timescaledb_license(connection: Connection) -> str:
    """``apache`` (built with APACHE_ONLY) or ``timescale`` (the Community edition)."""
    return str(connection.execute(text("select current_setting('timescaledb.license', true)")).scalar_one())


def has_community_features(connection: Connection) -> bool:
    """Compression, retention and continuous-aggregate policies exist only under the TSL."""
    return timescaledb_license(connection) == "timescale"


@contextmanager
def statement_settings(connection: Connection, **settings: str) -> Iterator[None]:
    """``SET LOCAL`` these settings (our own names and values) for the statements inside, then back to their
    defaults. Not after an error: the transaction is aborted then, and its end resets them."""
    for name, value in settings.items():
        connection.execute(text(f"set local {name} = '{value}'"))
    yield
    for name in settings:
        connection.execute(text(f"set local {name} to default"))


def create_temp_table(connection: Connection, name: str, definition: str) -> None:
    """A temporary table ``name (definition)`` dropped at commit, replacing one of that name (and anything built
    on it) an earlier step of the transaction made."""
    connection.execute(text(f"drop table if exists pg_temp.{name} cascade"))
    connection.execute(text(f"create temp table {name} ({definition}) on commit drop"))


def copy_rows(connection: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """COPY ``rows`` (values in ``columns`` order) into ``table`` on the connection's own transaction."""
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(f"copy {table} ({', '.join(columns)}) from stdin") as copy:
        for row in rows:
            copy.write_row(row)
