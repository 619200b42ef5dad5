"""How a threaded service runs: the main thread owns SIGTERM/SIGINT, uvicorn serves on a worker thread.

On the main thread uvicorn would install its own handlers and re-raise SIGTERM after its shutdown,
killing the process before the service has flushed, acked and closed its connections.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

import structlog
import uvicorn

log = structlog.get_logger(__name__)


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT; the caller shuts down cleanly once it is set."""
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return stop


def http_server_thread(app: Any, *, host: str, port: int, name: str) -> tuple[uvicorn.Server, threading.Thread]:
    """A uvicorn server and the (not yet started) daemon thread that runs it."""
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False))
    return server, threading.Thread(target=server.run, name=name, daemon=True)
