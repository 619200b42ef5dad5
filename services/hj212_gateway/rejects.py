"""Records refused input in ``rejected_messages`` from a background task, in batches.

Sessions never wait for the database: a reject goes on a bounded queue, and when the queue is full
(a flood of garbage while the database is slow) it is counted as dropped instead of stalling loggers.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from enum import StrEnum

import structlog
from sqlalchemy import Engine, insert
from sqlalchemy.exc import SQLAlchemyError

from services.hj212_gateway.metrics import GatewayMetrics
from services.storage.schema import rejected_messages

log = structlog.get_logger(__name__)

QUEUE_LIMIT = 10_000
BATCH_LIMIT = 500
RETRY_SECONDS = 1.0
MAX_PAYLOAD_BYTES = 16_384  # what one reject keeps of the raw bytes; a frame is at most ~10 kB anyway


class GatewayRejectReason(StrEnum):
    """Reasons the gateway records; frame errors are ``hj212_frame:<codec reason>`` like the ingest service."""

    FRAME = "hj212_frame"
    MODBUS_CRC_NOT_ALLOWED = "hj212_frame:crc"
    UNSUPPORTED_COMMAND = "hj212_unsupported_command"
    BROKER_REFUSED = "hj212_broker_refused"
    PACKET_GROUP_DROPPED = "hj212_packet_group_dropped"
    REPACK_FAILED = "hj212_repack_failed"


@dataclass(frozen=True, slots=True)
class RejectRecord:
    topic: str
    reason: str
    detail: str
    payload: bytes
    gateway: str | None = None
    station: str | None = None


class RejectRecorder:
    def __init__(self, engine: Engine, metrics: GatewayMetrics) -> None:
        self._engine = engine
        self._metrics = metrics
        self._queue: asyncio.Queue[RejectRecord] = asyncio.Queue(QUEUE_LIMIT)
        self._task: asyncio.Task[None] | None = None

    def record(self, reject: RejectRecord) -> None:
        self._metrics.rejects.labels(reject.reason).inc()
        log.info(
            "hj212 input rejected",
            topic=reject.topic,
            reason=reject.reason,
            detail=reject.detail[:200],
            gateway=reject.gateway,
            station=reject.station,
        )
        try:
            self._queue.put_nowait(reject)
        except asyncio.QueueFull:
            self._metrics.rejects_dropped.inc()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="reject-recorder")

    async def stop(self) -> None:
        """Write what is queued, then stop."""
        if self._task is None:
            return
        await self._drain()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _drain(self) -> None:
        while not self._queue.empty():
            await self._write(self._take_batch())

    def _take_batch(self) -> list[RejectRecord]:
        batch: list[RejectRecord] = []
        while not self._queue.empty() and len(batch) < BATCH_LIMIT:
            batch.append(self._queue.get_nowait())
        return batch

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            await self._write([first, *self._take_batch()])

    async def _write(self, batch: list[RejectRecord]) -> None:
        rows = [
            {
                "topic": r.topic,
                "gateway": r.gateway,
                "station": r.station,
                "reason": r.reason,
                "detail": r.detail,
                "payload": r.payload[:MAX_PAYLOAD_BYTES],
            }
            for r in batch
        ]
        while True:
            try:
                await asyncio.to_thread(self._insert, rows)
                return
            except SQLAlchemyError as error:
                log.warning("could not record rejects; retrying", error=str(error), rejects=len(rows))
                await asyncio.sleep(RETRY_SECONDS)

    def _insert(self, rows: list[dict[str, str | bytes | None]]) -> None:
        with self._engine.begin() as connection:
            connection.execute(insert(rejected_messages), rows)
