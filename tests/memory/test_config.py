"""Who is given what: the memory alone holds Rasa's API token; its callers get its
URL and token; a bad memory setting names itself."""

import pytest

from memory.settings import SettingsError, load_settings
from stack.config import load_config

TOKEN = "t" * 24


def test_only_the_memory_holds_rasas_api_token() -> None:
    config = load_config({"RASA_API_TOKEN": "the-api-token"})
    assert config.memory_env()["RASA_API_TOKEN"] == "the-api-token"
    assert config.memory_env()["RASA_URL"] == config.rasa_internal_url
    for env in (config.env(), config.action_env(), config.desk_env(), config.rasa_env()):
        assert env.get("RASA_API_TOKEN") != "the-api-token"
    for env in (config.action_env(), config.desk_env()):
        assert env["MEMORY_URL"] == "http://127.0.0.1:8200"
        assert env["MEMORY_API_TOKEN"] == config.memory_api_token
    assert "MEMORY_API_TOKEN" not in config.rasa_env()
    assert config.memory_env()["MEMORY_DATABASE_URL"].endswith("var/memory.db")


@pytest.mark.parametrize(
    "env,name",
    [
        ({}, "MEMORY_API_TOKEN"),
        ({"MEMORY_DATABASE_URL": "not a url"}, "MEMORY_DATABASE_URL"),
        ({"MEMORY_EVENT_SECRETS": "Billing Dept=" + "s" * 40}, "MEMORY_EVENT_SECRETS"),
        ({"MEMORY_EVENT_SECRETS": "billing=short"}, "MEMORY_EVENT_SECRETS"),
        ({"MEMORY_EVENT_MAX_SKEW": "0"}, "MEMORY_EVENT_MAX_SKEW"),
        ({"MEMORY_RATE_LIMIT": "lots"}, "MEMORY_RATE_LIMIT"),
        ({"MEMORY_LIVE_MINUTES": "soon"}, "MEMORY_LIVE_MINUTES"),
        ({"MEMORY_JOURNEY_DAYS": "365"}, "MEMORY_JOURNEY_DAYS"),
    ],
)
def test_a_bad_setting_is_named(env: dict, name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({"MEMORY_API_TOKEN": TOKEN, **env} if name != "MEMORY_API_TOKEN" else env)


def test_several_sources_each_with_its_secret() -> None:
    settings = load_settings(
        {"MEMORY_API_TOKEN": TOKEN, "MEMORY_EVENT_SECRETS": f"billing={'b' * 32}, crm={'c' * 32}"}
    )
    assert settings.event_secrets == {"billing": "b" * 32, "crm": "c" * 32}
