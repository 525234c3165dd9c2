"""`make bench-memory` in its smoke mode, so it cannot rot."""

import json

from bench.results_file import RESULTS
from tests.bench.test_smoke import run_bench


def test_memory_benchmark_smoke_run() -> None:
    output = run_bench("memory", ["--smoke"])
    assert "memory: added latency per turn" in output
    result = json.loads((RESULTS / "memory_smoke.json").read_text())
    assert result["date"] and result["machine"] and result["event_p95_ms"] > 0
