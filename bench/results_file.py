"""What every benchmark shares: where results go, how they are stamped, percentiles."""

import json
import os
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from stack.processes import ROOT

RESULTS = ROOT / "bench" / "results"


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (share 0.5 is the median)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def write_result(name: str, result: dict[str, Any]) -> dict[str, Any]:
    """Stamp a result with the machine and the date and write bench/results/<name>.json."""
    stamped = {
        **result,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(stamped, indent=2))
    return stamped
