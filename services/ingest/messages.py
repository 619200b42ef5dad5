"""The values that flow through the ingest pipeline: frozen, slotted, no behaviour.

Inbound message → (decode) → :class:`Decoded` (readings, rejects, replies) → (writer) → acked.
The worker process reports each commit as a :class:`BatchOutcome` and its database state as a
:class:`DatabaseState` (services.ingest.worker).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from services.storage.schema import Source


class RejectReason(StrEnum):
    """Why a message or one reading was refused; stored in rejected_messages.reason.

    A malformed HJ 212 frame is rejected as ``hj212_`` + the codec's reason (:func:`frame_reason`).
    """

    PAYLOAD_TOO_LARGE = "payload_too_large"
    MALFORMED_JSON = "malformed_json"
    TOO_DEEP = "too_deep"
    BAD_SHAPE = "bad_shape"
    TOO_MANY_READINGS = "too_many_readings"
    TOO_MANY_VALUES = "too_many_values"
    UNKNOWN_TOPIC = "unknown_topic"
    UNKNOWN_STATION = "unknown_station"
    WRONG_TOPIC_KIND = "wrong_topic_kind"
    GATEWAY_NOT_BOUND = "gateway_not_bound"
    BAD_TIME = "bad_time"
    TIME_WITHOUT_OFFSET = "time_without_offset"
    TIME_IN_FUTURE = "time_in_future"
    TIME_TOO_EARLY = "time_too_early"
    UNKNOWN_PARAMETER = "unknown_parameter"
    WRONG_KIND_PARAMETER = "wrong_kind_parameter"
    NOT_NUMERIC = "not_numeric"
    NOT_FINITE = "not_finite"
    NOT_REPRESENTABLE = "not_representable"
    TOO_MANY_DIGITS = "too_many_digits"
    OUT_OF_RANGE = "out_of_range"
    BAD_FLAG = "bad_flag"
    BAD_CORRECTION = "bad_correction"
    # A reading already stored with a different value or flag; the stored one is kept (services.ingest.conflicts).
    CONFLICTING_DUPLICATE = "conflicting_duplicate"
    MISSING_VALUE = "missing_value"
    MIN_AVG_MAX_ORDER = "min_avg_max_order"
    HJ212_UNKNOWN_MN = "hj212_unknown_mn"
    HJ212_MN_STATION_MISMATCH = "hj212_mn_station_mismatch"
    HJ212_NO_PASSWORD = "hj212_no_password"
    HJ212_BAD_PASSWORD = "hj212_bad_password"
    # Not checked: a wrong PW for the MN moments ago holds back new checks (services.common.credentials).
    HJ212_PASSWORD_THROTTLED = "hj212_password_throttled"
    HJ212_UNSUPPORTED_COMMAND = "hj212_unsupported_command"
    # found while committing, or by the worker's supervision (services.ingest.committer, .suspects)
    DATABASE_REFUSED = "database_refused"
    INTERNAL_ERROR = "internal_error"
    POISON = "poison"


@dataclass(frozen=True, slots=True, eq=False)
class InboundMessage:
    """One MQTT PUBLISH as received; ``seq`` numbers the replica's messages in receive order, and
    ``generation`` is the broker connection it arrived on."""

    seq: int
    mid: int
    qos: int
    topic: str
    payload: bytes
    received_at: datetime
    generation: int
    correlation_data: bytes | None = None
    gateway: str | None = None  # the MQTT 5 user property "gateway", when the gateway sends one


class Reading(NamedTuple):
    """One value to store. A named tuple rather than a frozen dataclass: a backlog drain builds
    hundreds of thousands per second, and a tuple is built several times faster (and as immutable)."""

    station: str
    parameter: str
    time: datetime
    value: Decimal
    flag: str
    source: Source
    gateway: str | None


class Correction(NamedTuple):
    """A reading its gateway sent as a correction, with the reason it gave: it replaces a stored one (audited)."""

    reading: Reading
    reason: str


@dataclass(frozen=True, slots=True)
class Reject:
    """One refused message, or one refused reading of an otherwise accepted message."""

    reason: str
    detail: str
    station: str | None = None
    gateway: str | None = None
    parameter: str | None = None
    index: int | None = None  # position of the reading set in a JSON batch
    payload: bytes | None = None  # the offending part when not the whole message


@dataclass(frozen=True, slots=True)
class Publication:
    """A reply the service publishes once the message it answers is committed."""

    topic: str
    payload: bytes
    correlation_data: bytes | None = None


@dataclass(frozen=True, slots=True)
class Decoded:
    readings: tuple[Reading, ...] = ()
    rejects: tuple[Reject, ...] = ()
    replies: tuple[Publication, ...] = ()
    skipped: bool = False  # one of the platform's own output topics
    corrections: tuple[Correction, ...] = ()


@dataclass(frozen=True, slots=True)
class WriteResult:
    stored: int
    duplicates: int
    rejects: int
    late_days: int = 0
    corrected: int = 0  # stored readings replaced by a correction (audited in reading_corrections)


@dataclass(slots=True)
class Batch:
    """Messages decoded and waiting for one commit (mutable while it fills, then handed over)."""

    entries: list[tuple[InboundMessage, Decoded]] = field(default_factory=list)
    rows: int = 0
    cleared: list[bytes] = field(default_factory=list)  # suspect fingerprints the commit clears

    @property
    def seqs(self) -> tuple[int, int]:
        """The first and last message sequence numbers (a batch holds consecutive messages)."""
        return self.entries[0][0].seq, self.entries[-1][0].seq

    def add(self, message: InboundMessage, decoded: Decoded) -> None:
        self.entries.append((message, decoded))
        self.rows += len(decoded.readings) + len(decoded.rejects) + len(decoded.corrections)


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What the worker process reports of one committed batch, for the first ``messages`` unacked
    messages in receive order: the main process publishes the replies, acks and counts."""

    messages: int
    rows: int  # readings + rejects, as Batch.rows
    seconds: float  # the commit's duration
    result: WriteResult
    reject_counts: tuple[tuple[str, int], ...]  # (reason, rejects)
    replies: tuple[tuple[int, Publication], ...]  # (position of the answered message in the batch, reply)


@dataclass(frozen=True, slots=True)
class DatabaseState:
    """The worker's latest database operation succeeded (or not); ``commit_failed``: a batch commit failed."""

    ok: bool
    commit_failed: bool = False


HJ212_FRAME_PREFIX = "hj212_"


def frame_reason(codec_reason: str) -> str:
    """``hj212_crc``, ``hj212_length``, … for a frame the HJ 212 codec refused."""
    return HJ212_FRAME_PREFIX + codec_reason
