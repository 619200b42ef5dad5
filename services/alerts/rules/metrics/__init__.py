"""The values alert rules compare: one metric per kind of figure, read from the computed tables.

A rule names its metric in ``rules.yaml``; each metric evaluates the periods of its kind
(``windows``) and gives one :class:`Observation` per subject and period that has a figure. A subject
without one has no value this cycle, and its alert state is held (``lifecycle``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from sqlalchemy import Connection

from services.alerts.rules.metrics import air, comparison, episodes, stations, waste, water
from services.alerts.rules.metrics.model import Metric, MetricContext, Observation, Reading

METRICS: Mapping[str, Metric] = MappingProxyType(
    {metric.name: metric for module in (water, air, comparison, episodes, waste, stations) for metric in module.METRICS}
)

__all__ = ["METRICS", "Metric", "MetricContext", "Observation", "Reading", "check_metric_names", "observe"]


def observe(connection: Connection, names: Iterable[str], context: MetricContext) -> dict[str, Reading]:
    """This cycle's observations of the named metrics; unknown names raise KeyError."""
    readings = {}
    for name in sorted(set(names)):
        metric = METRICS[name]
        readings[name] = Reading(context.periods(metric.period_kind), tuple(metric.read(connection, context)))
    return readings


def check_metric_names(names: Iterable[str]) -> None:
    unknown = sorted(set(names) - set(METRICS))
    if unknown:
        raise ValueError(f"rules use unknown metrics {unknown}; known: {', '.join(sorted(METRICS))}")
