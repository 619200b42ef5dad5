"""The simulator's settings (``ENVMON_SIMULATE_*``, plus the shared ``ENVMON_MQTT_URL``)."""

from __future__ import annotations

from datetime import date

from services.common.settings import CommonSettings
from simulators.messages import Format
from simulators.plan import CrcChoice
from simulators.values import DEFAULT_SEED


class SimulatorSettings(CommonSettings):
    simulate_seed: int = DEFAULT_SEED
    simulate_format: Format = Format.JSON
    simulate_crc: CrcChoice = CrcChoice.STANDARD
    # First local day `backfill` sends; unset: 1 January of the previous year (simulators/history.py).
    simulate_backfill_since: date | None = None
    # The HJ 212 TCP gateway, for --transport tcp (data-logger mode).
    hj212_host: str = "127.0.0.1"
    hj212_tcp_port: int = 9212
