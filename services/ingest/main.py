"""``envmon ingest``: run one replica until SIGTERM/SIGINT, then flush, ack and disconnect."""

from __future__ import annotations

from services.common.logging import configure_logging
from services.common.runtime import http_server_thread, stop_on_signals
from services.ingest.api import create_app
from services.ingest.service import IngestService
from services.ingest.settings import IngestSettings

# How often the main thread checks that the pipeline's threads are still there.
PIPELINE_WATCH_SECONDS = 1.0


def main() -> None:
    settings = IngestSettings()
    configure_logging(settings.log_level)
    service = IngestService(settings)
    app = create_app(service.health, service.pipeline.metrics.registry)
    server, http = http_server_thread(
        app, host=settings.ingest_http_host, port=settings.ingest_http_port, name="ingest-http"
    )
    stop = stop_on_signals()
    http.start()  # /healthz answers at once; /readyz only once the worker and the broker are ready
    service.start()
    while not stop.wait(PIPELINE_WATCH_SECONDS):
        if service.pipeline.failed.is_set():
            break
    service.stop()
    server.should_exit = True
    http.join()
    if service.pipeline.failed.is_set():
        # Crash-only: whatever was not committed was never acked, so the broker redelivers it to the restart.
        raise SystemExit(1)
