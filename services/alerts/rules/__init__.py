"""The rules pipeline: published figures in, alerts out.

``rules.yaml`` is read by ``definitions``. ``metrics`` holds the SQL that gives each rule's value per
subject. ``store`` keeps alert states and their history and fills the outbox, stepping each state
through the pure ``lifecycle``. Delivery goes to Alertmanager (``alertmanager``) and to the retained
MQTT snapshots (``mqtt_snapshots``).
"""
