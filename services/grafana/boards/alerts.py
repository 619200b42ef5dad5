"""告警 Alerts (envmon-alerts): what the alerts service has firing and pending, and how states changed.

The alerts service keeps every alert it sends to Alertmanager in ``alert_states`` (with the same labels
and annotations), so these panels read that table; each row links to its evidence panel
(``dashboard_url``) and its runbook. Grafana's Alertmanager data source (provisioned) shows the same
alerts, with silences, under Alerting → Alert groups: that data source cannot feed panels.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import table, timeseries
from grafana_foundation_sdk.builders.common import StackingConfig
from grafana_foundation_sdk.models.common import GraphDrawStyle, StackingMode
from grafana_foundation_sdk.models.dashboard import Dashboard

from services.grafana.panels import coloured_cells, envmon_board, field_config, with_queries
from services.grafana.sql import LOCAL, Sql

UID = "envmon-alerts"
SEVERITY_COLOURS = {"critical": "red", "warning": "orange", "info": "blue"}
ALERT_COLUMNS = (
    "severity",
    "summary",
    "subject",
    "period",
    "value",
    "target",
    "state",
    "since",
    "acknowledged_by",
    "description",
    "evidence",
    "runbook",
)


def _link(field: str, title: str) -> dict[str, object]:
    return {"title": title, "url": f"${{__data.fields.{field}}}", "targetBlank": False}


def firing_alerts(panel_id: int, title: str, states: tuple[str, ...]) -> table.Panel:
    """The alerts in ``states``, most severe and newest first; 证据 opens the panel that shows the cause."""
    in_states = ", ".join(f"'{state}'" for state in states)
    severity_order = " ".join(f"when '{s}' then {n}" for n, s in enumerate(SEVERITY_COLOURS))
    return with_queries(
        table.Panel()
        .id(panel_id)
        .title(title)
        .override_by_name(
            "severity",
            [
                coloured_cells(),
                field_config(
                    "mappings",
                    [
                        {
                            "type": "value",
                            "options": {
                                s: {"color": c, "index": n} for n, (s, c) in enumerate(SEVERITY_COLOURS.items())
                            },
                        }
                    ],
                ),
            ],
        )
        .override_by_name("summary", [field_config("links", [_link("evidence", "证据 Evidence panel")])])
        .override_by_name("runbook", [field_config("links", [_link("runbook", "处置步骤 Runbook")])])
        .override_by_regexp("^(evidence|description)$", [field_config("custom.hidden", True)]),
        Sql(
            f"""
select severity, annotations->>'summary' as summary,
  coalesce(annotations->>'subject_name', subject) as subject, annotations->>'period_label' as period,
  annotations->>'value' as value, annotations->>'target' as target, state,
  coalesce(fired_at, pending_since) as since, acknowledged_by, annotations->>'description' as description,
  annotations->>'dashboard_url' as evidence, annotations->>'runbook_url' as runbook
from alert_states
where state in ({in_states})
order by case severity {severity_order} else 9 end, coalesce(fired_at, pending_since) desc
""",
            ALERT_COLUMNS,
            tables=("alert_states",),
        ),
    )


def build() -> Dashboard:
    return (
        envmon_board(UID, "告警 Alerts", time_from="now-30d")
        .with_panel(
            firing_alerts(1, "正在告警与待定 Firing and pending alerts", ("firing", "pending")).span(24).height(10)
        )
        .with_panel(
            with_queries(
                timeseries.Panel()
                .id(2)
                .title("每日状态变化 State changes per day (Beijing-time days)")
                .span(12)
                .height(8)
                .draw_style(GraphDrawStyle.BARS)
                .stacking(StackingConfig().mode(StackingMode.NORMAL)),
                Sql(
                    f"""
select time_bucket('1 day', h.at, {LOCAL}) as time, h.to_state as metric, count(*) as value
from alert_history h
where h.event = 'transition' and $__timeFilter(h.at)
group by 1, 2 order by 1, 2
""",
                    ("time", "metric", "value"),
                    table_format=False,
                    tables=("alert_history",),
                ),
            )
        )
        .with_panel(
            with_queries(
                table.Panel()
                .id(3)
                .title("最近的状态变化与确认 Recent transitions and acknowledgements")
                .span(12)
                .height(8),
                Sql(
                    """
select h.at, s.rule, coalesce(s.annotations->>'subject_name', s.subject) as subject, s.period, h.event,
  h.from_state, h.to_state, h.actor, h.comment
from alert_history h join alert_states s on s.fingerprint = h.fingerprint
where $__timeFilter(h.at)
order by h.at desc limit 200
""",
                    ("at", "rule", "subject", "period", "event", "from_state", "to_state", "actor", "comment"),
                    tables=("alert_history",),
                ),
            )
        )
        .build()
    )
