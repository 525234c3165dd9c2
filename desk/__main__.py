"""Run the agent desk.

    python -m desk [--host 127.0.0.1] [--port 8100]
    python -m desk create-admin <username> [--if-no-admin]   (see desk.first_admin)
    python -m desk verify-audit                               (see desk.verify_audit)

Configuration comes from the environment and desk/settings.yml, see
``desk.settings``. Exit status 2 means a setting is unusable; the message says which.
"""

import argparse
import logging
import os
import sys

import uvicorn

from common.minimise import minimise_logs
from desk import first_admin, verify_audit
from desk.app import create_app
from desk.settings import SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["create-admin"]:
        return first_admin.main(argv[1:])
    if argv[:1] == ["verify-audit"]:
        return verify_audit.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m desk", description="Switchboard agent desk.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8100, help="port to listen on (default 8100)")
    args = parser.parse_args(argv)
    minimise_logs()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = load_settings(os.environ)
    except SettingsError as error:
        print(f"desk: {error}", file=sys.stderr)
        return 2
    uvicorn.run(create_app(settings), host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
