"""Switchboard's customer memory: identity links, each customer's timeline of
conversations and business events, and the signed events API (issue #12).

Its own service (`python -m memory`), on the internal interface only; the action
server reaches it through `actions/memory_client.py`, nobody imports these modules.
"""
