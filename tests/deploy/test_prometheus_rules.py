"""The platform alert rules, checked and unit-tested by Prometheus's own promtool."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

RULES = Path(__file__).parents[2] / "deploy" / "prometheus" / "rules" / "platform.yml"
PROMTOOL = "/usr/bin/promtool"
# promtool comes with Debian's prometheus package (make deps), so not a unit test.
pytestmark = pytest.mark.integration

# promtool rule unit tests: input series, then the alerts expected at given times.
POISON_AND_RESTARTS = {
    "rule_files": [str(RULES)],
    "evaluation_interval": "1m",
    "tests": [
        {
            "interval": "1m",
            "input_series": [
                {"series": 'envmon_ingest_poison_messages_total{job="envmon-ingest"}', "values": "0 0 0 1 1 1"},
                {
                    "series": 'envmon_ingest_worker_restarts_total{job="envmon-ingest",cause="died"}',
                    "values": "0 1 2 3 3 3",
                },
            ],
            "alert_rule_test": [
                {"eval_time": "2m", "alertname": "EnvmonIngestPoisonMessage", "exp_alerts": []},
                {
                    "eval_time": "5m",
                    "alertname": "EnvmonIngestPoisonMessage",
                    "exp_alerts": [
                        {
                            "exp_labels": {"severity": "warning", "job": "envmon-ingest"},
                            "exp_annotations": {
                                "summary": "ingest quarantined a message that crashed or stalled its worker",
                                "description": (
                                    "The message is kept in rejected_messages (reason poison, with the last error)"
                                    " and its fingerprint in ingest_suspects. Fix the cause, then replay the"
                                    ' payload; docs/ingest.md "Poison messages".'
                                ),
                            },
                        }
                    ],
                },
                {"eval_time": "2m", "alertname": "EnvmonIngestWorkerRestarting", "exp_alerts": []},
                {
                    "eval_time": "5m",
                    "alertname": "EnvmonIngestWorkerRestarting",
                    "exp_alerts": [
                        {
                            "exp_labels": {"severity": "warning", "job": "envmon-ingest", "cause": "died"},
                            "exp_annotations": {
                                "summary": "the ingest worker process was replaced 3 times in 15 minutes (died)"
                            },
                        }
                    ],
                },
            ],
        }
    ],
}


def test_rules_are_valid() -> None:
    assert PROMTOOL is not None
    result = subprocess.run([PROMTOOL, "check", "rules", str(RULES)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_quarantined_message_and_a_restarting_worker_alert(tmp_path: Path) -> None:
    assert PROMTOOL is not None
    tests = tmp_path / "tests.yml"
    tests.write_text(yaml.safe_dump(POISON_AND_RESTARTS))
    result = subprocess.run([PROMTOOL, "test", "rules", str(tests)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
