"""``envmon simulate``: gateway simulators for the registry's stations (see docs/simulators.md)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

import typer

from services.common.logging import configure_logging
from services.compensation.agreements import load_agreement_files
from services.standards.local_time import local_date
from simulators.faults import Faults, OfflineWindow
from simulators.history import FIRST_DAY, Backfill, default_backfill
from simulators.messages import Format, Message, hj212_only
from simulators.plan import CrcChoice, PlanConfig, plan
from simulators.runner import Segment, SendReport, realtime, replay, send_all, utc_now
from simulators.settings import SimulatorSettings
from simulators.stations import GatewaySpec, load_gateways, only_stations, select_gateways
from simulators.transports import MqttTransport, TcpTransport, Transport, wait_for_ready

simulate_app = typer.Typer(
    help="Gateway simulators: realistic readings over MQTT (or HJ 212 over TCP).", no_args_is_help=True
)


class TransportKind(StrEnum):
    MQTT = "mqtt"
    TCP = "tcp"


@dataclass
class _Run:
    settings: SimulatorSettings
    config: PlanConfig
    gateways: tuple[GatewaySpec, ...]
    transport_kind: TransportKind

    def transport(self) -> Transport:
        if self.transport_kind is TransportKind.TCP:
            return TcpTransport(
                self.settings.hj212_host,
                self.settings.hj212_tcp_port,
                self.gateways,
                crc=self.config.crc,
                seed=self.config.seed,
            )
        return MqttTransport(self.settings.mqtt, self.gateways)


def _data_loggers(gateways: tuple[GatewaySpec, ...]) -> tuple[GatewaySpec, ...]:
    """Over TCP only stations with an HJ 212 identity (MN, gateway PW) can be played as data loggers."""
    loggers = hj212_only(gateways)
    if not loggers:
        raise typer.BadParameter(
            "--transport tcp needs stations with an HJ 212 MN in the registry (e.g. --station gw-pyj-jinhua)"
        )
    return loggers


def _window(option: str, spec: str, now: datetime, *, resend: bool) -> OfflineWindow:
    """``GATEWAY:HOURS_AGO:HOURS``: the window began HOURS_AGO hours ago and lasts HOURS hours."""
    try:
        gateway, ago, hours = spec.split(":")
        start = now - timedelta(hours=float(ago))
        return OfflineWindow(gateway, start, start + timedelta(hours=float(hours)), resend=resend)
    except ValueError:
        raise typer.BadParameter(f"{option} takes GATEWAY:HOURS_AGO:HOURS, got {spec!r}") from None


@simulate_app.callback()
def options(
    context: typer.Context,
    station: Annotated[list[str] | None, typer.Option(help="Gateway id or station code (repeatable).")] = None,
    format_: Annotated[Format | None, typer.Option("--format", help="json or hj212 (ENVMON_SIMULATE_FORMAT).")] = None,
    crc: Annotated[CrcChoice | None, typer.Option(help="HJ 212 CRC: standard, modbus, or registry.")] = None,
    transport: Annotated[
        TransportKind,
        typer.Option(help="mqtt, or tcp: play the stations' HJ 212 data loggers against the TCP gateway."),
    ] = TransportKind.MQTT,
    tcp_host: Annotated[str | None, typer.Option(help="HJ 212 gateway host (ENVMON_HJ212_HOST).")] = None,
    tcp_port: Annotated[int | None, typer.Option(help="HJ 212 gateway TCP port (ENVMON_HJ212_TCP_PORT).")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed; same seed, same values (ENVMON_SIMULATE_SEED).")] = None,
    over_range: Annotated[float, typer.Option(help="Share of values flagged T (over range).")] = 0.0,
    fault: Annotated[float, typer.Option(help="Share of values flagged D (instrument fault).")] = 0.0,
    duplicates: Annotated[float, typer.Option(help="Share of messages sent twice.")] = 0.0,
    late: Annotated[float, typer.Option(help="Share of messages sent late.")] = 0.0,
    late_hours: Annotated[float, typer.Option(help="How late a late message is.")] = 6.0,
    malformed: Annotated[float, typer.Option(help="Share of messages garbled.")] = 0.0,
    offline: Annotated[list[str] | None, typer.Option(help="GATEWAY:HOURS_AGO:HOURS offline, then catch up.")] = None,
    gap: Annotated[
        list[str] | None, typer.Option(help="GATEWAY:HOURS_AGO:HOURS of readings lost, never sent (a gap).")
    ] = None,
    wait_for: Annotated[
        list[str] | None, typer.Option(help="URL that must answer 200 first (e.g. ingest /readyz).")
    ] = None,
) -> None:
    settings = SimulatorSettings()
    settings = settings.model_copy(
        update={"hj212_host": tcp_host or settings.hj212_host, "hj212_tcp_port": tcp_port or settings.hj212_tcp_port}
    )
    configure_logging(settings.log_level)
    for url in wait_for or []:
        wait_for_ready(url)
    now = utc_now()
    faults = Faults(
        over_range_rate=over_range,
        fault_rate=fault,
        duplicate_rate=duplicates,
        late_rate=late,
        late_by=timedelta(hours=late_hours),
        malformed_rate=malformed,
        offline=(
            *(_window("--offline", spec, now, resend=True) for spec in offline or []),
            *(_window("--gap", spec, now, resend=False) for spec in gap or []),
        ),
    )
    gateways = select_gateways(load_gateways(), station or [])
    chosen_format = format_ or settings.simulate_format
    if transport is TransportKind.TCP:
        if format_ is Format.JSON:
            raise typer.BadParameter("--transport tcp sends HJ 212 frames; drop --format json")
        chosen_format, gateways = Format.HJ212, _data_loggers(gateways)
    config = PlanConfig(
        seed=settings.simulate_seed if seed is None else seed,
        format=chosen_format,
        crc=crc or settings.simulate_crc,
        faults=faults,
    )
    context.obj = _Run(settings, config, gateways, transport)


def _report(report: SendReport, held: Sequence[Message] = ()) -> None:
    typer.echo(
        f"sent {report.messages} messages ({report.readings} readings) in {report.seconds:.1f} s "
        f"({report.messages_per_second:.0f} messages/s)"
    )
    if held:
        typer.echo(f"held back {len(held)} messages not due yet (an offline gateway's catch-up, late readings)")


def _live(run: _Run, since: datetime, held: Sequence[Message] = ()) -> None:
    stop = threading.Event()
    for received in (signal.SIGTERM, signal.SIGINT):
        signal.signal(received, lambda *_: stop.set())
    transport = run.transport()
    try:
        sent = realtime(run.config, run.gateways, transport, stop, since=since, held=held)
    finally:
        transport.close()
    typer.echo(f"stopped after {sent} real-time messages")


@simulate_app.command("replay")
def replay_command(
    context: typer.Context,
    start: Annotated[datetime, typer.Option(help="Period start (ISO 8601 with offset, e.g. 2025-01-01T00:00+08:00).")],
    end: Annotated[datetime, typer.Option(help="Period end (exclusive).")],
) -> None:
    """Backfill a past period as fast as the broker takes it, in JSON batches."""
    run: _Run = context.obj
    if start.utcoffset() is None or end.utcoffset() is None:
        raise typer.BadParameter("give --start and --end with a UTC offset, e.g. +08:00")
    transport = run.transport()
    try:
        report, held = replay(_batched(run.config), [Segment(run.gateways, start, end)], transport)
    finally:
        transport.close()
    _report(report, held)


def _batched(config: PlanConfig) -> PlanConfig:
    # HJ 212 loggers resend history frame by frame; JSON gateways use the batch form.
    return replace(config, batch=True)


@simulate_app.command("live")
def live_command(context: typer.Context) -> None:
    """Send each station's readings as their slots come due, until stopped (SIGTERM/SIGINT)."""
    _live(context.obj, utc_now())


