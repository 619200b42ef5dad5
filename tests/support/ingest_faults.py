"""Fault injection for the ingest worker: a worker entry point whose decode kills or hangs the process
when a message carries a marker. The pipeline forks workers from its fork server, which imports this
module by name in the new process only; the service under test is otherwise the real one."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from services.ingest import worker
from services.ingest.messages import Decoded, InboundMessage
from services.ingest.registry import RegistrySnapshot

KILL_WORKER = b"fault-injection:kill-worker"
STALL_WORKER = b"fault-injection:stall-worker"
STALL_SECONDS = 3600.0


def serve_with_faults(*args: Any) -> None:
    """services.ingest.worker.serve, with SIGKILL or an endless decode for marked messages."""
    decode = worker.Worker._decode_with

    def faulty(self: worker.Worker, message: InboundMessage, snapshot: RegistrySnapshot) -> Decoded:
        if KILL_WORKER in message.payload or STALL_WORKER in message.payload:
            self._progress.decoding(message.seq)  # as the real decode marks it
        if KILL_WORKER in message.payload:
            os.kill(os.getpid(), signal.SIGKILL)
        if STALL_WORKER in message.payload:
            time.sleep(STALL_SECONDS)
        return decode(self, message, snapshot)

    worker.Worker._decode_with = faulty  # type: ignore[method-assign]  # in this process only
    worker.serve(*args)
