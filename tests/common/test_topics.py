"""The topic contract: what the ingest service takes in, and what it skips as its own output."""

from __future__ import annotations

import pytest

from services.common import topics
from services.common.topics import InboundTopic, TopicKind


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("envmon/v1/PYJ-JINHUA/water", InboundTopic("PYJ-JINHUA", TopicKind.WATER)),
        ("envmon/v1/AIR-KEQIAO/air", InboundTopic("AIR-KEQIAO", TopicKind.AIR)),
        ("envmon/v1/WST-LANDFILL/waste", InboundTopic("WST-LANDFILL", TopicKind.WASTE)),
        ("envmon/v1/PYJ-JINHUA/hj212", InboundTopic("PYJ-JINHUA", TopicKind.HJ212)),
        ("envmon/v1/PYJ-JINHUA/noise", None),
        ("envmon/v2/PYJ-JINHUA/water", None),
        ("envmon/v1/PYJ-JINHUA/water/extra", None),
        ("envmon/v1/alerts/water", None),
        ("envmon/v1/PYJ-JINHUA/hj212/reply", None),
    ],
)
def test_parse_inbound(topic: str, expected: InboundTopic | None) -> None:
    assert topics.parse_inbound(topic) == expected


@pytest.mark.parametrize(
    ("topic", "own_output"),
    [
        (topics.rejects_topic("PYJ-JINHUA"), True),
        (topics.hj212_reply_topic("PYJ-JINHUA"), True),
        (topics.alerts_topic("critical"), True),
        (topics.data_topic("PYJ-JINHUA", "water"), False),
        (topics.hj212_topic("PYJ-JINHUA"), False),
    ],
)
def test_platform_outputs_are_recognised(topic: str, own_output: bool) -> None:
    assert topics.is_platform_output(topic) is own_output
