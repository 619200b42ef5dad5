"""A small dashboards-as-code model: panels with their queries, rendered to Grafana's JSON model.

Only what our boards use is modelled. Each SQL query names the columns it returns, so a test can
run every panel against a seeded database and check them (tests/deploy/test_dashboards.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

TIMESCALEDB_UID = "envmon-timescaledb"
PROMETHEUS_UID = "envmon-prometheus"
POSTGRES_TYPE = "grafana-postgresql-datasource"
PROMETHEUS_TYPE = "prometheus"
# The zone Grafana displays times in (display only; days in the queries are Beijing time, POSTGRES_ZONE).
TIMEZONE = "Asia/Shanghai"
SCHEMA_VERSION = 39
GRID_WIDTH = 24

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Sql:
    sql: str
    columns: tuple[str, ...]
    table_format: bool = True  # "table"; False for "time_series"
    tables: tuple[str, ...] = ()  # tables the query needs beyond the foundation schema


@dataclass(frozen=True, slots=True)
class PromQL:
    expr: str
    legend: str = ""


Query = Sql | PromQL


@dataclass(frozen=True, slots=True)
class Panel:
    title: str
    kind: str  # Grafana panel type: table, geomap, timeseries, stat, barchart, bargauge, status-history
    queries: tuple[Query, ...]
    width: int = 12
    height: int = 8
    unit: str | None = None
    thresholds: tuple[tuple[float | None, str], ...] = ()  # (from value, colour); the first from is None
    options: Mapping[str, Any] = field(default_factory=dict)
    overrides: tuple[Json, ...] = ()
    description: str = ""


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    label: str
    query: str  # SQL returning __value and __text; or comma-separated values when custom
    custom: bool = False


@dataclass(frozen=True, slots=True)
class Dashboard:
    uid: str
    title: str
    panels: tuple[Panel, ...]
    variables: tuple[Variable, ...] = ()
    time_from: str = "now-60d"
    tags: tuple[str, ...] = ("envmon",)

    def sql_queries(self) -> list[tuple[Panel, Sql]]:
        return [(p, q) for p in self.panels for q in p.queries if isinstance(q, Sql)]


def _datasource(query: Query) -> Json:
    if isinstance(query, Sql):
        return {"type": POSTGRES_TYPE, "uid": TIMESCALEDB_UID}
    return {"type": PROMETHEUS_TYPE, "uid": PROMETHEUS_UID}


def _target(query: Query, ref_id: str) -> Json:
    if isinstance(query, Sql):
        return {
            "refId": ref_id,
            "datasource": _datasource(query),
            "editorMode": "code",
            "rawQuery": True,
            "format": "table" if query.table_format else "time_series",
            "rawSql": query.sql.strip(),
        }
    return {"refId": ref_id, "datasource": _datasource(query), "expr": query.expr, "legendFormat": query.legend}


def _field_config(panel: Panel) -> Json:
    defaults: Json = {}
    if panel.unit:
        defaults["unit"] = panel.unit
    if panel.thresholds:
        defaults["thresholds"] = {"mode": "absolute", "steps": [{"value": v, "color": c} for v, c in panel.thresholds]}
        defaults["color"] = {"mode": "thresholds"}
    return {"defaults": defaults, "overrides": list(panel.overrides)}


def _layout(panels: Sequence[Panel]) -> list[Json]:
    """Left-to-right rows of panels, wrapping at Grafana's 24-column grid."""
    positions, x, y, row_height = [], 0, 0, 0
    for panel in panels:
        if x + panel.width > GRID_WIDTH:
            x, y, row_height = 0, y + row_height, 0
        positions.append({"x": x, "y": y, "w": panel.width, "h": panel.height})
        x, row_height = x + panel.width, max(row_height, panel.height)
    return positions


def _variable(variable: Variable) -> Json:
    common: Json = {"name": variable.name, "label": variable.label, "hide": 0, "multi": False, "includeAll": False}
    if variable.custom:
        options = [v.strip() for v in variable.query.split(",")]
        return {
            **common,
            "type": "custom",
            "query": variable.query,
            "current": {"text": options[0], "value": options[0]},
            "options": [{"text": o, "value": o, "selected": i == 0} for i, o in enumerate(options)],
        }
    return {
        **common,
        "type": "query",
        "query": variable.query,
        "refresh": 1,
        "sort": 0,
        "datasource": {"type": POSTGRES_TYPE, "uid": TIMESCALEDB_UID},
    }


def render(board: Dashboard) -> Json:
    panels = []
    for number, (panel, position) in enumerate(zip(board.panels, _layout(board.panels), strict=True), start=1):
        refs = [chr(ord("A") + i) for i in range(len(panel.queries))]
        panels.append(
            {
                "id": number,
                "type": panel.kind,
                "title": panel.title,
                "description": panel.description,
                "gridPos": position,
                "datasource": _datasource(panel.queries[0]),
                "targets": [_target(q, ref) for q, ref in zip(panel.queries, refs, strict=True)],
                "fieldConfig": _field_config(panel),
                "options": dict(panel.options),
            }
        )
    return {
        "uid": board.uid,
        "title": board.title,
        "tags": list(board.tags),
        "timezone": TIMEZONE,
        "editable": False,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "refresh": "1m",
        "time": {"from": board.time_from, "to": "now"},
        "templating": {"list": [_variable(v) for v in board.variables]},
        "panels": panels,
    }
