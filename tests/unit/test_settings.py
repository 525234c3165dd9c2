"""Runtime settings: defaults, parsing, and validation errors that name the variable."""

import pytest

from actions.settings import (
    BACKEND_CALL_BUDGET,
    Settings,
    SettingsError,
    load_settings,
    settings,
    worst_case_call_seconds,
)


def test_defaults():
    assert load_settings({}) == Settings(
        backend_url="http://127.0.0.1:8000",
        backend_connect_timeout=2.0,
        backend_read_timeout=5.0,
        backend_retries=1,
        integration_secret=None,
        verification_max_attempts=3,
    )


def test_empty_values_mean_the_default():
    empty = dict.fromkeys(
        (
            "BACKEND_URL",
            "BACKEND_CONNECT_TIMEOUT",
            "BACKEND_READ_TIMEOUT",
            "BACKEND_RETRIES",
            "SWITCHBOARD_INTEGRATION_SECRET",
            "VERIFICATION_MAX_ATTEMPTS",
        ),
        "",
    )
    assert load_settings(empty) == load_settings({})


def test_values_are_read_and_parsed():
    loaded = load_settings(
        {
            "BACKEND_URL": "https://crm.example.com/api/",
            "BACKEND_CONNECT_TIMEOUT": "0.5",
            "BACKEND_READ_TIMEOUT": "3",
            "BACKEND_RETRIES": "2",
            "SWITCHBOARD_INTEGRATION_SECRET": "s3cret",
            "VERIFICATION_MAX_ATTEMPTS": "5",
            "UNRELATED": "ignored",
        }
    )
    assert loaded == Settings(
        backend_url="https://crm.example.com/api",
        backend_connect_timeout=0.5,
        backend_read_timeout=3.0,
        backend_retries=2,
        integration_secret="s3cret",
        verification_max_attempts=5,
    )
    assert isinstance(loaded.backend_retries, int)
    assert isinstance(loaded.backend_read_timeout, float)


@pytest.mark.parametrize(
    "name,value,field,expected",
    [
        ("BACKEND_CONNECT_TIMEOUT", "10", "backend_connect_timeout", 10.0),
        ("BACKEND_CONNECT_TIMEOUT", "0.01", "backend_connect_timeout", 0.01),
        ("BACKEND_READ_TIMEOUT", "15", "backend_read_timeout", 15.0),
        ("BACKEND_RETRIES", "0", "backend_retries", 0),
        ("BACKEND_RETRIES", " 2 ", "backend_retries", 2),
        ("VERIFICATION_MAX_ATTEMPTS", "1", "verification_max_attempts", 1),
        ("VERIFICATION_MAX_ATTEMPTS", "10", "verification_max_attempts", 10),
        ("VERIFICATION_MAX_FAILURES", "1", "verification_max_failures", 1),
        ("VERIFICATION_MAX_FAILURES", "100", "verification_max_failures", 100),
        ("VERIFICATION_LOCK_MINUTES", "1", "verification_lock_minutes", 1),
        ("VERIFICATION_LOCK_MINUTES", "10080", "verification_lock_minutes", 10080),
        ("BACKEND_BREAKER_FAILURES", "1", "backend_breaker_failures", 1),
        ("BACKEND_BREAKER_COOL_OFF", "300", "backend_breaker_cool_off", 300.0),
        ("HANDOFF_READ_BUDGET", "0.1", "handoff_read_budget", 0.1),
        ("BACKEND_TURN_BUDGET", "0.5", "backend_turn_budget", 0.5),
        ("BACKEND_TURN_BUDGET", "12", "backend_turn_budget", 12.0),
        ("OUTBOX_POLL_SECONDS", "0.1", "outbox_poll_seconds", 0.1),
        ("OUTBOX_MAX_BACKOFF", "3600", "outbox_max_backoff", 3600.0),
        (
            "IDENTITY_ADMIN_RATE_LIMIT",
            "5/second;100/hour",
            "identity_admin_rate_limit",
            "5/second;100/hour",
        ),
        (
            "ASSISTANT_DATABASE_URL",
            "postgresql://sb:pw@db:5432/assistant",
            "assistant_database_url",
            "postgresql://sb:pw@db:5432/assistant",
        ),
        ("BACKEND_URL", "http://backend:8000", "backend_url", "http://backend:8000"),
        ("BACKEND_URL", "https://crm.example.com//", "backend_url", "https://crm.example.com"),
    ],
)
def test_boundary_values_are_accepted(name, value, field, expected):
    assert getattr(load_settings({name: value}), field) == expected


