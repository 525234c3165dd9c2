"""Another channels file than credentials.yml, for a stack that needs other settings
(tests with small rate limits, benchmarks that must not be limited); Rasa reads
the one SWITCHBOARD_CREDENTIALS (StackConfig.credentials) names."""

from pathlib import Path
from typing import Any, Mapping

import yaml

from stack.processes import ROOT

CREDENTIALS = ROOT / "credentials.yml"


def credentials_with(home: Path, changes: Mapping[str, Mapping[str, Any]],
                     base: Path = CREDENTIALS) -> Path:
    """home/credentials.yml: base with some channels' keys replaced, e.g.
    {"connectors.rest.RestInput": {"rate_limits": {"sender": "5/minute"}}}."""
    channels = yaml.safe_load(base.read_text()) or {}
    for channel, keys in changes.items():
        channels[channel] = {**(channels.get(channel) or {}), **keys}
    home.mkdir(parents=True, exist_ok=True)
    path = home / "credentials.yml"
    path.write_text(yaml.safe_dump(channels, sort_keys=False))
    return path
