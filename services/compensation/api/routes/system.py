"""Liveness and Prometheus metrics (unauthenticated)."""

from fastapi import APIRouter, Response

from services.common.openapi import METRICS_RESPONSES
from services.compensation.api.deps import MetricsDep
from services.compensation.api.models import Health

router = APIRouter(tags=["system"])


@router.get("/healthz")
def healthz() -> Health:
    return Health()


@router.get("/metrics", response_class=Response, responses=METRICS_RESPONSES)
def scrape(metrics: MetricsDep) -> Response:
    return metrics.exposition()
