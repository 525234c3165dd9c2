"""The packet checked against its contract, `schemas/handoff_packet.v1.json`."""

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from common.schemas import schema_validator

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "handoff_packet.v1.json"


class PacketInvalid(ValueError):
    """A hand-over packet that does not match its schema."""


@lru_cache(maxsize=1)
def packet_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator() -> Any:
    """The validator of the draft the schema names in $schema, built once."""
    return schema_validator(packet_schema())


def validate_packet(packet: Mapping[str, Any]) -> None:
    """Raise PacketInvalid naming every place where the packet breaks the schema."""
    errors = sorted(_validator().iter_errors(packet), key=lambda error: error.json_path)
    if errors:
        problems = "; ".join(f"{error.json_path}: {error.message}" for error in errors)
        raise PacketInvalid(f"hand-over packet does not match {SCHEMA_PATH.name}: {problems}")
