"""What an alert says: its labels (identity) and annotations (what a duty officer reads and clicks).

Labels: ``alertname`` (the rule), ``subject`` (a station or section code, or the city), ``scope``
(``city`` or ``station``), ``severity``, ``period`` and ``period_kind`` (``windows``), and the rule's
own labels (``domain``, ``kind``, ``target``), plus what a metric adds (a comparison's ``parties``).

Annotations: ``summary``; ``description`` naming the cause; ``value`` and ``target`` at reporting
precision; ``subject_name``; ``period_label``; ``dashboard_url`` (the Grafana panel that shows it,
CONTRACTS.md "Grafana links"); ``runbook_url``; ``api_url`` (the API query that shows it, where one
exists); plus what a metric adds (the share alert's ``sections``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

from sqlalchemy import Connection, text

from services.alerts.rules.definitions import Direction, Rule
from services.alerts.rules.metrics import METRICS, Observation
from services.alerts.rules.windows import RulePeriod, label, time_range
from services.standards.reporting import PrecisionTable

MILLISECONDS = 1000


@dataclass(frozen=True)
class Links:
    grafana_url: str  # ENVMON_GRAFANA_URL
    public_url: str  # the alerts API as users reach it (ENVMON_ALERTS_PUBLIC_URL)

    def dashboard(self, rule: Rule, subject: str, period: RulePeriod, now: datetime) -> str | None:
        if rule.dashboard is None:
            return None
        start, end = time_range(period, now)
        query = urlencode(
            {
                "viewPanel": rule.dashboard.panel,
                "var-subject": subject,
                "from": int(start.timestamp() * MILLISECONDS),
                "to": int(end.timestamp() * MILLISECONDS),
            }
        )
        return f"{self.grafana_url.rstrip('/')}/d/{quote(rule.dashboard.board)}?{query}"

    def runbook(self, rule: Rule) -> str:
        return f"{self.public_url.rstrip('/')}/runbooks#{quote(rule.name)}"

    def api(self, path: str) -> str:
        return self.public_url.rstrip("/") + path


def threshold(rule: Rule, precision: PrecisionTable) -> str:
    """The condition a subject meets when the rule does not fire, e.g. ``≥ 90.0 %`` or ``≤ 100``."""
    metric = METRICS[rule.metric]
    if metric.threshold is None:
        raise ValueError(f"metric {rule.metric} gives no target of its own for rule {rule.name}")
    sign = "≥" if rule.when is Direction.BELOW else "≤"
    return f"{sign} {metric.threshold(precision, rule.enter)}"


def subject_names(connection: Connection, city: str) -> dict[str, str]:
    rows = connection.execute(text("select code, name from stations")).all()
    return {**{str(code): str(name) for code, name in rows}, city: city}


@dataclass(frozen=True)
class Presenter:
    links: Links
    city: str
    names: Mapping[str, str]
    precision: PrecisionTable
    now: datetime

    def labels(
        self, rule: Rule, subject: str, period: RulePeriod, observation: Observation | None = None
    ) -> dict[str, str]:
        return {
            **rule.labels,
            **(observation.labels if observation is not None else {}),
            "alertname": rule.name,
            "subject": subject,
            "scope": "city" if subject == self.city else "station",
            "severity": rule.severity.value,
            "period": period.key,
            "period_kind": period.kind.value,
        }

    def annotations(self, rule: Rule, observation: Observation, period: RulePeriod) -> dict[str, str]:
        annotations = {
            "summary": rule.summary,
            "description": observation.description,
            "value": observation.shown,
            "target": observation.target or threshold(rule, self.precision),
            "subject_name": self.names.get(observation.subject, observation.subject),
            "period_label": label(period, self.now, observation.as_of),
            "runbook_url": self.links.runbook(rule),
            **observation.extra,
        }
        dashboard = self.links.dashboard(rule, observation.subject, period, self.now)
        if dashboard is not None:
            annotations["dashboard_url"] = dashboard
        if observation.api_path is not None:
            annotations["api_url"] = self.links.api(observation.api_path)
        return annotations
