"""Brightwave sample backend: a small REST stand-in for Brightwave's CRM, order
and claims systems, served from a database built from the shared fixture.

Run it with ``python -m backend``; see ``backend.__main__`` for the options and
``backend.settings`` for the environment variables it reads.
"""
