"""Helpers for tests of the alert rules: metric values by subject, and one evaluation of given rules."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import Connection

from services.alerts.context import Computation
from services.alerts.rules.definitions import Rule, RuleBook
from services.alerts.rules.metrics import MetricContext, observe
from services.alerts.rules.presentation import Links
from services.alerts.rules.store import Transition, evaluate_rules

LINKS = Links(grafana_url="http://grafana.test", public_url="http://alerts.test")


def metric_values(connection: Connection, job: Computation, names: Iterable[str]) -> dict[str, dict[str, Decimal]]:
    """Each metric's values this cycle by subject (for metrics with one period per cycle)."""
    readings = observe(connection, names, MetricContext.of(job))
    return {name: {o.subject: o.value for o in reading.observations} for name, reading in readings.items()}


def evaluate_once(connection: Connection, rules: Iterable[Rule], job: Computation) -> list[Transition]:
    """One evaluation of ``rules`` at the job's clock, with test links."""
    return evaluate_rules(connection, RuleBook(tuple(rules)), MetricContext.of(job), LINKS, LINKS.public_url)
