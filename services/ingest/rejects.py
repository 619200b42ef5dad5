"""What is said about refused input, bounded: the gateway's rejects reply and the ``rejected_messages`` rows.

One message can hold 10,000 reading sets and every value can be refused; neither the reply nor the
table may grow with that. A reply carries the count per reason and the first ``REPLY_DETAILS``
rejects, each detail cut to ``REPLY_DETAIL_CHARS`` (a few kilobytes at most, far below the broker's
2 MiB ``max_packet_size``, over which the broker would drop the connection). A message stores its
first ``ROWS_PER_MESSAGE`` rejects one row each; the rest become one row per reason whose
``occurrences`` keeps the count. Payloads are stored with secrets masked; text fields are cut to
their columns and cleaned of what PostgreSQL text cannot hold (NUL, lone surrogates).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime

from services.common import topics
from services.common.redaction import redact, redact_text
from services.ingest.messages import InboundMessage, Publication, Reject

REPLY_DETAILS = 20
REPLY_DETAIL_CHARS = 200
REPLY_TOPIC_CHARS = 256
ROWS_PER_MESSAGE = 50
ROW_DETAIL_CHARS = 2000
KEY_CHARS = 64  # station, gateway, parameter: varchar(64) columns and codes
# The first row of a message keeps its whole offending part; later rows keep this much of theirs.
LATER_ROW_PAYLOAD_BYTES = 65_536

RejectRow = tuple[datetime, str, str | None, str | None, str, str, bytes, int]


def clean(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, storable as PostgreSQL text and as UTF-8 JSON."""
    text = text[:limit]
    if text.isascii() and "\x00" not in text:
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _optional(text: str | None) -> str | None:
    return None if text is None else clean(text, KEY_CHARS)


def rejects_reply(message: InboundMessage, stored: int, rejects: Sequence[Reject]) -> Publication | None:
    """The JSON a gateway receives on ``…/rejects`` (None for HJ 212 frames and unknown topics)."""
    inbound = topics.parse_inbound(message.topic)
    if inbound is None or inbound.kind is topics.TopicKind.HJ212 or not rejects:
        return None
    listed = [
        {
            key: value
            for key, value in (
                ("reason", reject.reason),
                ("detail", clean(reject.detail, REPLY_DETAIL_CHARS)),
                ("index", reject.index),
                ("parameter", _optional(reject.parameter)),
            )
            if value is not None
        }
        for reject in rejects[:REPLY_DETAILS]
    ]
    body = {
        "topic": clean(message.topic, REPLY_TOPIC_CHARS),
        "stored": stored,
        "rejected": len(rejects),
        "reasons": dict(Counter(reject.reason for reject in rejects)),
        "rejects": listed,
    }
    return Publication(
        topics.rejects_topic(inbound.station), json.dumps(body, ensure_ascii=False).encode(), message.correlation_data
    )


def reject_rows(message: InboundMessage, rejects: Sequence[Reject]) -> Iterator[RejectRow]:
    """The ``rejected_messages`` rows of one message's rejects, at most ROWS_PER_MESSAGE + one per reason."""
    topic = clean(message.topic, ROW_DETAIL_CHARS)
    for position, reject in enumerate(rejects[:ROWS_PER_MESSAGE]):
        payload = reject.payload or message.payload
        yield (
            message.received_at,
            topic,
            _optional(reject.gateway),
            _optional(reject.station),
            reject.reason,
            redact_text(clean(reject.detail, ROW_DETAIL_CHARS)),
            redact(payload if position == 0 else payload[:LATER_ROW_PAYLOAD_BYTES]),
            1,
        )
    rest: dict[str, list[Reject]] = {}
    for reject in rejects[ROWS_PER_MESSAGE:]:
        rest.setdefault(reject.reason, []).append(reject)
    for reason, same in rest.items():
        first = same[0]
        yield (
            message.received_at,
            topic,
            _optional(first.gateway),
            _optional(first.station),
            reason,
            redact_text(
                clean(
                    f"{len(same)} more {reason} rejects in this message, stored as one row; the first: {first.detail}",
                    ROW_DETAIL_CHARS,
                )
            ),
            redact(message.payload[:LATER_ROW_PAYLOAD_BYTES]),
            len(same),
        )
