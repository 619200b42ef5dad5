"""Alerts: KPIs against the plan's targets (the figures pipeline, ``figures/``) and the alert lifecycle (``rules/``)."""
