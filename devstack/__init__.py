"""Private instances of the real components, on free ports, for tests, benchmarks and `make run`.

Each class owns one process started from the machine's own binaries (PostgreSQL with
TimescaleDB, Mosquitto, Alertmanager). Nothing here is used in production.
"""
