"""Liveness and Prometheus metrics (unauthenticated)."""

from fastapi import APIRouter, Response

from services.compensation.api.deps import MetricsDep
from services.compensation.api.models import Health

router = APIRouter(tags=["system"])


@router.get("/healthz")
def healthz() -> Health:
    return Health()


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def scrape(metrics: MetricsDep) -> Response:
    return metrics.exposition()
