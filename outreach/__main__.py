"""``python -m outreach check [path]`` validates outreach.yml; ``python -m outreach seed``
seeds the consent ledger from the CRM fixture (once: a second run adds nothing).
Exit status 2 names a bad key or setting."""

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from common.database import create_db_engine
from outreach.config import OutreachConfigError, load_config
from outreach.ledger import ConsentLedger
from outreach.settings import SettingsError, load_settings


def main(argv: list[str] | None = None, env: dict[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m outreach", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate outreach.yml")
    check.add_argument("path", nargs="?", type=Path)
    commands.add_parser("seed", help="seed the consent ledger from the CRM fixture")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(os.environ if env is None else env)
        if args.command == "check":
            config = load_config(args.path or settings.config_path)
            print(f"outreach.yml: {len(config.rules)} rules, valid")
            return 0
    except SettingsError as error:
        print(f"outreach: {error}", file=sys.stderr)
        return 2
    except OutreachConfigError as error:
        print(f"outreach.yml: {error}", file=sys.stderr)
        return 2
    engine = create_db_engine(settings.database_url)
    try:
        seeded = ConsentLedger(engine).seed_from_fixture(settings.fixture, datetime.now(UTC))
    finally:
        engine.dispose()
    print(f"consent ledger: {seeded} customers seeded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
