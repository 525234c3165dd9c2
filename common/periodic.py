"""A job a service runs in the background every so often (APScheduler): retention,
the analytics alerts. One run at a time; the first after one interval."""

from collections.abc import Callable
from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler


def every(seconds: float, work: Callable[[], None]) -> BackgroundScheduler:
    """work run every `seconds` in a daemon thread from now on; shutdown() stops it."""
    scheduler = BackgroundScheduler(daemon=True, timezone=UTC)
    scheduler.add_job(work, "interval", seconds=seconds, max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler
