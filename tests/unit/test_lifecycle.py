"""lifecycle.yml's validation (every bad key named with its reason) and the readings
of a customer's words about a loss (incident type, day)."""

from datetime import date
from pathlib import Path

import pytest

from actions import lifecycle_config as lifecycle_config_module
from actions.claim_facts import incident_day, incident_type
from actions.claim_form import chosen_policy
from actions.lifecycle_config import (
    LifecycleConfigError,
    lifecycle_config,
    load_config,
    parse_config,
)
from actions.settings import settings
from stack import action_server

TODAY = date(2026, 11, 30)  # a Monday


def test_the_shipped_file_is_valid_and_keeps_theft_from_the_assistant() -> None:
    assert load_config().claims.hand_over_incidents == ("theft",)
    assert load_config().activation.terms_version == "2026-01"
    retention = load_config().retention
    assert retention.max_cancellations_per_year == 2
    assert retention.month_free_max_credit == 15.0
    assert retention.offer_for("too_expensive", "plus", "premium", 3) == "switch_to_basic"
    assert retention.offer_for("too_expensive", "basic", "standard", 13) == "month_free"
    assert retention.offer_for("too_expensive", "basic", "standard", 11) is None
    assert retention.offer_for("no_longer_needed", "plus", "premium", 40) is None


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"claims": {"hand_over_incidents": ["arson"]}}, "claims.hand_over_incidents.0: unknown"),
        ({"claims": {"description_max_chars": 900}}, "claims.description_max_chars: at most 500"),
        ({"claims": {"limit": 3}}, "claims.limit: extra fields not permitted"),
        ({"claim": {}}, "claim: extra fields not permitted"),
        (["theft"], "(top level)"),
        ({"claims": {}}, "activation: field required"),
        ({"claims": {}}, "retention: field required"),
        (
            {"retention": {"max_cancellations_per_year": -1}},
            "retention.max_cancellations_per_year: ",
        ),
        ({"retention": {"month_free_max_credit": -5}}, "retention.month_free_max_credit: "),
        ({"retention": {"max_cancellations_per_year": 2}}, "retention.month_free_max_credit: "),
        (
            {"retention": {"offers": [{"offer": "free_phone"}]}},
            "retention.offers.0.offer: unknown offer 'free_phone'",
        ),
        (
            {"retention": {"offers": [{"offer": "month_free", "reasons": ["bored"]}]}},
            "retention.offers.0.reasons.0: unknown reason 'bored'",
        ),
        (
            {"retention": {"offers": [{"offer": "switch_to_basic", "plans": ["basic"]}]}},
            "retention.offers.0.plans: switch_to_basic needs plans without basic",
        ),
        ({"claims": {}, "activation": {"terms_version": "v 1"}}, "activation.terms_version: "),
        ({"claims": {}, "activation": {"terms_version": ""}}, "activation.terms_version: "),
    ],
)
def test_a_bad_key_is_named_with_its_reason(raw: object, problem: str) -> None:
    with pytest.raises(LifecycleConfigError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        parse_config(raw)


def test_an_unreadable_file_says_so(tmp_path: Path) -> None:
    broken = tmp_path / "lifecycle.yml"
    broken.write_text("claims: [", encoding="utf-8")
    with pytest.raises(LifecycleConfigError, match="not valid YAML"):
        load_config(broken)
    with pytest.raises(LifecycleConfigError, match="cannot be read"):
        load_config(tmp_path / "missing.yml")


@pytest.mark.parametrize(
    ("said", "kind"),
    [
        ("someone stole my phone with its cracked screen", "theft"),
        ("I dropped it in the bath", "water_damage"),
        ("I dropped it", None),
        ("it fell in water", "water_damage"),
        ("the display is shattered", "screen_damage"),
        ("it won’t turn on", "malfunction"),
        ("I lost it at the station", "loss"),
        ("hello", None),
    ],
)
def test_the_incident_type_is_read_from_its_usual_words(said: str, kind: str | None) -> None:
    assert incident_type(said) == kind


@pytest.mark.parametrize(
    ("said", "day"),
    [
        ("today", date(2026, 11, 30)),
        ("yesterday evening", date(2026, 11, 29)),
        ("3 days ago", date(2026, 11, 27)),
        ("last Friday", date(2026, 11, 27)),
        ("on Monday", date(2026, 11, 23)),
        ("on 20 November", date(2026, 11, 20)),
        ("the 20th of november", date(2026, 11, 20)),
        ("2026-11-02", date(2026, 11, 2)),
        ("20/11", date(2026, 11, 20)),
        ("on 24 December", date(2025, 12, 24)),
        ("2026-12-24", None),  # after today
        ("sometime last week", None),
    ],
)
def test_the_day_is_read_and_never_after_today(said: str, day: date | None) -> None:
    assert incident_day(said, TODAY) == day


def test_the_policy_is_picked_by_id_device_or_place() -> None:
    policies = [
        {"id": "POL-50011", "device": "Orbit 12 smartphone"},
        {"id": "POL-50012", "device": "Pulse 2 smartwatch"},
    ]
    assert chosen_policy("pol 50012", policies) == "POL-50012"
    assert chosen_policy("POL-59999", policies) is None
    assert chosen_policy("the orbit", policies) == "POL-50011"
    assert chosen_policy("the second one", policies) == "POL-50012"
    assert chosen_policy("my car", policies) is None


def test_the_action_server_refuses_to_start_on_a_bad_lifecycle_yml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "lifecycle.yml"
    bad.write_text("claims:\n  hand_over_incidents: [arson]\n", encoding="utf-8")
    monkeypatch.setattr(lifecycle_config_module, "DEFAULT_PATH", bad)
    lifecycle_config.cache_clear()
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "a" * 32)
    monkeypatch.setenv("IDENTITY_ADMIN_TOKEN", "b" * 32)
    monkeypatch.setenv("ASSISTANT_DATABASE_URL", f"sqlite:///{tmp_path / 'assistant.db'}")
    settings.cache_clear()
    try:
        assert action_server.main(["--port", "0"]) == 2
    finally:
        lifecycle_config.cache_clear()
        settings.cache_clear()
    assert "lifecycle.yml: claims.hand_over_incidents.0: unknown incident type 'arson'" in (
        capsys.readouterr().err
    )
