"""Run the customer memory: ``python -m memory [--host 127.0.0.1] [--port 8200]``.

Settings from the environment (memory.settings); exit status 2 names a bad one.
"""

import argparse
import logging
import os
import sys

import uvicorn

from common.minimise import minimise_logs
from memory.app import create_app
from memory.settings import SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m memory", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8200)
    args = parser.parse_args(argv)
    minimise_logs()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = load_settings(os.environ)
    except SettingsError as error:
        print(f"memory: {error}", file=sys.stderr)
        return 2
    uvicorn.run(create_app(settings), host=args.host, port=args.port, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
