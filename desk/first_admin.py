"""`python -m desk create-admin <username>`: an admin account created from the command
line, so the desk can be used before anyone has signed in. The password is read
from stdin (a terminal is prompted), or generated and printed once when none is
given."""

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import TextIO

from common.database import create_db_engine, session_factory
from common.errors import RequestRejected
from desk import accounts, audit
from desk.models import ADMIN, Base
from desk.settings import DEFAULT_BEHAVIOUR, DEFAULT_DATABASE_URL, SettingsError, load_behaviour

ACTOR = "command line"
ALREADY = "The desk already has an admin account."


def _password(stdin: TextIO) -> str:
    if stdin.isatty():
        return getpass.getpass("Password (empty: generate one): ")
    return stdin.read().rstrip("\r\n")


def create_admin(
    username: str, if_no_admin: bool, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout
) -> int:
    """Exit status: 0 created (or, with if_no_admin, an admin exists), 1 refused, 2 a
    setting is unusable."""
    try:
        behaviour = load_behaviour(Path(os.environ.get("DESK_SETTINGS") or DEFAULT_BEHAVIOUR))
    except SettingsError as error:
        print(f"desk: {error}", file=sys.stderr)
        return 2
    engine = create_db_engine(os.environ.get("DESK_DATABASE_URL") or DEFAULT_DATABASE_URL)
    Base.metadata.create_all(engine)
    try:
        with session_factory(engine)() as session:
            if if_no_admin and accounts.has_admin(session):
                print(ALREADY, file=out)
                return 0
            given = _password(stdin)
            password = given or accounts.generated_password()
            try:
                account = accounts.create(
                    session,
                    username,
                    password,
                    ADMIN,
                    ACTOR,
                    behaviour.accounts.min_password_length,
                )
            except RequestRejected as error:
                print(f"desk: {error}", file=sys.stderr)
                return 1
            audit.record(
                session,
                ACTOR,
                "create_account",
                role=ADMIN,
                subject=account.username,
                detail="first admin",
            )
            session.commit()
            print(f"Created the desk admin account {account.username!r}.", file=out)
            if not given:
                print(f"Its password (shown only this once): {password}", file=out)
            return 0
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m desk create-admin", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("username")
    parser.add_argument(
        "--if-no-admin",
        action="store_true",
        help="do nothing when the desk already has an active admin",
    )
    args = parser.parse_args(argv)
    return create_admin(args.username, args.if_no_admin)
