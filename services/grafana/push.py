"""``envmon grafana push``: put the boards (and optionally our data sources) into a bureau's own Grafana."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from grafana_client.api import GrafanaApi
from grafana_client.client import GrafanaClientError

from services.grafana.boards import dashboards
from services.grafana.files import dashboard_model
from services.grafana.sources import (
    ALERTMANAGER,
    ALERTMANAGER_NAME,
    ALERTMANAGER_TYPE,
    POSTGRES_TYPE,
    PROMETHEUS,
    PROMETHEUS_TYPE,
    TIMESCALEDB,
)

FOLDER_UID = "envmon"
FOLDER_TITLE = "envmon 环境监测"
NOT_FOUND = 404

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PostgresSource:
    host: str  # host:port
    database: str
    user: str
    password: str


def _ensure_folder(api: Any) -> None:
    try:
        api.folder.get_folder(FOLDER_UID)
    except GrafanaClientError as error:
        if error.status_code != NOT_FOUND:
            raise
        api.folder.create_folder(FOLDER_TITLE, uid=FOLDER_UID)


def _upsert_datasource(api: Any, source: dict[str, Any]) -> None:
    try:
        api.datasource.get_datasource_by_uid(source["uid"])
    except GrafanaClientError as error:
        if error.status_code != NOT_FOUND:
            raise
        api.datasource.create_datasource(source)
        return
    api.datasource.update_datasource_by_uid(source["uid"], source)


def datasources(
    postgres: PostgresSource | None, prometheus_url: str | None, alertmanager_url: str | None = None
) -> list[dict[str, Any]]:
    """The same data sources deploy/grafana/provisioning/datasources/envmon.yaml provisions."""
    sources: list[dict[str, Any]] = []
    if postgres is not None:
        sources.append(
            {
                "uid": TIMESCALEDB.uid,
                "name": "TimescaleDB (envmon)",
                "type": POSTGRES_TYPE,
                "access": "proxy",
                "url": postgres.host,
                "user": postgres.user,
                "secureJsonData": {"password": postgres.password},
                "jsonData": {
                    "database": postgres.database,
                    "sslmode": "disable",
                    "timescaledb": True,
                    "postgresVersion": 1500,
                },
            }
        )
    if prometheus_url is not None:
        sources.append(
            {
                "uid": PROMETHEUS.uid,
                "name": "Prometheus (envmon)",
                "type": PROMETHEUS_TYPE,
                "access": "proxy",
                "url": prometheus_url,
            }
        )
    if alertmanager_url is not None:
        sources.append(
            {
                "uid": ALERTMANAGER.uid,
                "name": ALERTMANAGER_NAME,
                "type": ALERTMANAGER_TYPE,
                "access": "proxy",
                "url": alertmanager_url,
                "jsonData": {"implementation": "prometheus", "handleGrafanaManagedAlerts": False},
            }
        )
    return sources


def push(
    url: str,
    token: str,
    *,
    postgres: PostgresSource | None = None,
    prometheus_url: str | None = None,
    alertmanager_url: str | None = None,
) -> int:
    """Create or replace the envmon folder's boards; returns how many were pushed."""
    api: Any = GrafanaApi.from_url(url, credential=token)  # grafana-client's element methods are untyped
    for source in datasources(postgres, prometheus_url, alertmanager_url):
        _upsert_datasource(api, source)
    _ensure_folder(api)
    boards = dashboards()
    for board in boards:
        api.dashboard.update_dashboard(
            {
                "dashboard": dashboard_model(board),
                "folderUid": FOLDER_UID,
                "overwrite": True,
                "message": "envmon grafana push",
            }
        )
        log.info("dashboard pushed", uid=board.uid)
    return len(boards)
