"""The asyncio TCP listener and everything it shares: registry, broker link, reject recorder, sessions."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from services.hj212_gateway.auth import DeviceRegistry
from services.hj212_gateway.commands import CommandCenter, station_gaps
from services.hj212_gateway.forwarder import Forwarder
from services.hj212_gateway.metrics import GatewayMetrics
from services.hj212_gateway.rejects import RejectRecorder
from services.hj212_gateway.session import GatewayContext, Session, SessionLimits
from services.hj212_gateway.settings import HJ212GatewaySettings

log = structlog.get_logger(__name__)

BROKER_FIRST_CONNECT_SECONDS = 10.0
# asyncio buffers up to twice this per connection before it stops reading the socket: with READ_CHUNK
# the most a connection holds in memory while its session waits (e.g. for room in the forward queue).
READ_LIMIT = 2**14


class GatewayServer:
    def __init__(self, settings: HJ212GatewaySettings, engine: Engine) -> None:
        self.settings = settings
        self.metrics = GatewayMetrics()
        self.registry = DeviceRegistry(engine, unknown_reload_seconds=settings.hj212_unknown_mn_reload.total_seconds())
        self.forwarder = Forwarder(
            settings.mqtt,
            client_id=settings.hj212_client_id,
            max_inflight=settings.hj212_max_inflight,
            max_queued=settings.hj212_max_queued,
            metrics=self.metrics,
        )
        self.recorder = RejectRecorder(engine, self.metrics)
        self.sessions: dict[str, Session] = {}
        self._connections: set[asyncio.Task[None]] = set()
        self._open_sessions: set[Session] = set()
        self.commands = CommandCenter(
            self.sessions,
            timeout=settings.hj212_command_timeout.total_seconds(),
            metrics=self.metrics,
            gaps=station_gaps(
                engine,
                self.registry,
                days=settings.hj212_backfill_days,
                grace=settings.hj212_backfill_grace,
                max_requests=settings.hj212_backfill_max_requests,
            ),
        )
        self._context = GatewayContext(
            limits=SessionLimits(
                max_data_length=settings.hj212_max_data_length,
                idle_timeout=settings.hj212_idle_timeout.total_seconds(),
                partial_frame_timeout=settings.hj212_partial_frame_timeout.total_seconds(),
                max_bad_frames=settings.hj212_max_bad_frames,
                reply_timeout=settings.hj212_reply_timeout.total_seconds(),
                pending_packet_groups=settings.hj212_pending_packet_groups,
            ),
            registry=self.registry,
            forwarder=self.forwarder,
            recorder=self.recorder,
            metrics=self.metrics,
            channels=self.sessions,
        )
        self._server: asyncio.Server | None = None
        self._background: list[asyncio.Task[None]] = []

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def listening(self) -> bool:
        return self._server is not None and self._server.is_serving()

    @property
    def healthy(self) -> bool:
        return self.listening and self.forwarder.connected

    async def start(self) -> None:
        await self.registry.reload()
        self.recorder.start()
        self.forwarder.start(asyncio.get_running_loop())
        if not await self.forwarder.wait_connected(BROKER_FIRST_CONNECT_SECONDS):
            log.warning("broker not reachable yet; frames wait for it and loggers get no reply meanwhile")
        self._server = await asyncio.start_server(
            self._accept,
            self.settings.hj212_tcp_host,
            self.settings.hj212_tcp_port,
            limit=READ_LIMIT,
            backlog=self.settings.hj212_listen_backlog,
        )
        self._background.append(asyncio.create_task(self._refresh_registry(), name="registry-refresh"))
        interval = self.settings.hj212_backfill_interval.total_seconds()
        if interval > 0:
            self._background.append(asyncio.create_task(self.commands.run_periodically(interval), name="backfill"))
        log.info("hj212 gateway listening", host=self.settings.hj212_tcp_host, port=self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in self._background:
            task.cancel()
        for task in self._background:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # Closing a session's socket ends its read loop; one waiting for a PUBACK finishes that first.
        for session in self._open_sessions:
            session.close()
        if self._connections:
            await asyncio.wait(self._connections, timeout=self.settings.hj212_reply_timeout.total_seconds())
        await self.recorder.stop()
        self.forwarder.stop()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(self._connections) >= self.settings.hj212_max_connections:
            self.metrics.connections_closed.labels("over_capacity").inc()
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None
        session = Session(reader, writer, self._context)
        self._connections.add(task)
        self._open_sessions.add(session)
        try:
            await session.run()
        finally:
            self._connections.discard(task)
            self._open_sessions.discard(session)

    async def _refresh_registry(self) -> None:
        while True:
            await asyncio.sleep(self.settings.hj212_registry_refresh.total_seconds())
            try:
                await self.registry.reload()
            except SQLAlchemyError as error:  # keep serving with the registry we have
                log.warning("registry reload failed", error=str(error))
