"""Which failures are the database's (retry the same batch) and which are one message's (bisect, reject it).

- Transient: the connection, the server's resources or an operator (SQLSTATE classes 08, 40, 53, 55,
  57, 58, and psycopg's own InterfaceError), a statement timeout included. Retried with backoff,
  forever, and nothing is acked meanwhile: retrying loses nothing, and the data is not at fault.
- Anything else fails because of what the batch holds (a value the database refuses, class 22/23/54)
  or because of a bug that this batch's content triggers. The committer bisects the batch so the
  good messages are committed and the culprit is rejected on its own (``database_refused`` for a
  refusal by the database, ``internal_error`` otherwise), with the error kept in the reject row.
"""

from __future__ import annotations

import psycopg

from services.ingest.messages import RejectReason

TRANSIENT_SQLSTATE_CLASSES = frozenset({"08", "40", "53", "55", "57", "58"})
# A reject's detail keeps this much of the error text.
ERROR_TEXT_CHARS = 300


def is_transient(error: BaseException) -> bool:
    if isinstance(error, psycopg.InterfaceError):
        return True
    if not isinstance(error, psycopg.Error):
        return False
    sqlstate = error.sqlstate
    if sqlstate is None:  # no server answer at all: the connection failed
        return isinstance(error, psycopg.OperationalError)
    return sqlstate[:2] in TRANSIENT_SQLSTATE_CLASSES


def describe(error: BaseException) -> str:
    """One line for logs and reject details: the SQLSTATE or exception type, then the first line of the message."""
    first_line = (str(error).splitlines() or [""])[0]
    sqlstate = error.sqlstate if isinstance(error, psycopg.Error) else None
    kind = f"SQLSTATE {sqlstate}" if sqlstate else type(error).__name__
    return f"{kind}: {first_line}"[:ERROR_TEXT_CHARS]


def refusal_reason(error: BaseException) -> RejectReason:
    """The reject reason of a message whose commit failed on its own, for a non-transient error."""
    return RejectReason.DATABASE_REFUSED if isinstance(error, psycopg.Error) else RejectReason.INTERNAL_ERROR
