"""The Brightwave sample data the assistant serves, read once from ../shared."""

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict

FIXTURE = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "brightwave_crm.json"


@lru_cache(maxsize=1)
def load() -> Dict[str, Any]:
    with open(FIXTURE, encoding="utf-8") as handle:
        return json.load(handle)
