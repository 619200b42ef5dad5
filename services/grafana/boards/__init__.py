"""The provisioned boards, one module each; ``dashboards()`` builds them all (grafana-foundation-sdk models)."""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from services.grafana.boards import air, alerts, boundary, compensation, operations, overview, waste, water

BUILDERS = (
    overview.build,
    water.build,
    boundary.build,
    air.build,
    waste.build,
    compensation.build,
    operations.build,
    alerts.build,
)


def dashboards() -> tuple[Dashboard, ...]:
    return tuple(build() for build in BUILDERS)