@pytest.mark.parametrize(
    "name,value,rule",
    [
        ("BACKEND_URL", "localhost:8000", "an http(s) URL"),
        ("BACKEND_URL", "ftp://crm.example.com", "an http(s) URL"),
        ("BACKEND_URL", "http://", "an http(s) URL"),
        ("BACKEND_URL", "crm.example.com", "an http(s) URL"),
        ("BACKEND_CONNECT_TIMEOUT", "0", "seconds between 0 and 10"),
        ("BACKEND_CONNECT_TIMEOUT", "-1", "seconds between 0 and 10"),
        ("BACKEND_CONNECT_TIMEOUT", "10.5", "seconds between 0 and 10"),
        ("BACKEND_CONNECT_TIMEOUT", "two", "seconds between 0 and 10"),
        ("BACKEND_CONNECT_TIMEOUT", "nan", "seconds between 0 and 10"),
        ("BACKEND_READ_TIMEOUT", "0", "seconds between 0 and 15"),
        ("BACKEND_READ_TIMEOUT", "16", "seconds between 0 and 15"),
        ("BACKEND_READ_TIMEOUT", "inf", "seconds between 0 and 15"),
        ("BACKEND_READ_TIMEOUT", "5s", "seconds between 0 and 15"),
        ("BACKEND_RETRIES", "3", "a whole number from 0 to 2"),
        ("BACKEND_RETRIES", "-1", "a whole number from 0 to 2"),
        ("BACKEND_RETRIES", "1.5", "a whole number from 0 to 2"),
        ("BACKEND_RETRIES", "once", "a whole number from 0 to 2"),
        ("VERIFICATION_MAX_ATTEMPTS", "0", "a whole number from 1 to 10"),
        ("VERIFICATION_MAX_ATTEMPTS", "11", "a whole number from 1 to 10"),
        ("VERIFICATION_MAX_ATTEMPTS", "three", "a whole number from 1 to 10"),
        ("VERIFICATION_MAX_FAILURES", "0", "a whole number from 1 to 100"),
        ("VERIFICATION_MAX_FAILURES", "101", "a whole number from 1 to 100"),
        ("VERIFICATION_MAX_FAILURES", "five", "a whole number from 1 to 100"),
        ("VERIFICATION_LOCK_MINUTES", "0", "a whole number of minutes from 1 to 10080 (a week)"),
        (
            "VERIFICATION_LOCK_MINUTES",
            "10081",
            "a whole number of minutes from 1 to 10080 (a week)",
        ),
        ("VERIFICATION_LOCK_MINUTES", "1.5", "a whole number of minutes from 1 to 10080 (a week)"),
        ("IDENTITY_ADMIN_RATE_LIMIT", "often", "a rate such as 60/minute"),
        ("BACKEND_BREAKER_FAILURES", "0", "a whole number from 1 to 50"),
        ("BACKEND_BREAKER_FAILURES", "51", "a whole number from 1 to 50"),
        ("BACKEND_BREAKER_COOL_OFF", "0", "seconds from 0.1 to 300"),
        ("BACKEND_BREAKER_COOL_OFF", "301", "seconds from 0.1 to 300"),
        ("BACKEND_BREAKER_COOL_OFF", "nan", "seconds from 0.1 to 300"),
        ("HANDOFF_READ_BUDGET", "0.05", "seconds from 0.1 to 10"),
        ("HANDOFF_READ_BUDGET", "11", "seconds from 0.1 to 10"),
        ("BACKEND_TURN_BUDGET", "0.4", "seconds from 0.5 to 12"),
        ("BACKEND_TURN_BUDGET", "13", "seconds from 0.5 to 12"),
        ("BACKEND_TURN_BUDGET", "nan", "seconds from 0.5 to 12"),
        ("OUTBOX_POLL_SECONDS", "0", "seconds from 0.1 to 60"),
        ("OUTBOX_MAX_BACKOFF", "0.5", "seconds from 1 to 3600"),
        ("OUTBOX_MAX_BACKOFF", "inf", "seconds from 1 to 3600"),
        (
            "ASSISTANT_DATABASE_URL",
            "not a url",
            "an SQLAlchemy database URL such as sqlite:///var/assistant.db",
        ),
    ],
)
def test_invalid_values_name_the_variable_value_and_rule(name, value, rule):
    with pytest.raises(SettingsError) as caught:
        load_settings({name: value})
    assert str(caught.value) == f"{name}={value!r}: expected {rule}"


def test_settings_error_is_a_value_error():
    assert issubclass(SettingsError, ValueError)


def test_timeouts_that_could_outlast_the_lock_are_refused():
    env = {"BACKEND_CONNECT_TIMEOUT": "10", "BACKEND_READ_TIMEOUT": "15", "BACKEND_RETRIES": "2"}
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    message = str(caught.value)
    for name in ("BACKEND_CONNECT_TIMEOUT", "BACKEND_READ_TIMEOUT", "BACKEND_RETRIES"):
        assert name in message
    assert "75.6 s" in message


def test_worst_case_call_time():
    assert worst_case_call_seconds(2.0, 5.0, 1) == pytest.approx(14.2)
    assert worst_case_call_seconds(2.0, 5.0, 0) == pytest.approx(7.0)
    assert worst_case_call_seconds(10.0, 15.0, 2) == pytest.approx(75.6)
    assert worst_case_call_seconds(2.0, 5.0, 1) <= BACKEND_CALL_BUDGET < 60


def test_largest_timeouts_without_retries_are_accepted():
    loaded = load_settings(
        {"BACKEND_READ_TIMEOUT": "15", "BACKEND_CONNECT_TIMEOUT": "10", "BACKEND_RETRIES": "0"}
    )
    assert (loaded.backend_connect_timeout, loaded.backend_read_timeout) == (10.0, 15.0)


def test_the_process_settings_come_from_the_environment_once(monkeypatch):
    settings.cache_clear()
    try:
        monkeypatch.setenv("BACKEND_URL", "http://backend:9000/")
        monkeypatch.setenv("VERIFICATION_MAX_ATTEMPTS", "4")
        monkeypatch.delenv("SWITCHBOARD_INTEGRATION_SECRET", raising=False)
        first = settings()
        assert first.backend_url == "http://backend:9000"
        assert first.verification_max_attempts == 4
        assert first.integration_secret is None
        monkeypatch.setenv("VERIFICATION_MAX_ATTEMPTS", "7")
        assert settings() is first  # read once
        settings.cache_clear()
        assert settings().verification_max_attempts == 7
    finally:
        settings.cache_clear()


def test_invalid_environment_fails_at_start(monkeypatch):
    settings.cache_clear()
    try:
        monkeypatch.setenv("BACKEND_RETRIES", "9")
        with pytest.raises(SettingsError, match="BACKEND_RETRIES"):
            settings()
    finally:
        settings.cache_clear()
