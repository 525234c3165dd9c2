"""Outcome metrics (issue #15): Rasa's events, published by its SQL event broker, read
into an analytics store of Switchboard's own, and the figures computed from it."""
