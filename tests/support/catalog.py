"""The protection plans the unit tests quote, as the backend's catalog sends them."""

PLANS = [
    {"plan": "basic", "covers": ["screen_damage", "malfunction"], "excess": 49.0,
     "monthly_rate_pct": 0.9},
    {"plan": "plus", "covers": ["screen_damage", "malfunction", "water_damage", "theft"],
     "excess": 29.0, "monthly_rate_pct": 1.4},
]  # fmt: skip
