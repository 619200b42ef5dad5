"""Prometheus metrics of the compensation API, in a registry of its own (tests build several apps per process)."""

from __future__ import annotations

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from services.common.request_metrics import instrument

# statements read up to two years of 5-minute data: requests run from milliseconds to seconds
REQUEST_SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class CompensationMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.statements = Counter(
            "envmon_compensation_statements_computed",
            "Statements computed (new periods and recalculations), by resulting status",
            ["status"],
            registry=self.registry,
        )
        self.verifications = Counter(
            "envmon_compensation_verifications",
            "Statement verifications, by outcome (match: the recomputed bytes equal the stored document)",
            ["outcome"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "envmon_compensation_request_seconds",
            "HTTP request latency, by route template, method and status code",
            ["route", "method", "status"],
            buckets=REQUEST_SECONDS_BUCKETS,
            registry=self.registry,
        )

    def verified(self, match: bool) -> None:
        self.verifications.labels("match" if match else "mismatch").inc()

    def exposition(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

    def instrument(self, app: FastAPI) -> None:
        instrument(app, self.request_seconds)
