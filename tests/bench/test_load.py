"""``bench.load`` end to end on a small scale, with a fake Rasa on both sides: it starts
the service (web process and worker process), drives both webhooks and Rasa's REST
webhook, waits for the backlog, checks nothing was lost, and ends with its JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fakes.providers import FakeRasa

ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "ack_p99_ms",
    "e2e_p95_ms",
    "e2e_p99_ms",
    "throughput_msgs_per_s",
    "rasa_throughput_msgs_per_s",
    "ratio_to_rasa",
}


@pytest.mark.load
def test_load_bench_prints_its_figures_and_loses_nothing(redis_url: str) -> None:
    rasa = FakeRasa().start()
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.load",
                "--rasa-url",
                rasa.url,
                "--redis-url",
                redis_url,
                "--rates",
                "10,20",
                "--step-seconds",
                "1",
                "--steady-rate",
                "5",
                "--steady-seconds",
                "2",
                "--rasa-messages",
                "20",
                "--drain-timeout",
                "60",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
    finally:
        rasa.stop()
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert KEYS <= figures.keys()
    assert figures["lost"] == 0 and figures["http_5xx"] == 0
    details = figures["details"]
    assert details["drain"]["accepted"] == 30 and details["drain"]["answered"] == 30
    assert details["steady"]["answered"] == 10
    assert details["plain_rasa"]["errors"] == 0
    assert details["store_waits"]["all"] == 10 + 30  # every message stored by the one web process
    # Where the CPU went while the rising rates were sent and drained: each process.
    cpu = details["cpu_seconds"]
    assert {"service", "worker", "desk", "redis", "load generator"} <= cpu.keys()
    assert cpu["service"] > 0 and cpu["worker"] > 0
    assert all(v is not None and v > 0 for k, v in figures.items() if k in KEYS)
    # Plain Rasa got the same questions: 20 through its REST webhook, 40 through ours
    # (after one turn to see it answers at all).
    warm_up = [c for c in rasa.calls if c["sender"].startswith("warm-up-")]
    assert len(warm_up) == 1
    assert len(rasa.calls) == 1 + 20 + 10 + 30
