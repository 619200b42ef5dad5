"""Grafana's PostgreSQL macros and template variables, expanded the way Grafana does before it runs SQL."""

from __future__ import annotations

import re
from datetime import datetime

TIME_FILTER = "$__timeFilter("


def _grafana_time(moment: datetime) -> str:
    return "'" + moment.strftime("%Y-%m-%dT%H:%M:%SZ") + "'"


def _matching_paren(text: str, open_at: int) -> int:
    depth = 0
    for index in range(open_at, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return index
    raise ValueError(f"unbalanced parentheses after {text[open_at - 20 : open_at]!r}")


def expand(sql: str, start: datetime, end: datetime, variables: dict[str, str]) -> str:
    """``$__timeFilter(x)`` → ``x BETWEEN 'from' AND 'to'``; ``$__timeFrom()``/``$__timeTo()``; ``$name``."""
    while (at := sql.find(TIME_FILTER)) >= 0:
        close = _matching_paren(sql, at + len(TIME_FILTER) - 1)
        column = sql[at + len(TIME_FILTER) : close]
        sql = f"{sql[:at]}{column} BETWEEN {_grafana_time(start)} AND {_grafana_time(end)}{sql[close + 1 :]}"
    sql = sql.replace("$__timeFrom()", _grafana_time(start)).replace("$__timeTo()", _grafana_time(end))
    if leftover := re.search(r"\$__\w+", sql):
        raise ValueError(f"unexpanded macro {leftover.group()}")
    for name in sorted(variables, key=len, reverse=True):
        sql = sql.replace(f"${name}", variables[name])
    return sql
