"""What every envmon board and panel shares, on top of grafana-foundation-sdk's builders."""

from __future__ import annotations

from typing import Protocol, Self, TypeVar
from urllib.parse import quote

from grafana_foundation_sdk.builders import common, dashboard, prometheus
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.variants import Dataquery
from grafana_foundation_sdk.models.common import GraphThresholdsStyleMode
from grafana_foundation_sdk.models.dashboard import (
    DashboardLinkType,
    DataSourceRef,
    DynamicConfigValue,
    FieldColorModeId,
    VariableOption,
    VariableRefresh,
)

from services.grafana.sources import PROMETHEUS, TIMESCALEDB
from services.grafana.sql import Sql

# The zone Grafana displays times in (display only: days in the queries are Beijing time, POSTGRES_ZONE).
TIMEZONE = "Asia/Shanghai"
TAG = "envmon"


class QueryPanel(Protocol):
    def with_target(self, target: Builder[Dataquery]) -> Self: ...

    def datasource(self, datasource: DataSourceRef) -> Self: ...


P = TypeVar("P", bound=QueryPanel)


def with_queries(panel: P, *queries: Sql | prometheus.Dataquery) -> P:
    """The panel reading ``queries`` (refIds A, B, …) from the first query's data source."""
    source = TIMESCALEDB if isinstance(queries[0], Sql) else PROMETHEUS
    panel = panel.datasource(source)
    for index, query in enumerate(queries):
        ref = chr(ord("A") + index)
        panel = panel.with_target(query.as_ref(ref) if isinstance(query, Sql) else query.ref_id(ref))
    return panel


def promql(expr: str, legend: str = "") -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).datasource(PROMETHEUS)


def board_url(uid: str, **params: str | int) -> str:
    """A link to a board inside this Grafana; ``params`` become query parameters (``var_subject`` → ``var-subject``)."""
    query = "&".join(f"{name.replace('_', '-')}={value}" for name, value in params.items())
    return f"/d/{quote(uid)}" + (f"?{query}" if query else "")


def link(title: str, url: str) -> dashboard.DashboardLink:
    """A panel link that keeps the time range (Grafana's ${__url_time_range})."""
    separator = "&" if "?" in url else "?"
    return dashboard.DashboardLink(title).url(f"{url}{separator}${{__url_time_range}}")


def envmon_board(uid: str, title: str, *, time_from: str, time_to: str = "now") -> dashboard.Dashboard:
    """A read-only provisioned board in the envmon folder, in Beijing time, with links to its siblings."""
    return (
        dashboard.Dashboard(title)
        .uid(uid)
        .tags([TAG])
        .timezone(TIMEZONE)
        .readonly()
        .refresh("1m")
        .time(time_from, time_to)
        .link(
            dashboard.DashboardLink("envmon 看板")
            .type(DashboardLinkType.DASHBOARDS)
            .tags([TAG])
            .as_dropdown(True)
            .keep_time(False)
            .include_vars(False)
        )
    )


def sql_variable(name: str, label: str, sql: str) -> dashboard.QueryVariable:
    """A variable whose options come from SQL returning ``__value`` and ``__text``; resolved on load."""
    return (
        dashboard.QueryVariable(name)
        .label(label)
        .query(sql)
        .datasource(TIMESCALEDB)
        .refresh(VariableRefresh.ON_DASHBOARD_LOAD)
    )


def custom_variable(name: str, label: str, values: tuple[str, ...]) -> dashboard.CustomVariable:
    first = VariableOption(text=values[0], value=values[0], selected=True)
    return (
        dashboard.CustomVariable(name)
        .label(label)
        .values(",".join(values))
        .current(first)
        .options([VariableOption(text=v, value=v, selected=v == values[0]) for v in values])
    )


def field_config(property_id: str, value: object) -> DynamicConfigValue:
    """One field-config property for an override (e.g. ``custom.cellOptions``, ``mappings``)."""
    return DynamicConfigValue(id_val=property_id, value=value)


def coloured_cells() -> DynamicConfigValue:
    """Table cells filled with the field's threshold or mapping colour."""
    return field_config("custom.cellOptions", {"type": "color-background"})


def by_thresholds() -> dashboard.FieldColor:
    return dashboard.FieldColor().mode(FieldColorModeId.THRESHOLDS)


def dashed_thresholds() -> common.GraphThresholdsStyleConfig:
    """Draw the thresholds (a target) as a dashed line."""
    return common.GraphThresholdsStyleConfig().mode(GraphThresholdsStyleMode.DASHED)
