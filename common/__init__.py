"""Web and database plumbing the FastAPI services (backend, desk) share; it imports
neither of them."""
