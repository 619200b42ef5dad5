"""The provisioned boards: the committed JSON is the builder's output, and every panel query runs on the
platform's schema (migrated and seeded, as ``make run`` has it) and returns the columns it declares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text

from services.grafana.files import DASHBOARD_DIR, rendered
from services.storage.schema import Source, readings
from simulators.plan import programme_sample
from simulators.stations import load_gateways
from tests.support.grafana import declared_queries, expand, provisioned_boards, sql_targets

END = datetime(2026, 3, 15, tzinfo=UTC)
START = END - timedelta(days=20)
BOARDS = provisioned_boards()
TARGETS = [(uid, panel, target) for uid, model in BOARDS.items() for panel, target in sql_targets(model)]


def test_committed_json_is_what_the_builder_renders() -> None:
    committed = {path.name: path.read_text(encoding="utf-8") for path in DASHBOARD_DIR.glob("*.json")}
    assert committed == rendered(), "run `envmon grafana build` and commit deploy/grafana/dashboards/"


def test_no_panel_buckets_days_with_timegroup() -> None:
    assert TARGETS
    assert all("$__timeGroup" not in target["rawSql"] for _, _, target in TARGETS)


def test_panel_ids_are_unique_on_each_board() -> None:
    for uid, model in BOARDS.items():
        ids = [panel["id"] for panel in model["panels"]]
        assert len(ids) == len(set(ids)), uid


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


def _flag(station: str, parameter: str, moment: datetime) -> str:
    """A data logger's over-range (T) and fault (D) flags on a few readings, for the flags panel."""
    if station == "CEJ-SANJIE" and parameter == "nh3n" and moment.day == END.day - 1:
        return "T" if moment.hour < 12 else "D"
    return "N"


@pytest.fixture(scope="module")
def seeded(engine: Engine) -> Engine:
    """Twenty days of simulated readings for every station."""
    rows = [
        {
            "time": moment,
            "station": spec.code,
            "parameter": parameter,
            "value": float(value),
            "flag": _flag(spec.code, parameter, moment),
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


def _first_value(engine: Engine, variable: dict[str, Any]) -> str:
    if variable["type"] == "custom":
        return str(variable["current"]["value"])
    with engine.connect() as connection:
        return str(connection.execute(text(variable["query"])).mappings().first()["__value"])  # type: ignore[index]


@pytest.mark.parametrize(
    ("uid", "panel", "target"), TARGETS, ids=[f"{uid}-{p['id']}{t['refId']}" for uid, p, t in TARGETS]
)
def test_panel_sql_runs_and_returns_its_columns(
    seeded: Engine, uid: str, panel: dict[str, Any], target: dict[str, Any]
) -> None:
    declared = declared_queries()[(uid, panel["id"], target["refId"])]
    variables = {v["name"]: _first_value(seeded, v) for v in BOARDS[uid]["templating"].get("list", [])}
    with seeded.connect() as connection:
        result = connection.execute(text(expand(target["rawSql"], START, END, variables).replace(":", r"\:")))
        columns = tuple(result.keys())
        rows = result.fetchall()
    assert columns == tuple(expand(c, START, END, variables) for c in declared.columns)
    if not declared.tables:  # panels on readings alone must show the seeded data
        assert rows
