"""`python -m desk verify-audit`: check the audit log's hash chain (desk.audit_chain).

Reads DESK_DATABASE_URL (default var/desk.db) and nothing else. Exit status 0 when
every link holds (the head is printed, to be recorded elsewhere), 1 naming the first
broken entry and why, 2 when the database cannot be read.
"""

import os
import sys
from typing import TextIO

from sqlalchemy.exc import SQLAlchemyError

from common.database import create_db_engine, session_factory
from desk.audit_chain import verify
from desk.settings import DEFAULT_DATABASE_URL


def main(argv: list[str], out: TextIO = sys.stdout) -> int:
    if argv:
        print("usage: python -m desk verify-audit", file=sys.stderr)
        return 2
    engine = create_db_engine(os.environ.get("DESK_DATABASE_URL") or DEFAULT_DATABASE_URL)
    try:
        with session_factory(engine)() as session:
            verdict = verify(session)
    except SQLAlchemyError as error:
        print(f"desk: the audit log cannot be read ({error.__class__.__name__})", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    if not verdict.intact:
        print(
            f"audit log BROKEN at entry {verdict.broken_id}: {verdict.reason} "
            f"({verdict.checked} entries before it hold)",
            file=out,
        )
        return 1
    print(
        f"audit log intact: {verdict.checked} chained entries"
        f" after {verdict.legacy} from before the chain; head entry {verdict.head_id}"
        f" hash {verdict.head_hash}",
        file=out,
    )
    return 0
