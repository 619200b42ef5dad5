"""Where the worker process is, in shared memory, so the main process can blame a crash or a stall.

The worker writes a few integers (no system call, no lock) as it goes: the sequence number of the
message its decode thread is decoding, and the range of the batch its committer thread is committing
with an attempt counter. When the worker dies, or makes no progress for too long, the main process
reads them: those messages are the suspects (services.ingest.suspects). A torn read while the
worker runs can only blame the next message for the current one's stall, and only after the stall
limit; after the worker's death nothing writes any more.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from multiprocessing.context import BaseContext
from typing import Any

IDLE = -1


class _Cell(IntEnum):
    DECODING = 0  # seq of the message being decoded, or IDLE
    COMMIT_FIRST = 1  # seq range of the batch being committed, or IDLE
    COMMIT_LAST = 2
    COMMIT_ATTEMPT = 3  # grows with every commit attempt (a retry is progress, not a stall)
    ISOLATED = 4  # 1 while a suspect is processed on its own (its crash is counted beforehand)
    READY = 5  # 1 once the worker has started (registry loaded, suspects recorded)


@dataclass(frozen=True, slots=True)
class ProgressSnapshot:
    decoding: int
    commit_first: int
    commit_last: int
    commit_attempt: int
    isolated: bool
    ready: bool

    def suspects(self, *, decoding: bool = True, committing: bool = True) -> set[int]:
        """Sequence numbers of the messages in the decode and/or commit stages."""
        seqs: set[int] = set()
        if decoding and self.decoding != IDLE:
            seqs.add(self.decoding)
        if committing and self.commit_first != IDLE:
            seqs.update(range(self.commit_first, self.commit_last + 1))
        return seqs


class Progress:
    def __init__(self, context: BaseContext) -> None:
        self._cells: Any = context.RawArray("q", len(_Cell))
        for cell in (_Cell.DECODING, _Cell.COMMIT_FIRST, _Cell.COMMIT_LAST):
            self._cells[cell] = IDLE

    # --- worker side ------------------------------------------------------------------------------------
    def ready(self) -> None:
        self._cells[_Cell.READY] = 1

    def decoding(self, seq: int) -> None:
        self._cells[_Cell.DECODING] = seq

    def decoded(self) -> None:
        self._cells[_Cell.DECODING] = IDLE

    def committing(self, first: int, last: int) -> None:
        cells = self._cells
        cells[_Cell.COMMIT_FIRST], cells[_Cell.COMMIT_LAST] = first, last
        cells[_Cell.COMMIT_ATTEMPT] += 1

    def committed(self) -> None:
        self._cells[_Cell.COMMIT_FIRST] = self._cells[_Cell.COMMIT_LAST] = IDLE

    def isolate(self, isolated: bool) -> None:
        self._cells[_Cell.ISOLATED] = int(isolated)

    # --- main process side -------------------------------------------------------------------------------
    def snapshot(self) -> ProgressSnapshot:
        cells = list(self._cells)
        return ProgressSnapshot(
            decoding=cells[_Cell.DECODING],
            commit_first=cells[_Cell.COMMIT_FIRST],
            commit_last=cells[_Cell.COMMIT_LAST],
            commit_attempt=cells[_Cell.COMMIT_ATTEMPT],
            isolated=bool(cells[_Cell.ISOLATED]),
            ready=bool(cells[_Cell.READY]),
        )
