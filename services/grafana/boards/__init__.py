"""The provisioned boards, one module each; ``dashboards()`` builds them all (grafana-foundation-sdk models)."""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from services.grafana.boards import air, compensation, operations, waste, water

BUILDERS = (water.build, air.build, waste.build, compensation.build, operations.build)


def dashboards() -> tuple[Dashboard, ...]:
    return tuple(build() for build in BUILDERS)
