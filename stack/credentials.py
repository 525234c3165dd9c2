"""Another channels file than credentials.yml, for a stack that needs other settings
(tests with small rate limits, benchmarks that must not be limited); Rasa reads
the one SWITCHBOARD_CREDENTIALS (StackConfig.credentials) names."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from stack.processes import ROOT

CREDENTIALS = ROOT / "credentials.yml"


def credentials_with(
    home: Path, changes: Mapping[str, Mapping[str, Any]], base: Path = CREDENTIALS
) -> Path:
    """home/credentials.yml: base with some channels' keys replaced, e.g.
    {"connectors.rest.RestInput": {"rate_limits": {"sender": "5/minute"}}}."""
    channels = yaml.safe_load(base.read_text()) or {}
    for channel, keys in changes.items():
        channels[channel] = {**(channels.get(channel) or {}), **keys}
    home.mkdir(parents=True, exist_ok=True)
    path = home / "credentials.yml"
    path.write_text(yaml.safe_dump(channels, sort_keys=False))
    return path


# A benchmark measures the assistant, not the rate limiter: one client and one
# sender there stand for many customers.
UNLIMITED = "1000000/minute"


def without_rate_limits(home: Path, base: Path = CREDENTIALS) -> Path:
    """home/credentials.yml: base with every channel's rate limits lifted."""
    channels = yaml.safe_load(base.read_text()) or {}
    return credentials_with(
        home,
        {
            channel: {"rate_limits": dict.fromkeys(keys["rate_limits"], UNLIMITED)}
            for channel, keys in channels.items()
            if isinstance(keys, dict) and isinstance(keys.get("rate_limits"), dict)
        },
        base,
    )
