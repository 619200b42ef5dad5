from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert, text

from services.grafana.boards import DASHBOARDS
from services.grafana.files import DASHBOARD_DIR, rendered
from services.grafana.model import Dashboard, Sql, Variable
from services.storage.schema import Source, readings
from simulators.plan import programme_sample
from simulators.stations import load_gateways
from tests.deploy.grafana_macros import expand

END = datetime(2026, 3, 15, tzinfo=UTC)
START = END - timedelta(days=20)
QUERIES = [(board, query) for board in DASHBOARDS for _, query in board.sql_queries()]


def test_committed_json_is_what_the_builder_renders() -> None:
    committed = {path.name: path.read_text(encoding="utf-8") for path in DASHBOARD_DIR.glob("*.json")}
    assert committed == rendered(), "run `envmon grafana build` and commit deploy/grafana/dashboards/"


def test_no_panel_buckets_days_with_timegroup() -> None:
    assert all("$__timeGroup" not in q.sql for _, q in QUERIES)


def test_expand_handles_nested_parentheses_and_variables() -> None:
    sql = expand(
        "select 1 where $__timeFilter(f(a, (b))) and x = '$st' and y = '$station'",
        START,
        END,
        {"st": "S", "station": "PYJ-JINHUA"},
    )
    assert sql == (
        "select 1 where f(a, (b)) BETWEEN '2026-02-23T00:00:00Z' AND '2026-03-15T00:00:00Z' "
        "and x = 'S' and y = 'PYJ-JINHUA'"
    )


@pytest.fixture(scope="module")
def seeded(engine: Engine) -> Engine:
    """Twenty days of simulated readings for every station."""
    rows = [
        {
            "time": moment,
            "station": spec.code,
            "parameter": parameter,
            "value": float(value),
            "flag": "N",
            "source": Source.BACKFILL.value,
            "gateway": gateway.id,
        }
        for gateway in load_gateways()
        for spec in gateway.stations
        for moment, due in spec.schedule(START, END).items()
        for parameter, value in programme_sample(212, spec, moment, due).values.items()
    ]
    with engine.begin() as connection:
        connection.execute(text("truncate readings"))
        connection.execute(insert(readings), rows)
    return engine


def _first_value(engine: Engine, variable: Variable) -> str:
    if variable.custom:
        return variable.query.split(",")[0].strip()
    with engine.connect() as connection:
        return str(connection.execute(text(variable.query)).mappings().first()["__value"])  # type: ignore[index]


def _missing_tables(engine: Engine, query: Sql) -> list[str]:
    with engine.connect() as connection:
        exists = {t: connection.execute(text("select to_regclass(:t)"), {"t": t}).scalar() for t in query.tables}
    return [t for t, oid in exists.items() if oid is None]


@pytest.mark.parametrize(("board", "query"), QUERIES, ids=[f"{b.uid}-{i}" for i, (b, _) in enumerate(QUERIES)])
def test_panel_sql_runs_and_returns_its_columns(seeded: Engine, board: Dashboard, query: Sql) -> None:
    if missing := _missing_tables(seeded, query):
        pytest.skip(f"tables not migrated yet: {', '.join(missing)}")
    variables = {v.name: _first_value(seeded, v) for v in board.variables}
    with seeded.connect() as connection:
        result = connection.execute(text(expand(query.sql, START, END, variables).replace(":", r"\:")))
        columns = tuple(result.keys())
        rows = result.fetchall()
    assert columns == tuple(expand(c, START, END, variables) for c in query.columns)
    if not query.tables:  # panels on readings alone must show the seeded data
        assert rows
