"""decide() with a controlled clock: quiet hours defer to the morning in the customer's
time zone, caps suppress, stop conditions suppress, an opted-out channel is skipped for
the next in the rule's order, and the hold-out group gets nothing."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from outreach.config import DEFAULT_PATH, OutreachConfig, parse_config
from outreach.consent import ConsentChange, ConsentState
from outreach.governance import Customer, Send, Signals, decide, in_holdout, time_zone

# Monday 30 November 2026, 12:00 UTC: 12:00 in London, 13:00 in Berlin, Paris, Madrid.
NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
NOAH = Customer(  # C-1001, London, every channel
    "C-1001", "London", "+447700998515", "+447700998515", "noah.obrien0@example.com"
)
MUNICH = Customer("C-1025", "München", "+491700000025", "+491700000025", "c25@example.com")
NO_CONSENT = ConsentState("C-1001")  # nothing recorded: service yes, marketing no


def config(**changes: Any) -> OutreachConfig:
    raw = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    raw["holdout_share"] = 0  # the hold-out is tested on its own
    raw.update(changes)
    return parse_config(raw)


CONFIG = config()
PAYMENT = CONFIG.rules["payment_failed"]  # whatsapp, email, voice; service


def consent(customer: str, *entries: tuple[str, str, bool]) -> ConsentState:
    return ConsentState.from_history(
        customer,
        [ConsentChange(customer, ch, p, yes, "test", NOON) for ch, p, yes in entries],  # type: ignore[arg-type]
    )


def run(
    when: datetime,
    customer: Customer = NOAH,
    rule: str = "payment_failed",
    state: ConsentState = NO_CONSENT,
    recent: tuple[Send, ...] = (),
    signals: Signals = Signals(),
    cfg: OutreachConfig = CONFIG,
) -> Any:
    return decide(cfg, cfg.rules[rule], customer, when, state, recent, signals)


def test_a_customer_with_nothing_against_it_gets_the_first_channel_with_disclosure() -> None:
    decision = run(NOON)
    assert (decision.action, decision.reason, decision.channel) == ("send", "allowed", "whatsapp")
    assert decision.disclose and decision.skipped == ()


def test_quiet_hours_defer_to_the_morning_in_the_customers_time_zone() -> None:
    evening = datetime(2026, 11, 30, 20, 30, tzinfo=UTC)  # 20:30 London, 21:30 Munich
    assert run(evening).action == "send"
    deferred = run(evening, MUNICH)
    assert (deferred.action, deferred.reason, deferred.channel) == (
        "defer",
        "quiet_hours",
        "whatsapp",
    )
    assert deferred.not_before == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # 08:00 in Munich
    # Asked again at that moment, it goes.
    assert run(deferred.not_before, MUNICH).action == "send"
    # Before the morning's end of quiet hours: the same day's 08:00.
    early = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)  # 06:30 London, 07:30 Munich
    assert run(early, MUNICH).not_before == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    assert run(early).not_before == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_quiet_hours_follow_summer_time() -> None:
    june_evening = datetime(2026, 6, 15, 19, 30, tzinfo=UTC)  # 21:30 in Munich (CEST)
    assert run(june_evening, MUNICH).not_before == datetime(2026, 6, 16, 6, 0, tzinfo=UTC)


def test_the_time_zone_comes_from_the_city_else_the_number_else_the_default() -> None:
    zones = CONFIG.time_zones
    assert str(time_zone(MUNICH, zones)) == "Europe/Berlin"
    assert str(time_zone(Customer("C-1", "Sevilla", "+34600000000"), zones)) == "Europe/Madrid"
    assert str(time_zone(Customer("C-1", None, None, "+33600000000"), zones)) == "Europe/Paris"
    assert str(time_zone(Customer("C-1", "Atlantis", "+1555"), zones)) == "Europe/London"


def test_the_cap_suppresses_the_third_message_of_a_day() -> None:
    sent = (
        Send(NOON - timedelta(hours=5), "whatsapp", "shipment_delayed"),
        Send(NOON - timedelta(hours=1), "email", "payment_failed"),
    )
    assert run(NOON, recent=sent[:1]).action == "send"
    third = run(NOON, recent=sent)
    assert (third.action, third.reason) == ("suppress", "cap:per_day")
    # A day later the first two no longer count for the day.
    assert run(NOON + timedelta(hours=23, minutes=1), recent=sent).action == "send"


def test_the_weekly_cap_counts_seven_days() -> None:
    sent = tuple(Send(NOON - timedelta(days=d, hours=2), "email", "x") for d in range(5))
    assert (run(NOON, recent=sent).reason) == "cap:per_week"
    assert run(NOON, recent=sent[:4]).action == "send"
    assert run(NOON + timedelta(days=3), recent=sent).action == "send"


def test_a_problem_resolved_before_the_send_suppresses_it() -> None:
    decision = run(NOON, signals=Signals(problem_resolved=True))
    assert (decision.action, decision.reason) == ("suppress", "stop:problem_resolved")


def test_a_customer_talking_to_an_agent_is_not_messaged() -> None:
    decision = run(NOON, signals=Signals(agent_holds_conversation=True))
    assert (decision.action, decision.reason) == ("suppress", "stop:agent_holds_conversation")


@pytest.mark.parametrize("signal", ["open_complaint", "never_automated_topic"])
def test_an_open_complaint_or_a_never_automated_topic_suppresses(signal: str) -> None:
    decision = run(NOON, signals=Signals(**{signal: True}))
    assert (decision.action, decision.reason) == ("suppress", f"stop:{signal}")


def test_a_recent_contact_about_it_suppresses_within_the_rules_hours() -> None:
    recently = run(NOON, signals=Signals(last_contact_at=NOON - timedelta(hours=23)))
    assert recently.reason == "stop:contacted_recently"
    assert run(NOON, signals=Signals(last_contact_at=NOON - timedelta(hours=25))).action == "send"


def test_a_stop_condition_the_rule_does_not_name_is_not_checked() -> None:
    topic = Signals(never_automated_topic=True)  # activation_reminder does not name it
    assert run(NOON, rule="activation_reminder", signals=topic).action == "send"


@pytest.mark.parametrize(
    ("rule", "signals", "reason"),
    [
        ("activation_reminder", Signals(problem_resolved=True), "stop:problem_resolved"),
        ("activation_reminder", Signals(open_complaint=True), "stop:open_complaint"),
        ("at_risk_checkin", Signals(problem_resolved=True), "stop:problem_resolved"),
        ("at_risk_checkin", Signals(never_automated_topic=True), "stop:never_automated_topic"),
        (
            "at_risk_checkin",
            Signals(last_contact_at=NOON - timedelta(days=6)),
            "stop:contacted_recently",
        ),
    ],
)
def test_the_condition_rules_stop_when_resolved_or_left_alone(
    rule: str, signals: Signals, reason: str
) -> None:
    """An activated policy, a customer no longer at risk, a complaint, a topic on file."""
    marketing = consent("C-1001", ("email", "marketing", True))
    assert run(NOON, rule=rule, state=marketing).action == "send"
    decision = run(NOON, rule=rule, state=marketing, signals=signals)
    assert (decision.action, decision.reason) == ("suppress", reason)


def test_an_opted_out_channel_is_skipped_for_the_next_in_the_rules_order() -> None:
    state = consent("C-1001", ("whatsapp", "service", False))
    decision = run(NOON, state=state)
    assert (decision.action, decision.channel) == ("send", "email")
    assert decision.skipped == (("whatsapp", "consent"),)
    everywhere = consent("C-1001", *[(ch, "service", False) for ch in PAYMENT.channels])
    assert (run(NOON, state=everywhere).action, run(NOON, state=everywhere).reason) == (
        "suppress",
        "consent",
    )


def test_a_channel_without_an_address_is_skipped() -> None:
    email_only = Customer("C-1002", "Leeds", email="c2@example.com")
    decision = run(NOON, email_only)
    assert decision.channel == "email"
    assert decision.skipped == (("whatsapp", "no_address"),)
    nowhere = run(NOON, Customer("C-1003", "Leeds"))
    assert (nowhere.action, nowhere.reason) == ("suppress", "no_channel")


def test_marketing_needs_an_opt_in_on_the_channel() -> None:
    assert run(NOON, rule="at_risk_checkin").reason == "consent"
    opted_in = consent("C-1001", ("whatsapp", "marketing", True))
    decision = run(NOON, rule="at_risk_checkin", state=opted_in)
    assert (decision.channel, decision.skipped) == ("whatsapp", (("email", "consent"),))


def test_the_hold_out_group_is_chosen_by_id_the_same_way_every_time() -> None:
    shipped = config(holdout_share=0.1)
    held = run(NOON, Customer("C-1007", "Leeds", "+447700954676"), cfg=shipped)
    assert (held.action, held.reason) == ("suppress", "holdout")
    assert run(NOON, cfg=shipped).action == "send"  # C-1001 is not held out
    ids = [f"C-{n}" for n in range(10000, 30000)]
    share = sum(in_holdout(i, 0.1) for i in ids) / len(ids)
    assert 0.09 < share < 0.11
    assert not any(in_holdout(i, 0) for i in ids)


def test_the_disclosure_goes_with_the_first_message_or_every_one() -> None:
    earlier = (Send(NOON - timedelta(days=3), "email", "shipment_delayed"),)
    assert not run(NOON, recent=earlier).disclose
    every = config(
        disclosure={"response": "utter_outreach_disclosure", "send_with": "every_message"}
    )
    assert run(NOON, recent=earlier, cfg=every).disclose


def test_a_clock_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        run(NOON.replace(tzinfo=None))
