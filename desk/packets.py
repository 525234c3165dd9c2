"""Checking an incoming hand-over packet against schemas/handoff_packet.v1.json."""

import json
from functools import lru_cache
from typing import Any

from common.errors import Unprocessable
from common.schemas import schema_validator
from desk.settings import ROOT

SCHEMA_PATH = ROOT / "schemas" / "handoff_packet.v1.json"
MAX_PROBLEMS = 5


@lru_cache(maxsize=1)
def _validator() -> Any:
    return schema_validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def check_packet(packet: Any) -> None:
    """Unprocessable naming where (up to a few places) the packet breaks the schema."""
    errors = sorted(_validator().iter_errors(packet), key=lambda error: error.json_path)
    if errors:
        problems = "; ".join(
            f"{error.json_path}: {error.message[:200]}" for error in errors[:MAX_PROBLEMS]
        )
        more = f" (and {len(errors) - MAX_PROBLEMS} more)" if len(errors) > MAX_PROBLEMS else ""
        raise Unprocessable(f"not a hand-over packet v1: {problems}{more}")
