"""``envmon hj212-gateway``: the TCP listener for data loggers plus its HTTP side, until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator

import structlog
import uvicorn

from services.common.logging import configure_logging
from services.hj212_gateway.api import create_app
from services.hj212_gateway.server import GatewayServer
from services.hj212_gateway.settings import HJ212GatewaySettings
from services.storage.engine import make_engine, wait_for_database

log = structlog.get_logger(__name__)


class _HttpServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the gateway handles SIGTERM/SIGINT itself and stops the HTTP side in order


async def run(settings: HJ212GatewaySettings) -> None:
    engine = make_engine(settings.database_url)
    await asyncio.to_thread(wait_for_database, engine)
    gateway = GatewayServer(settings, engine)
    await gateway.start()
    http = _HttpServer(
        uvicorn.Config(
            create_app(gateway),
            host=settings.hj212_http_host,
            port=settings.hj212_http_port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    http_task = asyncio.create_task(http.serve(), name="http")
    await stop.wait()
    log.info("hj212 gateway stopping")
    http.should_exit = True
    await http_task
    await gateway.stop()
    engine.dispose()


def main() -> None:
    settings = HJ212GatewaySettings()
    configure_logging(settings.log_level)
    asyncio.run(run(settings))
