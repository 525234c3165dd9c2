"""Check outreach.yml: ``python -m outreach check [path]``; exit status 2 names each bad key."""

import argparse
import sys
from pathlib import Path

from outreach.config import DEFAULT_PATH, OutreachConfigError, load_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m outreach", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate outreach.yml")
    check.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args(argv)
    try:
        config = load_config(args.path)
    except OutreachConfigError as error:
        print(f"outreach.yml: {error}", file=sys.stderr)
        return 2
    print(f"outreach.yml: {len(config.rules)} rules, valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
