"""metrics.yml and the analytics service's settings: a bad value stops the start, naming
the key and the reason."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from analytics.metrics_config import MetricsConfigError, load_metrics_config, parse_metrics_config
from analytics.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "analytics-test-token"


def shipped() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "metrics.yml").read_text())


def test_the_shipped_metrics_yml_loads() -> None:
    config = load_metrics_config(ROOT / "metrics.yml")
    assert config.first_contact_resolution_days == 7
    assert config.completes("check_order_status", "answered")
    assert not config.completes("check_order_status", "not_found")
    assert not config.completes("verify_identity", "verified")  # a step, not a goal
    assert [s.step for s in config.funnels["update_payment_method"]] == [
        "asked",
        "verified",
        "link_sent",
    ]


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"goals": {"check_order_status": {"completed": ["solved"]}}}, "goals.check_order_status"),
        ({"goals": {"check_order_status": {"completed": []}}}, "goals.check_order_status"),
        ({"goals": {}}, "goals"),
        ({"goals": {"Bad Goal": {"completed": ["done"]}}}, "goals"),
        ({"first_contact_resolution_days": 0}, "first_contact_resolution_days"),
        ({"abandoned_after_minutes": "soon"}, "abandoned_after_minutes"),
        ({"costs": {"compute_per_turn": -1}}, "costs.compute_per_turn"),
        ({"costs": {"channels": {"twilio": {"per_sms": 1}}}}, "costs.channels.twilio.per_sms"),
        ({"costs": {"currency": "euro"}}, "costs.currency"),
        ({"version": 2}, "version"),
        ({"dashboards": {}}, "dashboards"),
        ({"funnels": {"check_invoice": [{"step": "asked", "goal": "check_invoice"}]}}, "funnels"),
        (
            {"funnels": {"check_invoice": [{"step": "a", "goal": "check_invoice"}] * 2}},
            "funnels",
        ),
        (
            {
                "funnels": {
                    "check_invoice": [{"step": "a", "goal": "x"}, {"step": "b", "goal": "y"}]
                }
            },
            "funnels",
        ),
        (
            {"funnels": {"x": [{"step": "a", "goal": "x", "results": ["won"]}] * 2}},
            "funnels.x.0.results.0",
        ),
        ({"funnels": {"x": [{"step": "a", "goal": "x", "after": 1}] * 2}}, "funnels.x.0.after"),
    ],
)
def test_a_bad_metrics_yml_names_the_key(change: dict[str, Any], key: str) -> None:
    with pytest.raises(MetricsConfigError, match=rf"metrics.yml: {key}\b"):
        parse_metrics_config({**shipped(), **change})


def test_metrics_yml_that_is_not_a_mapping_or_not_yaml(tmp_path: Path) -> None:
    with pytest.raises(MetricsConfigError, match="mapping"):
        parse_metrics_config(["goals"])
    broken = tmp_path / "metrics.yml"
    broken.write_text("goals: [\n")
    with pytest.raises(MetricsConfigError, match="not valid YAML"):
        load_metrics_config(broken)
    with pytest.raises(MetricsConfigError, match="cannot be read"):
        load_metrics_config(tmp_path / "missing.yml")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ANALYTICS_DATABASE_URL", "not a url"),
        ("EVENT_BROKER_URL", "://"),
        ("ANALYTICS_API_TOKEN", "short"),
        ("ANALYTICS_POLL_SECONDS", "0"),
        ("ANALYTICS_BATCH_SIZE", "many"),
        ("ANALYTICS_RATE_LIMIT", "often"),
        ("ANALYTICS_RABBITMQ_URL", "http://127.0.0.1:5672/"),
        ("ANALYTICS_RABBITMQ_URL", "amqp:///"),
        ("ANALYTICS_RABBITMQ_QUEUE", "events; drop"),
    ],
)
def test_a_bad_setting_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({"ANALYTICS_API_TOKEN": TOKEN, name: value}, SettingsError)


def test_the_token_is_required_and_never_shown() -> None:
    with pytest.raises(SettingsError, match="ANALYTICS_API_TOKEN is not set"):
        Settings.from_env({}, SettingsError)
    with pytest.raises(SettingsError, match="ANALYTICS_API_TOKEN") as refused:
        Settings.from_env({"ANALYTICS_API_TOKEN": "too-short-1"}, SettingsError)
    assert "too-short-1" not in str(refused.value)


def test_the_rabbitmq_path_is_off_by_default_and_its_password_never_shown() -> None:
    assert Settings.from_env({"ANALYTICS_API_TOKEN": TOKEN}).rabbitmq_url == ""
    given = Settings.from_env(
        {"ANALYTICS_API_TOKEN": TOKEN, "ANALYTICS_RABBITMQ_URL": "amqps://u:p@mq:5671/vh"}
    )
    assert (given.rabbitmq_url, given.rabbitmq_queue) == (
        "amqps://u:p@mq:5671/vh",
        "switchboard_events",
    )
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(
            {"ANALYTICS_API_TOKEN": TOKEN, "ANALYTICS_RABBITMQ_URL": "amqx://u:hunter2@mq/"},
            SettingsError,
        )
    assert "hunter2" not in str(refused.value)


def test_the_service_does_not_start_with_a_bad_metrics_yml(tmp_path: Path) -> None:
    bad = tmp_path / "metrics.yml"
    bad.write_text(yaml.safe_dump({**shipped(), "abandoned_after_minutes": -5}))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ANALYTICS_API_TOKEN": TOKEN,
        "ANALYTICS_METRICS_FILE": str(bad),
        "ANALYTICS_DATABASE_URL": f"sqlite:///{tmp_path / 'analytics.db'}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "analytics", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert "metrics.yml: abandoned_after_minutes" in done.stderr