@simulate_app.command("backfill")
def backfill_command(
    context: typer.Context,
    since: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="First local day (Beijing time) to send, e.g. 2025-01-01 (ENVMON_SIMULATE_BACKFILL_SINCE); default "
            "1 January of the previous year, and the year before for the sections of agreements that compare with it.",
        ),
    ] = None,
    then_live: Annotated[bool, typer.Option(help="Continue in real time after the backfill.")] = False,
) -> None:
    """Backfill from SINCE until now as fast as the broker takes it; with --then-live, keep running in real time."""
    run: _Run = context.obj
    now = utc_now()
    chosen = since.date() if since is not None else run.settings.simulate_backfill_since
    backfill = default_backfill(now, load_agreement_files()) if chosen is None else Backfill(chosen)
    if not FIRST_DAY <= backfill.since < local_date(now):
        raise typer.BadParameter(
            f"--since {backfill.since} must be from {FIRST_DAY} and before today ({local_date(now)}, Beijing time)"
        )
    earlier = only_stations(run.gateways, backfill.earlier_stations)
    segments = [Segment(earlier, backfill.earlier_start, backfill.start)] if earlier else []
    segments.append(Segment(run.gateways, backfill.start, now))
    transport = run.transport()
    try:
        report, held = replay(_batched(run.config), segments, transport)
    finally:
        transport.close()
    _report(report, held)
    if then_live:
        _live(run, now, held)


@simulate_app.command("load")
def load_command(
    context: typer.Context,
    days: Annotated[int, typer.Option(help="Days of single-sample messages to send, as fast as possible.")] = 30,
) -> None:
    """Load mode for benchmarks: one message per sample (no batching) for DAYS days, as fast as possible."""
    run: _Run = context.obj
    end = utc_now().replace(minute=0, second=0, microsecond=0)
    messages = plan(run.config, run.gateways, end - timedelta(days=days), end)
    transport = run.transport()
    try:
        _report(send_all(messages, transport))
    finally:
        transport.close()
