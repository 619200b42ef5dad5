"""The provisioned boards on the platform's schema (migrated and seeded as ``make run`` has it), with the
simulator's readings and the figures and alerts the alerts service computes from them:

- the committed JSON is the grafana-foundation-sdk builder's output;
- every variable resolves and every panel query runs, returns the columns it declares, and rows;
- the overview's five target rows give one current value each, equal to /v1/kpi/* at reporting precision;
- every alert raised opens (dashboard_url) a panel that shows rows for its subject and period.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine, text

from services.alerts.api import create_app
from services.alerts.settings import AlertsSettings
from services.grafana.boards import overview
from services.grafana.files import DASHBOARD_DIR, rendered
from services.standards.local_time import BEIJING_TIME, day_start
from tests.support.grafana import (
    compute_figures,
    copy_readings,
    declared_queries,
    expand,
    panels,
    provisioned_boards,
    simulated_readings,
    sql_targets,
)

END = datetime(2026, 3, 15, 4, tzinfo=UTC)  # 12:00 on 15 March in Beijing
START = END - timedelta(days=20)
YEAR_START = day_start(date(2026, 1, 1))
CITY_STATIONS = ("AIR-KEQIAO", "AIR-SHANGYU", "AIR-YUECHENG")  # the national stations: the city's figures
GRAFANA = "https://grafana.bureau.example"
SETTINGS = AlertsSettings(grafana_url=GRAFANA)
BOARDS = provisioned_boards()
TARGETS = [(uid, panel, target) for uid, model in BOARDS.items() for panel, target in sql_targets(model)]
# Statements are made by the compensation service from its agreements, which this seed does not load.
WITHOUT_ROWS = {"envmon-compensation"}


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
        "select 1 where f(a, (b)) BETWEEN '2026-02-23T04:00:00Z' AND '2026-03-15T04:00:00Z' "
        "and x = 'S' and y = 'PYJ-JINHUA'"
    )


def _incidents(yesterday: date, gateways: dict[str, str]) -> list[tuple[datetime, str, str, float, str, str, str]]:
    """Beside the simulated data: a data logger's over-range (T) and fault (D) readings in the last hours, a
    landfill day yesterday, and TP at a Class Ⅳ level at one section every half hour of the twenty days."""
    at = datetime.combine(yesterday, datetime.min.time(), BEIJING_TIME)
    polluted = [
        (moment, "CEJ-DAZHA", "tp", 0.3, "N", "backfill", gateways["CEJ-DAZHA"])
        for moment in (START + timedelta(minutes=30 + 60 * n) for n in range(20 * 24))
    ]
    return [
        *polluted,
        (END - timedelta(minutes=90), "CEJ-SANJIE", "nh3n", 9.9, "T", "backfill", gateways["CEJ-SANJIE"]),
        (END - timedelta(minutes=30), "CEJ-SANJIE", "nh3n", 0.0, "D", "backfill", gateways["CEJ-SANJIE"]),
        (
            at + timedelta(hours=12, minutes=30),
            "WST-LANDFILL",
            "landfilled",
            35.0,
            "N",
            "backfill",
            gateways["WST-LANDFILL"],
        ),
    ]


@pytest.fixture(scope="module")
def seeded(engine: Engine) -> Engine:
    """Twenty days of every station, the city's air stations since 1 January this year and over the same days
    last year (so PM2.5 and O3 compare), then the alerts service's figures and alerts as of END."""
    with engine.begin() as connection:
        connection.execute(text("truncate readings, recompute_queue, alert_states, alert_history, alert_outbox"))
    yesterday = (END.astimezone(BEIJING_TIME) - timedelta(days=1)).date()
    copy_readings(engine, simulated_readings(START, END))
    copy_readings(engine, simulated_readings(YEAR_START, START, CITY_STATIONS))
    copy_readings(engine, simulated_readings(day_start(date(2025, 1, 1)), day_start(date(2025, 3, 16)), CITY_STATIONS))
    with engine.connect() as connection:
        rows = connection.execute(text("select station_code, gateway_id from gateway_stations")).all()
    copy_readings(engine, _incidents(yesterday, {str(station): str(gateway) for station, gateway in rows}))
    days = [date(2025, 1, 1) + timedelta(days=n) for n in range(74)] + [
        date(2026, 1, 1) + timedelta(days=n) for n in range(74)
    ]
    compute_figures(engine, SETTINGS, END, days)
    return engine


def _variables(engine: Engine, uid: str, chosen: dict[str, str] | None = None) -> dict[str, str]:
    """Each variable of the board: the chosen value, else its first option (what Grafana selects on load)."""
    values = {}
    for variable in BOARDS[uid]["templating"].get("list", []):
        name = variable["name"]
        if chosen and name in chosen:
            values[name] = chosen[name]
        elif variable["type"] == "custom":
            values[name] = str(variable["current"]["value"])
        elif variable["type"] == "constant":
            values[name] = str(variable["query"])
        else:
            with engine.connect() as connection:
                values[name] = str(connection.execute(text(variable["query"])).mappings().first()["__value"])  # type: ignore[index]
    return values


