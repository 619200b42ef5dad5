"""Grafana: the provisioned boards as code, their committed JSON, and a push to an existing Grafana."""
