"""The MQTT topic contract, in one place for gateways, services and simulators.

- ``envmon/v1/{station}/{kind}``: JSON readings, kind = water | air | waste
- ``envmon/v1/{station}/hj212``: one HJ 212 frame
- ``envmon/v1/{station}/hj212/reply``: the platform's HJ 212 reply
- ``envmon/v1/{station}/rejects``: why a JSON message was rejected
- ``envmon/v1/alerts/{severity}``: retained latest alert states, for control-room displays
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

ROOT = "envmon/v1"
HJ212 = "hj212"
HJ212_REPLY = "hj212/reply"
REJECTS = "rejects"
ALERTS = "alerts"
INGEST_SHARE_GROUP = "ingest"
INGEST_SUBSCRIPTION = f"$share/{INGEST_SHARE_GROUP}/{ROOT}/#"


class TopicKind(StrEnum):
    WATER = "water"
    AIR = "air"
    WASTE = "waste"
    HJ212 = HJ212


def data_topic(station: str, kind: str) -> str:
    return f"{ROOT}/{station}/{kind}"


def hj212_topic(station: str) -> str:
    return f"{ROOT}/{station}/{HJ212}"


def hj212_reply_topic(station: str) -> str:
    return f"{ROOT}/{station}/{HJ212_REPLY}"


def rejects_topic(station: str) -> str:
    return f"{ROOT}/{station}/{REJECTS}"


def alerts_topic(severity: str) -> str:
    return f"{ROOT}/{ALERTS}/{severity}"


@dataclass(frozen=True, slots=True)
class InboundTopic:
    """A topic a gateway publishes on: ``envmon/v1/{station}/{kind}``."""

    station: str
    kind: TopicKind


def parse_inbound(topic: str) -> InboundTopic | None:
    """The station and kind of a gateway topic, or None for anything else (incl. our own outputs)."""
    parts = topic.split("/")
    if len(parts) != 4 or f"{parts[0]}/{parts[1]}" != ROOT or parts[2] == ALERTS:
        return None
    try:
        return InboundTopic(parts[2], TopicKind(parts[3]))
    except ValueError:
        return None


def is_platform_output(topic: str) -> bool:
    """Topics the platform itself publishes; the ingest service skips them."""
    parts = topic.split("/")
    return (
        topic.startswith(f"{ROOT}/{ALERTS}/") or topic.endswith(f"/{REJECTS}") or topic.endswith(f"/{HJ212_REPLY}")
    ) and len(parts) >= 4
