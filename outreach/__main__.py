"""``python -m outreach check [path]`` validates outreach.yml; ``python -m outreach seed``
seeds the consent ledger from the CRM fixture (once: a second run adds nothing);
``python -m outreach serve [--host H] [--port P]`` runs its HTTP API (outreach.app).
Exit status 2 names a bad key or setting."""

import argparse
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from common.database import create_db_engine
from common.minimise import minimise_logs
from outreach.app import create_app
from outreach.config import OutreachConfigError, load_config
from outreach.ledger import ConsentLedger
from outreach.settings import SettingsError, load_settings


def main(argv: list[str] | None = None, env: dict[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m outreach", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate outreach.yml")
    check.add_argument("path", nargs="?", type=Path)
    commands.add_parser("seed", help="seed the consent ledger from the CRM fixture")
    serve = commands.add_parser("serve", help="run the outreach HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8400)
    args = parser.parse_args(argv)
    try:
        settings = load_settings(os.environ if env is None else env)
        if args.command == "check":
            config = load_config(args.path or settings.config_path)
            print(f"outreach.yml: {len(config.rules)} rules, valid")
            return 0
        if args.command == "serve":
            minimise_logs()
            logging.basicConfig(
                level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
            )
            app = create_app(settings)
    except OutreachConfigError as error:
        print(f"outreach.yml: {error}", file=sys.stderr)
        return 2
    except (SettingsError, ValueError) as error:  # ValueError: OUTREACH_API_TOKEN unset
        print(f"outreach: {error}", file=sys.stderr)
        return 2
    if args.command == "serve":
        uvicorn.run(app, host=args.host, port=args.port, access_log=False)
        return 0
    engine = create_db_engine(settings.database_url)
    try:
        seeded = ConsentLedger(engine).seed_from_fixture(settings.fixture, datetime.now(UTC))
    finally:
        engine.dispose()
    print(f"consent ledger: {seeded} customers seeded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
