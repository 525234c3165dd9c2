"""The backend's own database concerns; engines and sessions come from common."""

import threading

write_lock = threading.Lock()
"""Serialises the writes that allocate record ids (the backend runs as one process)."""
