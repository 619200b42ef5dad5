"""Grafana as the tests see it: the provisioned board files, their panels and SQL targets, and Grafana's
PostgreSQL macros and template variables expanded the way Grafana does before it runs SQL."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Iterator
from datetime import date, datetime
from typing import Any

import httpx
from grafana_foundation_sdk.models.dashboard import Panel, RowPanel
from sqlalchemy import Engine

from services.alerts.context import Computation
from services.alerts.figures.recompute import recompute_days
from services.alerts.registry import registry_from_database
from services.alerts.rules.alertmanager import Alertmanager
from services.alerts.rules.definitions import load_rules
from services.alerts.service import AlertsService
from services.alerts.settings import AlertsSettings
from services.grafana.boards import dashboards
from services.grafana.files import DASHBOARD_DIR
from services.grafana.sources import TIMESCALEDB
from services.grafana.sql import Sql
from services.storage.schema import Source
from simulators.plan import programme_sample
from simulators.stations import load_gateways

SEED = 212
UNUSED_ALERTMANAGER = "http://127.0.0.1:9"
Row = tuple[datetime, str, str, float, str, str, str]

TIME_FILTER = "$__timeFilter("


def _grafana_time(moment: datetime) -> str:
    return "'" + moment.strftime("%Y-%m-%dT%H:%M:%SZ") + "'"


def _matching_paren(text: str, open_at: int) -> int:
    depth = 0
    for index in range(open_at, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return index
    raise ValueError(f"unbalanced parentheses after {text[open_at - 20 : open_at]!r}")


def expand(sql: str, start: datetime, end: datetime, variables: dict[str, str]) -> str:
    """``$__timeFilter(x)`` → ``x BETWEEN 'from' AND 'to'``; ``$__timeFrom()``/``$__timeTo()``; ``$name``."""
    while (at := sql.find(TIME_FILTER)) >= 0:
        close = _matching_paren(sql, at + len(TIME_FILTER) - 1)
        column = sql[at + len(TIME_FILTER) : close]
        sql = f"{sql[:at]}{column} BETWEEN {_grafana_time(start)} AND {_grafana_time(end)}{sql[close + 1 :]}"
    sql = sql.replace("$__timeFrom()", _grafana_time(start)).replace("$__timeTo()", _grafana_time(end))
    if leftover := re.search(r"\$__\w+", sql):
        raise ValueError(f"unexpanded macro {leftover.group()}")
    for name in sorted(variables, key=len, reverse=True):
        sql = sql.replace(f"${name}", variables[name])
    return sql


def provisioned_boards() -> dict[str, dict[str, Any]]:
    """uid -> the JSON model of every board Grafana's file provider loads (the committed files)."""
    boards = {}
    for path in sorted(DASHBOARD_DIR.glob("*.json")):
        model = json.loads(path.read_text(encoding="utf-8"))
        boards[model["uid"]] = model
    return boards


def panels(model: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel of a board, those inside collapsed rows included; rows themselves excluded."""
    found = []
    for panel in model.get("panels", []):
        if panel.get("type") == "row":
            found.extend(panel.get("panels", []))
        else:
            found.append(panel)
    return found


def sql_targets(model: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(panel, target) for every target on the TimescaleDB data source."""
    return [
        (panel, target)
        for panel in panels(model)
        for target in panel.get("targets", [])
        if target.get("datasource", {}).get("uid") == TIMESCALEDB.uid
    ]


def declared_queries() -> dict[tuple[str, int, str], Sql]:
    """(board uid, panel id, refId) -> the Sql the builder declared, with its columns and tables."""
    declared = {}
    for board in dashboards():
        for panel in board.panels or []:
            inner = panel.panels if isinstance(panel, RowPanel) else [panel]
            for item in inner:
                assert isinstance(item, Panel)
                for target in item.targets or []:
                    if isinstance(target, Sql):
                        declared[(str(board.uid), int(item.id_val or 0), target.ref_id)] = target
    return declared


READING_COLUMNS = ("time", "station", "parameter", "value", "flag", "source", "gateway")


def simulated_readings(start: datetime, end: datetime, stations: Collection[str] | None = None) -> Iterator[Row]:
    """What the simulator's gateways send for [start, end) (every station, or ``stations``), as reading rows."""
    for gateway in load_gateways():
        for spec in gateway.stations:
            if stations is not None and spec.code not in stations:
                continue
            for moment, due in spec.schedule(start, end).items():
                for parameter, value in programme_sample(SEED, spec, moment, due).values.items():
                    yield (moment, spec.code, parameter, float(value), "N", Source.BACKFILL.value, gateway.id)


def copy_readings(engine: Engine, rows: Iterable[Row]) -> None:
    with engine.begin() as connection:
        driver = connection.connection.driver_connection
        assert driver is not None
        statement = f"copy readings ({', '.join(READING_COLUMNS)}) from stdin"
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)


def compute_figures(engine: Engine, settings: AlertsSettings, now: datetime, days: Iterable[date]) -> None:
    """What the alerts service computes from the readings of ``days`` (as late data), then one cycle at ``now``:
    the figures the boards read, and the alerts the rules raise on them."""
    with engine.begin() as connection:
        registry = registry_from_database(
            connection, city=settings.alerts_city, city_control_levels=settings.alerts_city_control_levels
        )
        recompute_days(Computation(connection, registry, now), days)
    service = AlertsService(
        engine,
        settings,
        load_rules(settings.alerts_rules_path),
        Alertmanager(UNUSED_ALERTMANAGER, httpx.Client()),  # compute_and_evaluate does not deliver
        clock=lambda: now,
    )
    service.compute_and_evaluate(now)