def _run(
    engine: Engine, sql: str, start: datetime, end: datetime, variables: dict[str, str]
) -> tuple[tuple[str, ...], list[Any]]:
    with engine.connect() as connection:
        result = connection.execute(text(expand(sql, start, end, variables).replace(":", r"\:")))
        return tuple(result.keys()), [tuple(row) for row in result]


@pytest.mark.integration
def test_every_variable_resolves(seeded: Engine) -> None:
    for uid, model in BOARDS.items():
        for variable in model["templating"].get("list", []):
            if variable["type"] != "query":
                assert variable["query"], (uid, variable["name"])
                continue
            columns, rows = _run(seeded, variable["query"], START, END, {})
            assert columns == ("__value", "__text") and rows, (uid, variable["name"])


@pytest.mark.integration
@pytest.mark.parametrize(
    ("uid", "panel", "target"), TARGETS, ids=[f"{uid}-{p['id']}{t['refId']}" for uid, p, t in TARGETS]
)
def test_panel_sql_runs_and_returns_its_columns_and_rows(
    seeded: Engine, uid: str, panel: dict[str, Any], target: dict[str, Any]
) -> None:
    declared = declared_queries()[(uid, panel["id"], target["refId"])]
    variables = _variables(seeded, uid)
    columns, rows = _run(seeded, target["rawSql"], START, END, variables)
    assert columns == tuple(expand(c, START, END, variables) for c in declared.columns)
    if uid not in WITHOUT_ROWS:
        assert rows, f"{uid} panel {panel['id']} ({panel['title']}) shows nothing"


def _current(seeded: Engine, row: overview.TargetRow) -> dict[str, Any]:
    target = next(t for p, t in sql_targets(BOARDS[overview.UID]) if p["id"] == overview.ROW_IDS[row.key] + 1)
    columns, rows = _run(seeded, target["rawSql"], YEAR_START, END, {})
    assert len(rows) == 1, row.key
    return {column: None if value is None else str(value) for column, value in zip(columns, rows[0], strict=True)}


@pytest.mark.integration
def test_overview_targets_show_what_the_kpi_api_publishes(seeded: Engine) -> None:
    api = TestClient(create_app(seeded, SETTINGS, metrics_registry=CollectorRegistry()))
    water, air, waste = (
        api.get(url).json()
        for url in ("/v1/kpi/water?period=2026", "/v1/kpi/air?year=2026", "/v1/kpi/waste?period=2026")
    )
    shown = {row.key: _current(seeded, row) for row in overview.TARGETS}
    published = {
        "class_i_iii_share": {"value": water["class_i_iii"]["share_percent"]},
        "good_day_share": {"value": air["share_percent"]},
        "eco_flow_share": {"value": water["eco_flow"]["city"]["share_percent"]},
        "pm25_o3_falling": {"pm25_change": air["pm25"]["change"], "o3_change": air["o3"]["change"]},
        "zero_landfill": {"value": waste["landfill_share_percent"], "landfilled": waste["landfilled"]},
    }
    assert set(shown) == set(published)
    for key, figures in published.items():
        assert all(value is not None for value in figures.values()), (key, figures)
        assert {name: shown[key][name] for name in figures} == figures, key


def _alerts(seeded: Engine) -> list[tuple[str, str, str]]:
    with seeded.connect() as connection:
        return [
            (str(rule), str(subject), str(url))
            for rule, subject, url in connection.execute(
                text("select rule, subject, annotations->>'dashboard_url' from alert_states where state = 'firing'")
            )
        ]


@pytest.mark.integration
def test_each_alert_opens_a_panel_that_shows_its_subject_and_period(seeded: Engine) -> None:
    alerts = _alerts(seeded)
    assert {rule for rule, _, _ in alerts} >= {
        "any_landfill",
        "zero_landfill_target",
        "hj212_flag_t_or_d",
        "section_worse_than_target_month",
        "section_worse_than_target_ytd",
        "water_class_i_iii_share_target",
    }
    for rule, subject, url in alerts:
        parts = urlsplit(url)
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        uid = parts.path.removeprefix("/d/")
        assert url.startswith(GRAFANA) and uid in BOARDS, url
        panel = next(p for p in panels(BOARDS[uid]) if p["id"] == int(query["viewPanel"]))
        start, end = (datetime.fromtimestamp(int(query[key]) / 1000, UTC) for key in ("from", "to"))
        variables = _variables(seeded, uid, {"subject": query["var-subject"]})
        assert query["var-subject"] == subject
        shown = [_run(seeded, t["rawSql"], start, end, variables)[1] for t in panel["targets"] if "rawSql" in t]
        assert any(shown), f"{rule} for {subject}: panel {panel['id']} of {uid} shows nothing for {start}–{end}"
