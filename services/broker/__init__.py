"""The platform's MQTT broker (Mosquitto): accounts and ACL from the gateways registry, and its tuning.

Platform-wide, not a service: ``envmon mosquitto-config`` writes the files, ingest sizes its
in-flight window from the tuning, and devstack's private brokers use both.
"""
