"""Small pieces every service shares: settings base, logging, credentials, MQTT URLs."""
