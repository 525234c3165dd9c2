"""The backend's own database concerns; engines and sessions come from common."""

import threading

write_lock = threading.RLock()
"""Serialises the writes that allocate record ids (the backend runs as one process);
re-entrant, so an idempotent write holds it around the write it wraps."""
