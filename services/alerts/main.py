"""``envmon alerts``: the compute loop and the HTTP API (uvicorn) on worker threads until SIGTERM/SIGINT.

The main thread owns the signal handlers (uvicorn on a worker thread installs none, and on the main
thread it would re-raise SIGTERM after its own shutdown, killing the process before the cycle
thread, MQTT client and database pool are closed): a signal stops the HTTP server, lets a running
cycle finish, then closes everything and returns, so the process exits with status 0.
"""

from __future__ import annotations

import threading

import httpx
import structlog

from services.alerts.api import create_app
from services.alerts.rules.alertmanager import Alertmanager
from services.alerts.rules.definitions import load_rules
from services.alerts.rules.metrics import check_metric_names
from services.alerts.rules.mqtt_snapshots import SnapshotPublisher
from services.alerts.service import AlertsService
from services.alerts.settings import AlertsSettings
from services.common.logging import configure_logging
from services.common.runtime import http_server_thread, stop_on_signals
from services.storage.engine import make_engine, wait_for_database

log = structlog.get_logger(__name__)

# How often the main thread checks that the HTTP server is still up (it dies e.g. when its port is taken).
HTTP_WATCH_SECONDS = 1.0


def run_loop(service: AlertsService, interval: float, stop: threading.Event) -> None:
    while not stop.is_set():
        service.cycle()
        stop.wait(interval)


def main() -> None:
    settings = AlertsSettings()
    configure_logging(settings.log_level)
    book = load_rules(settings.alerts_rules_path)
    check_metric_names(rule.metric for rule in book.rules)
    engine = make_engine(settings.database_url)
    wait_for_database(engine)
    publisher = SnapshotPublisher(settings.mqtt)
    service = AlertsService(engine, settings, book, Alertmanager(settings.alertmanager_url, httpx.Client()), publisher)
    log.info("water periods on another class basis queued", days=service.restate_water_classes())
    stop = stop_on_signals()
    server, http = http_server_thread(
        create_app(engine, settings, metrics_registry=service.metrics.registry, rule_book=book, clock=service.clock),
        host=settings.alerts_http_host,
        port=settings.alerts_http_port,
        name="alerts-http",
    )
    cycles = threading.Thread(
        target=run_loop, args=(service, settings.alerts_interval_seconds, stop), name="alerts-cycle", daemon=True
    )
    http.start()
    cycles.start()
    log.info("alerts service started", rules=len(book.rules), port=settings.alerts_http_port)
    http_failed = False
    while not stop.wait(HTTP_WATCH_SECONDS):
        if not http.is_alive():
            log.error("alerts HTTP server stopped; shutting down", port=settings.alerts_http_port)
            http_failed = True
            stop.set()
    server.should_exit = True
    http.join()
    cycles.join()
    publisher.close()
    engine.dispose()
    if http_failed:
        raise SystemExit(1)
