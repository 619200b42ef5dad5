"""Prometheus metrics of the gateway, in a registry of its own (several gateways may share a process in tests)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REPLY_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.connections = Gauge("envmon_hj212_open_connections", "Open logger connections", registry=self.registry)
        self.connections_total = Counter(
            "envmon_hj212_connections_accepted", "Logger connections accepted", registry=self.registry
        )
        self.connections_closed = Counter(
            "envmon_hj212_connections_closed",
            "Logger connections closed, by cause",
            ["cause"],
            registry=self.registry,
        )
        self.frames = Counter("envmon_hj212_frames", "Valid frames received, by CN", ["cn"], registry=self.registry)
        self.forwarded = Counter(
            "envmon_hj212_forwarded", "Frames the broker accepted (PUBACK)", registry=self.registry
        )
        self.rejects = Counter("envmon_hj212_rejects", "Rejected input, by reason", ["reason"], registry=self.registry)
        self.rejects_dropped = Counter(
            "envmon_hj212_rejects_dropped", "Rejects not recorded because the queue was full", registry=self.registry
        )
        self.modbus_crc = Counter(
            "envmon_hj212_modbus_crc", "Frames accepted with a MODBUS CRC", ["mn"], registry=self.registry
        )
        self.reply_latency = Histogram(
            "envmon_hj212_reply_latency_seconds",
            "From a data frame's arrival to its reply (after PUBACK)",
            buckets=REPLY_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.reply_timeouts = Counter(
            "envmon_hj212_reply_timeouts", "Frames left unanswered: no PUBACK in time", registry=self.registry
        )
        self.forward_queue = Gauge(
            "envmon_hj212_forward_queue",
            "Frames handed to the broker client and not yet answered (PUBACK); at most ENVMON_HJ212_MAX_QUEUED",
            registry=self.registry,
        )
        self.forward_waits = Counter(
            "envmon_hj212_forward_waits",
            "Frames that waited for room in the full forward queue (their logger was not read meanwhile)",
            registry=self.registry,
        )
        self.mqtt_connected = Gauge(
            "envmon_hj212_mqtt_connected", "1 while the broker connection is up", registry=self.registry
        )
        self.commands = Counter(
            "envmon_hj212_commands",
            "Platform commands sent to loggers, by CN and outcome",
            ["cn", "outcome"],
            registry=self.registry,
        )
