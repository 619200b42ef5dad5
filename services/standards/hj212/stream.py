"""A TCP byte stream split into frames (:class:`FrameReader`), and split packets put back together."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from services.standards.hj212.codes import FLAG_PACKETS
from services.standards.hj212.frame import ENVELOPE, Frame, FrameError, FrameErrorReason, FrameValues


class FrameReader:
    """Splits a TCP byte stream into raw frames, using each frame's length field.

    :meth:`feed` returns complete frames (``bytes``, still to be :func:`parse`\\ d) and
    :class:`FrameError` for skipped bytes, in stream order; it never raises. Bytes before ``##`` are
    ``framing``; a bad length field or a CRLF not where the length says is ``length``; a length above
    ``max_data_length`` is ``too_long``. After each call at most one incomplete frame is buffered,
    so the buffer never exceeds :attr:`max_frame_size`.
    """

    def __init__(self, *, max_data_length: int = 9999) -> None:
        if not 0 <= max_data_length <= 9999:
            raise ValueError(f"max_data_length must be 0..9999, got {max_data_length}")
        self._max_data_length = max_data_length
        self._buffer = bytearray()

    @property
    def max_frame_size(self) -> int:
        return self._max_data_length + ENVELOPE

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes | FrameError]:
        self._buffer += data
        out: list[bytes | FrameError] = []
        pos = 0
        while True:
            start = self._buffer.find(b"##", pos)
            end = start if start >= 0 else self._tail()
            if end > pos:
                out.append(self._skipped(FrameErrorReason.FRAMING, "bytes outside a frame", pos, end))
            pos = end
            if start < 0:
                break
            outcome = self._frame_at(pos)
            if outcome is None:
                break
            if isinstance(outcome, bytes):
                out.append(outcome)
                pos += len(outcome)
            else:
                resume = self._next_start(pos)
                out.append(self._skipped(*outcome, pos, resume))
                pos = resume
        del self._buffer[:pos]
        return out

    def close(self) -> list[FrameError]:
        """End of stream: report an incomplete trailing frame, if any."""
        size = len(self._buffer)
        self._buffer.clear()
        return [FrameError(FrameErrorReason.FRAMING, f"stream ended inside a frame ({size} bytes)")] if size else []

    def _frame_at(self, pos: int) -> bytes | tuple[FrameErrorReason, str] | None:
        """The frame starting at ``pos``, why it is bad, or None while more bytes are needed."""
        length_text = bytes(self._buffer[pos + 2 : pos + 6])
        if length_text and not length_text.isdigit():
            return FrameErrorReason.LENGTH, "bad length field"
        if len(length_text) < 4:
            return None
        length = int(length_text)
        if length > self._max_data_length:
            return FrameErrorReason.TOO_LONG, f"length {length} above {self._max_data_length}"
        end = pos + length + ENVELOPE
        if len(self._buffer) < end:
            return None
        if self._buffer[end - 2 : end] != b"\r\n":
            return FrameErrorReason.LENGTH, "no CRLF where the length field says"
        return bytes(self._buffer[pos:end])

    def _tail(self) -> int:
        # Keep a final '#': it may be the first half of the next "##".
        return len(self._buffer) - self._buffer.endswith(b"#")

    def _next_start(self, pos: int) -> int:
        found = self._buffer.find(b"##", pos + 1)
        return found if found >= 0 else self._tail()

    def _skipped(self, reason: FrameErrorReason, what: str, start: int, end: int) -> FrameError:
        preview = bytes(self._buffer[start : min(end, start + 32)])
        return FrameError(reason, f"{end - start} bytes skipped ({what}): {preview!r}")


class PacketAssembler:
    """Reassembles split packets (Flag bit D, PNUM/PNO) that share MN, CN and QN.

    :meth:`add` returns the frames ready for use: an unsplit frame at once, nothing while a group is
    incomplete, and once PNO 1..PNUM have all arrived one merged frame per DataTime (packets of a
    history upload may each carry their own record), with PNUM/PNO and bit D removed. A repeated PNO
    replaces the earlier copy; where packets of one DataTime repeat an item, the later PNO wins.
    At most ``max_pending`` groups wait; the stalest is dropped beyond that (counted in
    :attr:`evicted`), as is a group whose PNUM changes.
    """

    def __init__(self, *, max_pending: int = 64) -> None:
        if max_pending < 1:
            raise ValueError(f"max_pending must be at least 1, got {max_pending}")
        self._max_pending = max_pending
        self._groups: dict[tuple[str, int, str | None], dict[int, Frame]] = {}
        self.evicted = 0

    @property
    def pending(self) -> int:
        return len(self._groups)

    def add(self, frame: Frame) -> tuple[Frame, ...]:
        if frame.pnum is None or frame.pno is None:
            return (frame,)
        key = (frame.mn, frame.cn, frame.qn)
        group = self._groups.pop(key, {})  # re-inserted last, so eviction drops the stalest group
        if any(packet.pnum != frame.pnum for packet in group.values()):
            self.evicted += 1
            group = {}
        group[frame.pno] = frame
        if len(group) == frame.pnum:
            return _merge([group[pno] for pno in sorted(group)])
        self._groups[key] = group
        if len(self._groups) > self._max_pending:
            del self._groups[next(iter(self._groups))]
            self.evicted += 1
        return ()


def _merge(packets: list[Frame]) -> tuple[Frame, ...]:
    by_time: dict[datetime | None, list[Frame]] = {}
    for packet in packets:
        by_time.setdefault(packet.data_time, []).append(packet)
    merged = []
    for data_time, group in by_time.items():
        values: FrameValues = {}
        extra: dict[str, str] = {}
        for packet in group:
            for code, fields in packet.values.items():
                values.setdefault(code, {}).update(fields)
            extra.update(packet.extra)
        merged.append(
            replace(
                group[0],
                flag=group[0].flag & ~FLAG_PACKETS,
                pnum=None,
                pno=None,
                data_time=data_time,
                values=values,
                extra=extra,
            )
        )
    return tuple(merged)
