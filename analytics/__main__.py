"""Run the analytics service: ``python -m analytics [--host 127.0.0.1] [--port 8300]``.

Settings from the environment (analytics.settings) and metrics.yml
(analytics.metrics_config); exit status 2 names a bad one. The service runs at a
lower CPU priority than the conversations' services: it folds events in batches,
and a customer's turn goes first when the machine is busy.
"""

import argparse
import logging
import os
import sys

import uvicorn

from analytics.app import create_app
from analytics.metrics_config import MetricsConfigError, load_metrics_config
from analytics.settings import Settings, SettingsError
from common.minimise import minimise_logs

LOWER_PRIORITY = 10  # added to the nice value the stack started it with


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8300)
    args = parser.parse_args(argv)
    minimise_logs()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = Settings.from_env(os.environ, SettingsError)
        metrics = load_metrics_config(settings.metrics_file)
    except (SettingsError, MetricsConfigError) as error:
        print(f"analytics: {error}", file=sys.stderr)
        return 2
    os.nice(LOWER_PRIORITY)
    uvicorn.run(create_app(settings, metrics), host=args.host, port=args.port, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
