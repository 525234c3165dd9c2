"""The time the outcome figures are dated by: the stamp of each event Rasa's event
broker writes (analytics/broker.py) and the desk's claim and close times.

It is the real time unless SWITCHBOARD_CLOCK_FILE names a file: then it is the Unix
time written in that file, frozen until the file changes. That is for the traffic
simulator only (bench/simulate.py plays a week in minutes and knows to the second
what each figure must be); never set it in production. A file that is missing,
empty or not a number reads as the real time.
"""

import math
import os
import time
from datetime import UTC, datetime
from pathlib import Path

CLOCK_FILE = "SWITCHBOARD_CLOCK_FILE"


def clock_file() -> Path | None:
    value = os.environ.get(CLOCK_FILE, "").strip()
    return Path(value) if value else None


def now(path: Path | None = None) -> float:
    """Unix seconds: the clock file's time when one is set and readable, else real."""
    path = path if path is not None else clock_file()
    if path is not None:
        try:
            value = float(path.read_text(encoding="ascii").strip())
        except (OSError, ValueError, UnicodeDecodeError):
            return time.time()
        if math.isfinite(value) and value > 0:
            return value
    return time.time()


def now_utc(path: Path | None = None) -> datetime:
    return datetime.fromtimestamp(now(path), UTC)


def set_clock(path: Path, at: float) -> None:
    """Write the simulated time (the simulator's side), atomically."""
    partial = path.with_suffix(".tmp")
    partial.write_text(repr(float(at)), encoding="ascii")
    partial.replace(path)
