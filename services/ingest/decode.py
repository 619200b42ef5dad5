"""Payload → readings, rejects and replies: pure, given the message, a registry snapshot and the clock.

Whole-message checks (topic, size, station, gateway binding, JSON syntax, HJ 212 framing) reject the
message once; per-reading checks reject each bad reading on its own and keep the good ones.

Gateway–station binding: MQTT does not tell a subscriber who published. The broker ACL is the
authority (a gateway may publish only on its own stations' topics); on top of that the service
checks what the message itself carries: the HJ 212 MN must be bound to the topic's station, and
a JSON message's MQTT 5 user property ``gateway``, when present, must name a gateway bound to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
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
from services.ingest.values import Invalid
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


def _whole(reason: str, detail: str, station: str | None = None, gateway: str | None = None) -> Decoded:
    return Decoded(rejects=(Reject(reason, detail, station, gateway),))


def _split(items: list[Reading | Reject]) -> tuple[tuple[Reading, ...], tuple[Reject, ...]]:
    readings = tuple(item for item in items if isinstance(item, Reading))
    return readings, tuple(item for item in items if isinstance(item, Reject))


def rejects_payload(message: InboundMessage, stored: int, rejects: tuple[Reject, ...]) -> bytes:
    """The JSON a gateway receives on ``…/rejects``: what was refused and why, and how much was stored."""
    return json.dumps(
        {
            "topic": message.topic,
            "stored": stored,
            "rejects": [
                {
                    key: value
                    for key, value in (
                        ("reason", r.reason),
                        ("detail", r.detail),
                        ("index", r.index),
                        ("parameter", r.parameter),
                    )
                    if value is not None
                }
                for r in rejects
            ],
        },
        ensure_ascii=False,
    ).encode()


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
        raise Invalid(RejectReason.UNKNOWN_STATION, f"station {station!r} is not registered")
    if inbound.kind is topics.TopicKind.HJ212:
        return kind
    if inbound.kind.value != kind.value:
        raise Invalid(RejectReason.WRONG_TOPIC_KIND, f"{station} is a {kind} station, not {inbound.kind}")
    if message.gateway is not None and not registry.may_report(message.gateway, station):
        raise Invalid(RejectReason.GATEWAY_NOT_BOUND, f"gateway {message.gateway!r} may not report for {station}")
    return kind


def _json(message: InboundMessage, station: str, kind: Kind, now: datetime, limits: DecodeLimits) -> Decoded:
    context = JsonContext(station, kind, message.gateway, now, limits.max_future, limits.max_readings_per_message)
    try:
        readings, rejects = decode_document(load(message.payload), context)
    except Invalid as invalid:
        return _whole(invalid.reason, invalid.detail, station, message.gateway)
    return Decoded(tuple(readings), tuple(rejects))


def _hj212(
    message: InboundMessage, station: str, kind: Kind, registry: RegistrySnapshot, now: datetime, limits: DecodeLimits
) -> Decoded:
    try:
        frame = hj212.parse(message.payload, accept_modbus_crc=registry.accepts_modbus_crc(station))
    except hj212.FrameError as error:
        return _whole(frame_reason(error.reason), str(error), station)
    try:
        gateway = frame_gateway(frame, station, registry)
    except Invalid as invalid:
        return _whole(invalid.reason, invalid.detail, station)
    context = FrameContext(station, kind, now, limits.max_future)
    try:
        readings, rejects = _split(list(frame_readings(frame, gateway, context)))
    except Invalid as invalid:
        return _whole(invalid.reason, invalid.detail, station, gateway)
    replies: tuple[Publication, ...] = ()
    if frame.needs_reply:
        reply = hj212.build(hj212.data_reply(frame), crc_variant=frame.crc_variant)
        replies = (Publication(topics.hj212_reply_topic(station), reply),)
    return Decoded(readings, rejects, replies)


def decode(message: InboundMessage, registry: RegistrySnapshot, now: datetime, limits: DecodeLimits) -> Decoded:
    if is_platform_output(message.topic):
        return Decoded(skipped=True)
    inbound = parse_inbound(message.topic)
    if inbound is None:
        return _whole(RejectReason.UNKNOWN_TOPIC, f"not a gateway topic: {message.topic[:200]!r}")
    station, is_frame = inbound.station, inbound.kind is topics.TopicKind.HJ212
    try:
        kind = _station_kind(message, inbound, registry, limits)
    except Invalid as invalid:
        decoded = _whole(invalid.reason, invalid.detail, station, None if is_frame else message.gateway)
    else:
        decoded = (
            _hj212(message, station, kind, registry, now, limits)
            if is_frame
            else _json(message, station, kind, now, limits)
        )
    if is_frame or not decoded.rejects:
        return decoded
    # JSON gateways learn about every refusal on their rejects topic, with their correlation data.
    reply = Publication(
        topics.rejects_topic(station),
        rejects_payload(message, len(decoded.readings), decoded.rejects),
        message.correlation_data,
    )
    return replace(decoded, replies=(reply,))
