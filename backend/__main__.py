"""Run the Brightwave sample backend.

    python -m backend [--host 127.0.0.1] [--port 8000] [--rebuild]
        Serve the API with uvicorn (one worker). The database is built from the
        fixture if it is missing or empty; --rebuild rebuilds it first anyway.
    python -m backend rebuild
        Rebuild the database from the fixture and exit.

Configuration comes from the environment, see ``backend.settings``. Exit status
2 means a setting or the fixture is unusable; the message says which.
"""

import argparse
import logging
import os
import sys

import uvicorn

from backend import loader
from backend.app import create_app
from backend.settings import Settings, SettingsError, load_settings
from common.database import create_db_engine
from common.minimise import minimise_logs


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m backend", description="Brightwave sample backend."
    )
    parser.add_argument(
        "command",
        nargs="?",
        choices=("serve", "rebuild"),
        default="serve",
        help="serve the API (default) or rebuild the database and exit",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    parser.add_argument(
        "--rebuild", action="store_true", help="rebuild the database before serving"
    )
    return parser.parse_args(argv)


def _rebuild(settings: Settings) -> None:
    engine = create_db_engine(settings.database_url)
    try:
        rows = loader.rebuild(engine, settings.fixture_path)
    finally:
        engine.dispose()
    logging.getLogger("backend").info(
        "rebuilt the database from %s: %s",
        settings.fixture_path,
        ", ".join(f"{count} {table}" for table, count in rows.items()),
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parse(argv)
    minimise_logs()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(os.environ)
        if args.command == "rebuild" or args.rebuild:
            _rebuild(settings)
        app = create_app(settings) if args.command == "serve" else None
    except (SettingsError, loader.FixtureError) as error:
        print(f"backend: {error}", file=sys.stderr)
        return 2
    if app is not None:
        uvicorn.run(app, host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
