"""OpenAPI documentation the services' HTTP APIs share."""

from __future__ import annotations

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST

# /metrics: Prometheus' text exposition format, documented as such (not as JSON).
METRICS_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Prometheus text exposition format",
        "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
    }
}
