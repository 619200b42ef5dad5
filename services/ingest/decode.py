"""Payload → readings, rejects and replies: pure, given the message, a registry snapshot and the clock.

Whole-message checks (topic, size, station, gateway binding, JSON syntax, HJ 212 framing) reject the
message once; per-reading checks reject each bad reading on its own and keep the good ones.

Gateway–station binding: MQTT does not tell a subscriber who published. The broker ACL is the
authority (a gateway may publish only on its own stations' topics); on top of that the service
checks what the message itself carries: the HJ 212 MN must be bound to the topic's station, and
a JSON message's MQTT 5 user property ``gateway``, when present, must name a gateway bound to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from services.common import topics
from services.ingest.decode_hj212 import FrameContext, frame_gateway, frame_readings
from services.ingest.decode_json import JsonContext, decode_document, load
from services.ingest.messages import (
    Decoded,
    InboundMessage,
    Publication,
    Reading,
    Reject,
    RejectReason,
    frame_reason,
)
from services.ingest.registry import RegistrySnapshot
from services.ingest.values import Invalid, brief
from services.standards import hj212
from services.standards.parameters import Kind

# Reasons that may come from a stale registry snapshot; the pipeline reloads it and decodes again.
REGISTRY_REASONS = frozenset(
    {
        RejectReason.UNKNOWN_STATION,
        RejectReason.GATEWAY_NOT_BOUND,
        RejectReason.WRONG_TOPIC_KIND,
        RejectReason.HJ212_UNKNOWN_MN,
        RejectReason.HJ212_MN_STATION_MISMATCH,
        RejectReason.HJ212_NO_PASSWORD,
        RejectReason.HJ212_BAD_PASSWORD,
    }
)


# Topics are parsed once each (gateways publish on a few fixed topics), up to this many remembered.
TOPICS_CACHED = 4096
is_platform_output = lru_cache(maxsize=TOPICS_CACHED)(topics.is_platform_output)
parse_inbound = lru_cache(maxsize=TOPICS_CACHED)(topics.parse_inbound)


@dataclass(frozen=True, slots=True)
class DecodeLimits:
    max_payload_bytes: int
    max_readings_per_message: int
    max_future: timedelta
    earliest: datetime  # for stations without a commissioning date


def whole(reason: str, detail: str, station: str | None = None, gateway: str | None = None) -> Decoded:
    """The message refused as a whole."""
    return Decoded(rejects=(Reject(reason, detail, station, gateway),))


def refused(message: InboundMessage, reason: str, detail: str) -> Decoded:
    """``message`` refused as a whole after decoding (by the database, a bug, or as poison)."""
    inbound = parse_inbound(message.topic)
    station = None if inbound is None else inbound.station
    gateway = None if inbound is None or inbound.kind is topics.TopicKind.HJ212 else message.gateway
    return whole(reason, detail, station, gateway)


def _split(items: list[Reading | Reject]) -> tuple[tuple[Reading, ...], tuple[Reject, ...]]:
    readings = tuple(item for item in items if isinstance(item, Reading))
    return readings, tuple(item for item in items if isinstance(item, Reject))


def _station_kind(
    message: InboundMessage, inbound: topics.InboundTopic, registry: RegistrySnapshot, limits: DecodeLimits
) -> Kind:
    """The station's kind once the message passed the whole-message checks; raises Invalid otherwise."""
    station = inbound.station
    if len(message.payload) > limits.max_payload_bytes:
        raise Invalid(
            RejectReason.PAYLOAD_TOO_LARGE, f"{len(message.payload)} bytes; at most {limits.max_payload_bytes}"
        )
    kind = registry.station_kinds.get(station)
    if kind is None:
        raise Invalid(RejectReason.UNKNOWN_STATION, f"station {brief(station)} is not registered")
    if inbound.kind is topics.TopicKind.HJ212:
        return kind
    if inbound.kind.value != kind.value:
        raise Invalid(RejectReason.WRONG_TOPIC_KIND, f"{station} is a {kind} station, not {inbound.kind}")
    if message.gateway is not None and not registry.may_report(message.gateway, station):
        raise Invalid(
            RejectReason.GATEWAY_NOT_BOUND, f"gateway {brief(message.gateway)} may not report for {brief(station)}"
        )
    return kind


def _json(
    message: InboundMessage, station: str, kind: Kind, registry: RegistrySnapshot, now: datetime, limits: DecodeLimits
) -> Decoded:
    context = JsonContext(
        station,
        kind,
        message.gateway,
        now,
        registry.earliest(station, limits.earliest),
        limits.max_future,
        limits.max_readings_per_message,
    )
    try:
        readings, rejects, corrections = decode_document(load(message.payload), context)
    except Invalid as invalid:
        return whole(invalid.reason, invalid.detail, station, message.gateway)
    return Decoded(tuple(readings), tuple(rejects), corrections=tuple(corrections))


def _hj212(
    message: InboundMessage, station: str, kind: Kind, registry: RegistrySnapshot, now: datetime, limits: DecodeLimits
) -> Decoded:
    try:
        frame = hj212.parse(message.payload, accept_modbus_crc=registry.accepts_modbus_crc(station))
    except hj212.FrameError as error:
        return whole(frame_reason(error.reason), str(error), station)
    try:
        gateway = frame_gateway(frame, station, registry)
    except Invalid as invalid:
        return whole(invalid.reason, invalid.detail, station)
    context = FrameContext(station, kind, now, registry.earliest(station, limits.earliest), limits.max_future)
    try:
        readings, rejects = _split(list(frame_readings(frame, gateway, context)))
    except Invalid as invalid:
        return whole(invalid.reason, invalid.detail, station, gateway)
    replies: tuple[Publication, ...] = ()
    if frame.needs_reply:
        reply = hj212.build(hj212.data_reply(frame), crc_variant=frame.crc_variant)
        replies = (Publication(topics.hj212_reply_topic(station), reply),)
    return Decoded(readings, rejects, replies)


def decode(message: InboundMessage, registry: RegistrySnapshot, now: datetime, limits: DecodeLimits) -> Decoded:
    """Readings, rejects and HJ 212 replies of one message. (JSON gateways' rejects replies are made
    once the message is committed, services.ingest.rejects, since the commit may find more rejects.)"""
    if is_platform_output(message.topic):
        return Decoded(skipped=True)
    inbound = parse_inbound(message.topic)
    if inbound is None:
        return whole(RejectReason.UNKNOWN_TOPIC, f"not a gateway topic: {brief(message.topic)}")
    station, is_frame = inbound.station, inbound.kind is topics.TopicKind.HJ212
    try:
        kind = _station_kind(message, inbound, registry, limits)
    except Invalid as invalid:
        return whole(invalid.reason, invalid.detail, station, None if is_frame else message.gateway)
    if is_frame:
        return _hj212(message, station, kind, registry, now, limits)
    return _json(message, station, kind, registry, now, limits)
