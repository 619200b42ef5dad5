"""``envmon alerts``: the compute loop in a background thread and the HTTP API (uvicorn) in front."""

from __future__ import annotations

import threading

import httpx
import structlog
import uvicorn

from services.alerts.api import create_app
from services.alerts.delivery import Alertmanager
from services.alerts.metrics import check_metric_names
from services.alerts.mqtt_publisher import SnapshotPublisher
from services.alerts.rules import load_rules
from services.alerts.service import AlertsService
from services.alerts.settings import AlertsSettings
from services.common.logging import configure_logging
from services.storage.engine import make_engine, wait_for_database

log = structlog.get_logger(__name__)


def run_loop(service: AlertsService, interval: float, stop: threading.Event) -> None:
    while not stop.is_set():
        service.cycle()
        stop.wait(interval)


def main() -> None:
    settings = AlertsSettings()
    configure_logging(settings.log_level)
    rules = load_rules(settings.alerts_rules_path)
    check_metric_names(rule.metric for rule in rules)
    engine = make_engine(settings.database_url)
    wait_for_database(engine)
    publisher = SnapshotPublisher(settings.mqtt, settings.alerts_mqtt_username, settings.alerts_mqtt_password)
    service = AlertsService(engine, settings, rules, Alertmanager(settings.alertmanager_url, httpx.Client()),
                            publisher)
    stop = threading.Event()
    loop = threading.Thread(target=run_loop, args=(service, settings.alerts_interval_seconds, stop),
                            name="alerts-cycle", daemon=True)
    loop.start()
    log.info("alerts service started", rules=len(rules), port=settings.alerts_http_port)
    try:
        uvicorn.run(create_app(engine, city=settings.alerts_city), host=settings.alerts_http_host,
                    port=settings.alerts_http_port, log_config=None)
    finally:
        stop.set()
        loop.join()
        publisher.close()
        engine.dispose()
