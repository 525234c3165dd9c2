"""Channel settings: credentials.yml names what is not secret; secrets and
deployment-specific values come from the environment (Rasa refuses to start on an
unset `${VAR}` in credentials.yml, and a stack without Twilio must still start)."""

import os
from typing import Any, Dict, Mapping, Optional


def setting(credentials: Optional[Dict[str, Any]], key: str, env_name: str,
            default: Optional[str] = None, env: Mapping[str, str] = os.environ) -> Optional[str]:
    """credentials.yml's value for key, else the environment variable, else default."""
    value = (credentials or {}).get(key)
    if value not in (None, ""):
        return str(value)
    return env.get(env_name) or default
