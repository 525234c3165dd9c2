"""outreach.yml: the shipped file is valid, and every malformed value is refused with
its key and reason (the start stops on it, `python -m outreach check` exits 2)."""

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from outreach.__main__ import main
from outreach.config import DEFAULT_PATH, OutreachConfigError, load_config, parse_config


def shipped() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def test_the_shipped_file_is_valid() -> None:
    config = load_config()
    rule = config.rules["payment_failed"]
    assert rule.trigger.key == "payment_failed"
    assert rule.channels == ["whatsapp", "email", "voice"]
    assert rule.stop_condition("contacted_recently").hours == 24  # type: ignore[union-attr]
    assert config.rules["activation_reminder"].trigger.days == 3
    assert config.rules["at_risk_checkin"].purpose == "marketing"
    assert config.quiet_hours.start.hour == 21


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(raw: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for key in parents:
            raw = raw[key]
        raw[last] = value

    return change


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def change(raw: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for key in parents:
            raw = raw[key]
        del raw[last]

    return change


PF = "rules.payment_failed"

REFUSALS = [
    (_set("version", 2), "version", "permitted: 1"),
    (_set("surprise", 1), "surprise", "extra fields not permitted"),
    (_drop("caps"), "caps", "field required"),
    (_set("quiet_hours.start", 1260), "quiet_hours.start", "quoted local time"),
    (_set("quiet_hours.end", "25:00"), "quiet_hours.end", "'HH:MM'"),
    (_set("quiet_hours.end", "21:00"), "quiet_hours", "same time"),
    (_set("caps.per_day", 0), "caps.per_day", "greater than or equal to 1"),
    (_set("caps.per_week", 1), "caps", "per_week is smaller than per_day"),
    (_set("caps.per_day", "lots"), "caps.per_day", "valid integer"),
    (_set("holdout_share", 0.7), "holdout_share", "less than or equal to 0.5"),
    (_set("holdout_share", -0.1), "holdout_share", "greater than or equal to 0"),
    (_set("disclosure.response", "Hello!"), "disclosure.response", "domain response name"),
    (_set("disclosure.send_with", "never"), "disclosure.send_with", "permitted"),
    (_set("time_zones.default", "Mars/Olympus"), "time_zones.default", "IANA time zone"),
    (_set("time_zones.cities.London", "Europe/Londres"), "time_zones.cities.London", "IANA"),
    (
        _set("time_zones.country_codes", {"44": "Europe/London"}),
        "time_zones.country_codes",
        "'+44'",
    ),
    (_set("rules", {}), "rules", "at least one rule"),
    (_set("rules.Payment-Failed", shipped()["rules"]["payment_failed"]), "rules", "rule name"),
    (_set(f"{PF}.trigger", {"event": "coupon_clicked"}), f"{PF}.trigger.event", "permitted"),
    (_set(f"{PF}.trigger", {}), f"{PF}.trigger", "exactly one of"),
    (
        _set(f"{PF}.trigger", {"event": "payment_failed", "lifecycle_stage": "at_risk"}),
        f"{PF}.trigger",
        "exactly one of",
    ),
    (_set(f"{PF}.trigger", {"condition": "pending_activation"}), f"{PF}.trigger", "days"),
    (_set(f"{PF}.trigger", {"event": "payment_failed", "days": 3}), f"{PF}.trigger", "days"),
    (
        _set(f"{PF}.trigger", {"condition": "pending_activation", "days": 0}),
        f"{PF}.trigger.days",
        "greater than or equal to 1",
    ),
    (
        _set(f"{PF}.trigger", {"lifecycle_stage": "vip"}),
        f"{PF}.trigger.lifecycle_stage",
        "permitted",
    ),
    (_set(f"{PF}.purpose", "sales"), f"{PF}.purpose", "permitted"),
    (_set(f"{PF}.channels", []), f"{PF}.channels", "at least 1"),
    (_set(f"{PF}.channels", ["sms"]), f"{PF}.channels.0", "permitted"),
    (_set(f"{PF}.channels", ["email", "email"]), f"{PF}.channels", "named twice"),
    (_set(f"{PF}.message", "utter_Outreach"), f"{PF}.message", "domain response name"),
    (_set(f"{PF}.message", "payment_failed"), f"{PF}.message", "domain response name"),
    (_set(f"{PF}.delay_minutes", -5), f"{PF}.delay_minutes", "greater than or equal to 0"),
    (_set(f"{PF}.delay_minutes", 20000), f"{PF}.delay_minutes", "less than or equal to"),
    (_set(f"{PF}.stop_when", ["weather_is_bad"]), f"{PF}.stop_when", "unknown stop condition"),
    (_set(f"{PF}.stop_when", ["contacted_recently"]), f"{PF}.stop_when", "takes {hours: N}"),
    (
        _set(f"{PF}.stop_when", [{"problem_resolved": {"hours": 2}}]),
        f"{PF}.stop_when",
        "other conditions take no options",
    ),
    (
        _set(f"{PF}.stop_when", [{"contacted_recently": {"hours": 0}}]),
        f"{PF}.stop_when",
        "contacted_recently.hours: ensure this value is greater than 0",
    ),
    (_set(f"{PF}.stop_when", [{"contacted_recently": 24}]), f"{PF}.stop_when", "as a mapping"),
    (
        _set(f"{PF}.stop_when", ["open_complaint", "open_complaint"]),
        f"{PF}.stop_when",
        "named twice",
    ),
    (_set(f"{PF}.stop_when", "open_complaint"), f"{PF}.stop_when", "a list"),
    (_drop(f"{PF}.whatsapp_template"), PF, "whatsapp_template: a rule with whatsapp"),
    (
        _set(f"{PF}.whatsapp_template", {"content_sid": "HX123", "variables": {}}),
        f"{PF}.whatsapp_template.content_sid",
        "HX and 32 hexadecimal digits",
    ),
    (
        _set(
            f"{PF}.whatsapp_template",
            {"content_sid": "HX" + "a" * 32, "variables": {"x": "record"}},
        ),
        f"{PF}.whatsapp_template.variables",
        "placeholder number",
    ),
    (
        _set(
            f"{PF}.whatsapp_template", {"content_sid": "HX" + "a" * 32, "variables": {"1": "name"}}
        ),
        f"{PF}.whatsapp_template.variables.1",
        "permitted",
    ),
]


@pytest.mark.parametrize("change,key,reason", REFUSALS, ids=[r[1] + ":" + r[2] for r in REFUSALS])
def test_a_bad_value_is_refused_naming_its_key_and_reason(
    change: Callable[[dict[str, Any]], None], key: str, reason: str
) -> None:
    raw = copy.deepcopy(shipped())
    change(raw)
    with pytest.raises(OutreachConfigError) as refused:
        parse_config(raw)
    lines = str(refused.value).splitlines()
    assert any(line.startswith(f"{key}: ") and reason in line for line in lines), lines


def test_every_problem_is_named_at_once() -> None:
    raw = copy.deepcopy(shipped())
    raw["holdout_share"] = 0.9
    raw["rules"]["shipment_delayed"]["purpose"] = "sales"
    with pytest.raises(OutreachConfigError) as refused:
        parse_config(raw)
    keys = [line.split(":")[0] for line in str(refused.value).splitlines()]
    assert keys == ["holdout_share", "rules.shipment_delayed.purpose"]


def test_a_file_that_is_not_a_mapping_or_not_yaml_is_refused(tmp_path: Path) -> None:
    listed = tmp_path / "list.yml"
    listed.write_text("- 1\n- 2\n")
    with pytest.raises(OutreachConfigError, match="expected a mapping"):
        load_config(listed)
    broken = tmp_path / "broken.yml"
    broken.write_text("rules: [unclosed\n")
    with pytest.raises(OutreachConfigError, match="not valid YAML"):
        load_config(broken)
    with pytest.raises(OutreachConfigError, match="cannot be read"):
        load_config(tmp_path / "missing.yml")


def test_the_check_command_exits_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = shipped()
    raw["caps"]["per_day"] = 0
    bad = tmp_path / "outreach.yml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True))
    assert main(["check", str(bad)], {}) == 2
    assert (
        "caps.per_day: ensure this value is greater than or equal to 1" in capsys.readouterr().err
    )
    assert main(["check"], {}) == 0


def test_the_stack_refuses_to_start_on_a_bad_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import stack.__main__ as stack_main
    from stack.config import load_config as stack_config

    def refuse() -> None:
        raise OutreachConfigError("caps.per_day: ensure this value is greater than or equal to 1")

    monkeypatch.setattr(stack_main, "channels_ready", lambda config: True)
    monkeypatch.setattr(stack_main, "load_outreach_config", refuse)
    monkeypatch.setattr(stack_main, "Supervisor", None)  # reached only if the check let it by
    assert stack_main.run(stack_config({})) == 2
    assert "outreach.yml: caps.per_day" in capsys.readouterr().err
