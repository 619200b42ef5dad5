"""The regulations as pure code: no I/O, exact decimal arithmetic.

- :mod:`aqi`: HJ 633-2012 and HJ 633—2026 air quality index, chosen by date.
- :mod:`water`: GB 3838-2002 classes and the 环办〔2011〕22号 section and basin evaluation.
- :mod:`validity`: GB 3095 / HJ 663 data validity, period statistics and percentiles.
- :mod:`hj212`: the HJ 212-2017/2025 frame codec.
- :mod:`parameters`: the canonical parameter vocabulary.
"""

from services.standards import aqi, hj212, parameters, validity, water

__all__ = ["aqi", "hj212", "parameters", "validity", "water"]
