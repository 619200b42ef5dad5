"""Interpreter tuning for both ingest processes (the main process and the worker, which starts from the
fork server and so inherits none of it)."""

from __future__ import annotations

import gc
import sys

# The MQTT network thread makes several recv calls per message and must win the GIL back after
# each; with the default 5 ms switch interval the other threads starve it (a GIL convoy).
GIL_SWITCH_INTERVAL_SECONDS = 0.0005
# A backlog drain allocates millions of short-lived objects (decimals, readings, tuples), so the
# default first-generation threshold (700) runs a collection every few messages, and each
# collection that reaches the old generation walks every module object too. Collect the young
# generation less often, and freeze what exists at start-up out of the collector's sight.
GC_YOUNG_THRESHOLD = 50_000


def tune_interpreter() -> None:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_SECONDS)
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
