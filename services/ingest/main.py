"""``envmon ingest``: run one replica until SIGTERM/SIGINT, then flush, ack and disconnect."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import structlog
import uvicorn

from services.common.logging import configure_logging
from services.ingest.api import create_app
from services.ingest.service import IngestService
from services.ingest.settings import IngestSettings

log = structlog.get_logger(__name__)


def main() -> None:
    settings = IngestSettings()
    configure_logging(settings.log_level)
    service = IngestService(settings)
    app = create_app(service.health, service.pipeline.metrics.registry)
    # Uvicorn runs on a worker thread, so it installs no signal handlers; the main thread owns them.
    server = uvicorn.Server(uvicorn.Config(app, host=settings.ingest_http_host, port=settings.ingest_http_port,
                                           log_level="warning", access_log=False))
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    http = threading.Thread(target=server.run, name="ingest-http", daemon=True)
    service.start()
    http.start()
    stop.wait()
    service.stop()
    server.should_exit = True
    http.join()
