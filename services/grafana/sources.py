"""The data sources the boards read, with the fixed UIDs provisioning gives them
(deploy/grafana/provisioning/datasources/envmon.yaml; ``envmon grafana push`` creates the same)."""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import DataSourceRef

POSTGRES_TYPE = "grafana-postgresql-datasource"
PROMETHEUS_TYPE = "prometheus"
ALERTMANAGER_TYPE = "alertmanager"

TIMESCALEDB = DataSourceRef(type_val=POSTGRES_TYPE, uid="envmon-timescaledb")
PROMETHEUS = DataSourceRef(type_val=PROMETHEUS_TYPE, uid="envmon-prometheus")
# Grafana's Alertmanager data source serves its Alerting pages (alert groups, silences), not panels.
ALERTMANAGER = DataSourceRef(type_val=ALERTMANAGER_TYPE, uid="envmon-alertmanager")
ALERTMANAGER_NAME = "Alertmanager (envmon)"
