"""Query, path and body parameters, constrained at the edge so the database never sees a value it raises on.

Every constraint is in the OpenAPI schema (so clients and the contract tests see it) and a violation
answers 422 with ``detail[0].loc`` naming the parameter:

- free text (codes, names, rule ids) refuses control characters (C0, DEL, C1: NUL makes PostgreSQL
  raise) and is bounded by its column's length;
- periods and years use ASCII digits only (``\\d`` and ``int()`` accept any Unicode digit, e.g. ``٢٠٢٦``);
- integers are bounded to their column types and sensible ranges.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import StringConstraints

from services.alerts.api.queries import MAX_ALERTS
from services.alerts.periods import FIRST_YEAR, LAST_YEAR
from services.alerts.rules.lifecycle import fingerprint

CODE_LENGTH = 64  # stations.code, alert_states.subject/rule (varchar(64))
NAME_LENGTH = 200
COMMENT_LENGTH = 2000
# No control characters at all (C0, DEL, C1).
NO_CONTROL = r"^[^\x00-\x1F\x7F-\x9F]+$"
# Free text may break lines and tab, nothing else of C0/DEL/C1.
TEXT_WITHOUT_CONTROL = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
PERIOD_PATTERN = r"^[0-9]{4}(-[0-9]{2})?$"
# services.alerts.rules.lifecycle.fingerprint: the first 32 hex digits of a sha256
FINGERPRINT_PATTERN = r"^[0-9a-f]{32}$"
FINGERPRINT_EXAMPLE = fingerprint("daily_aqi_above_100", "绍兴市", "2026-12-02")
# services.alerts.rules.windows: a year, a month, a day or the current status
ALERT_PERIOD_PATTERN = r"^([0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?|current)$"

# What each pattern means, for the 422 message (pydantic would only repeat the regular expression).
PATTERN_MESSAGES = {
    NO_CONTROL: "must not contain control characters (NUL, ESC, DEL …)",
    TEXT_WITHOUT_CONTROL: "must not contain control characters other than line breaks and tabs",
    PERIOD_PATTERN: "must be a year (2026) or a month (2026-10) in ASCII digits",
    FINGERPRINT_PATTERN: "must be an alert fingerprint: 32 lowercase hex digits",
    ALERT_PERIOD_PATTERN: "must be a year, a month, a day (2026, 2026-10, 2026-10-05) in ASCII digits, or current",
}

Code = Annotated[str, StringConstraints(min_length=1, max_length=CODE_LENGTH, pattern=NO_CONTROL)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=NAME_LENGTH, pattern=NO_CONTROL)]
Comment = Annotated[str, StringConstraints(max_length=COMMENT_LENGTH, pattern=TEXT_WITHOUT_CONTROL)]

PeriodParam = Annotated[
    str,
    Query(
        description="A month (`2026-10`) or a year (`2026`, year to date), ASCII digits",
        pattern=PERIOD_PATTERN,
        examples=["2026-10", "2026"],
    ),
]
YearParam = Annotated[int, Query(description="Calendar year", ge=FIRST_YEAR, le=LAST_YEAR, examples=[2026])]


def _code_query(description: str, *examples: str) -> Any:
    """An optional code: no control characters, at most the column's length."""
    return Query(
        description=description, min_length=1, max_length=CODE_LENGTH, pattern=NO_CONTROL, examples=list(examples)
    )


SubjectParam = Annotated[str | None, _code_query("Station code; default the city", "AIR-KEQIAO")]
SectionParam = Annotated[str | None, _code_query("Section code", "PYJ-JINHUA")]
RuleParam = Annotated[str | None, _code_query("Rule name", "aqi_above_100")]
AlertSubjectParam = Annotated[str | None, _code_query("Alert subject (station, section or city)", "AIR-KEQIAO")]
AlertPeriodParam = Annotated[
    str | None,
    Query(
        description="An alert's period: a year (`2026`), a month (`2026-11`), a day (`2026-12-02`) or `current`",
        pattern=ALERT_PERIOD_PATTERN,
        examples=["2026", "2026-11"],
    ),
]
LimitParam = Annotated[int, Query(description="Most alerts returned", ge=1, le=MAX_ALERTS)]
ExactParam = Annotated[
    bool,
    Query(
        description="Exact computed values instead of the published figures (GB/T 8170 reporting precision)",
    ),
]
FingerprintPath = Annotated[
    str,
    Path(
        description="sha256 of the rule, subject and period (its first 32 hex digits)",
        pattern=FINGERPRINT_PATTERN,
        examples=[FINGERPRINT_EXAMPLE],
    ),
]
