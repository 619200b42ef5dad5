"""A statement over a year of 5-minute data at one section (105,120 readings per indicator), against a bare fetch.

Run: ``uv run python -m benchmarks.compensation_statement``. Starts a private TimescaleDB, loads
XXJ-YANGXUN 2025 with codmn, nh3n and tp every 5 minutes, then times (median of runs, same process):
- baseline: ``select time, value, flag, source`` of the same rows, fetched into Python;
- statement: the full computation (SQL summaries + input SHA-256 + engine + storing the draft);
- of which reading the inputs: the summaries and the binary-COPY SHA-256 from one snapshot (two connections).
Before the single-snapshot COPY hash (string_agg + sha256 in SQL, to_char month grouping) the statement
took 1.75–1.9 s against a 0.72–0.76 s baseline on the 2-core development machine.
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta

from sqlalchemy import text

from devstack.postgres import PostgresCluster
from devstack.processes import private_directory
from services.compensation import repository, statements
from services.compensation.access import Principal, Role
from services.compensation.main import load_agreements
from services.compensation.periods import Month
from services.compensation.settings import CompensationSettings
from services.standards.local_time import BEIJING_TIME
from services.storage.engine import make_engine, upgrade
from services.storage.seed import seed

STATION = "XXJ-YANGXUN"
AGREEMENT = "XXJ-XIAOSHAN-KEQIAO"
INTERVAL = timedelta(minutes=5)
LEVELS = {"codmn": 4.0, "nh3n": 0.8, "tp": 0.17}
RUNS = 5


def load_year(engine: object) -> int:
    start, end = datetime(2025, 1, 1, tzinfo=BEIJING_TIME), datetime(2026, 1, 1, tzinfo=BEIJING_TIME)
    with engine.begin() as conn:  # type: ignore[attr-defined]
        for code, level in LEVELS.items():
            conn.execute(
                text("""
                insert into readings (time, station, parameter, value, flag, source)
                select t, :station, :code, round((:level * (0.9 + 0.2 * random()))::numeric, 3)::float8,
                       case when random() < 0.02 then 'D' else 'N' end, 'hj212'
                from generate_series(cast(:start as timestamptz), cast(:end as timestamptz) - :step, :step) as t
            """),
                {"station": STATION, "code": code, "level": level, "start": start, "end": end, "step": INTERVAL},
            )
        return int(conn.execute(text("select count(*) from readings")).scalar_one())


def main() -> None:
    cluster = PostgresCluster(private_directory("bench-compensation"))
    cluster.start()
    try:
        upgrade(cluster.url)
        engine = make_engine(cluster.url)
        with engine.begin() as conn:
            seed(conn)
        settings = CompensationSettings(database_url=cluster.url)
        load_agreements(engine, settings)
        rows = load_year(engine)
        with engine.connect() as conn:
            conn.execute(text("analyze readings"))
        who = Principal("bench", Role.BUREAU, frozenset())

        def bare_fetch() -> int:
            with engine.connect() as conn:
                return len(
                    conn.execute(
                        text(
                            "select time, value, flag, source from readings where station = :s and parameter = any(:p) "
                            "and time >= '2025-01-01T00:00+08:00' and time < '2026-01-01T00:00+08:00'"
                        ),
                        {"s": STATION, "p": list(LEVELS)},
                    ).all()
                )

        def statement() -> str:
            conn = engine.connect()
            transaction = conn.begin()
            try:
                statement_id = statements.create(conn, who, AGREEMENT, statements.Request("2025", {}))
                return str(repository.statement(conn, statement_id)["status"])
            finally:
                transaction.rollback()  # the next run starts from an empty period again
                conn.close()

        def median_seconds(work: object) -> float:
            timings = []
            for _ in range(RUNS):
                began = time.perf_counter()
                work()  # type: ignore[operator]
                timings.append(time.perf_counter() - began)
            return statistics.median(timings)

        window = repository.ReadingsWindow((STATION,), tuple(LEVELS), tuple(Month(2025, m) for m in range(1, 13)))

        def inputs() -> str:
            return repository.readings_input(engine, window, ()).sha256

        fetched = bare_fetch()
        status = statement()
        baseline, computed = median_seconds(bare_fetch), median_seconds(statement)
        reading = median_seconds(inputs)
        print(f"readings stored: {rows} ({rows // len(LEVELS)} per indicator); fetched by baseline: {fetched}")
        print(f"statement status: {status}")
        print(f"baseline bare SQL fetch of the rows: {baseline:.3f} s (median of {RUNS})")
        print(f"statement (summaries + SHA-256 + engine + store): {computed:.3f} s (median of {RUNS})")
        print(f"  of which summaries + SHA-256 in one snapshot: {reading:.3f} s ({reading / baseline:.2f} × baseline)")
        print(
            f"ratio statement / baseline: {computed / baseline:.2f}; "
            f"target < 1 s: {'met' if computed < 1 else 'MISSED'}"
        )
        engine.dispose()
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
