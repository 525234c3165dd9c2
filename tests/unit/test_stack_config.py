"""The stack's settings for its interfaces, the desk's secret and the restart backoff,
each checked before anything starts."""

import pytest

from desk.settings import SettingsError, load_settings
from stack.config import ConfigError, load_config
from stack.desk_endpoint import DeskEndpointConfigError, blueprint
from stack.processes import SCOPED_SECRETS, inherited


def test_defaults_keep_everything_on_loopback_and_the_desk_off_the_api_token() -> None:
    config = load_config({})
    assert config.rasa_url == "http://127.0.0.1:5005"
    assert config.rasa_internal_url == "http://127.0.0.1:5006"
    desk = config.desk_env()
    assert "RASA_API_TOKEN" not in desk and desk["RASA_URL"] == config.rasa_internal_url
    assert desk["SWITCHBOARD_DESK_RASA_SECRET"] == config.rasa_env()["SWITCHBOARD_DESK_RASA_SECRET"]
    assert len(config.desk_rasa_secret) >= 32
    assert "SWITCHBOARD_DESK_RASA_SECRET" not in config.env()  # not for the other services


def test_rasa_listens_publicly_for_channels_and_internally_for_its_api() -> None:
    config = load_config(
        {
            "SWITCHBOARD_PUBLIC_HOST": "0.0.0.0",
            "SWITCHBOARD_HOST": "10.0.0.5",
            "RASA_INTERNAL_PORT": "7006",
        }
    )
    argv = config.rasa_argv()
    assert argv[argv.index("--interface") + 1] == "0.0.0.0"
    assert argv[argv.index("--internal-interface") + 1] == "10.0.0.5"
    assert argv[argv.index("--internal-port") + 1] == "7006"
    assert config.rasa_url == "http://127.0.0.1:5005"  # how a local client reaches 0.0.0.0
    assert config.rasa_internal_url == "http://10.0.0.5:7006"


@pytest.mark.parametrize(
    "env,name",
    [
        ({"RASA_INTERNAL_PORT": "5005"}, "RASA_INTERNAL_PORT"),
        ({"RASA_INTERNAL_PORT": "http"}, "RASA_INTERNAL_PORT"),
        ({"SWITCHBOARD_RESTART_BACKOFF_SECONDS": "0"}, "SWITCHBOARD_RESTART_BACKOFF_SECONDS"),
        ({"SWITCHBOARD_RESTART_BACKOFF_SECONDS": "soon"}, "SWITCHBOARD_RESTART_BACKOFF_SECONDS"),
        ({"SWITCHBOARD_RESTART_BACKOFF_SECONDS": "600"}, "SWITCHBOARD_RESTART_BACKOFF_SECONDS"),
    ],
)
def test_a_bad_value_stops_the_start_naming_it(env: dict, name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_config(env)


@pytest.mark.parametrize(
    "env,name",
    [
        ({"SWITCHBOARD_DESK_RASA_SECRET": "too-short"}, "SWITCHBOARD_DESK_RASA_SECRET"),
        ({"SWITCHBOARD_DESK_RASA_RATE_LIMIT": "lots"}, "SWITCHBOARD_DESK_RASA_RATE_LIMIT"),
    ],
)
def test_rasa_does_not_start_with_a_bad_desk_endpoint_setting(env: dict, name: str) -> None:
    with pytest.raises(DeskEndpointConfigError, match=name):
        blueprint(env)


def test_the_desk_does_not_start_with_a_short_secret() -> None:
    env = {
        "DESK_INTEGRATION_TOKEN": "i",
        "RASA_URL": "http://127.0.0.1:5006",
        "SWITCHBOARD_DESK_RASA_SECRET": "short",
    }
    with pytest.raises(SettingsError, match="SWITCHBOARD_DESK_RASA_SECRET"):
        load_settings(env)


SECRETS_OF = {  # which service is given each secret the stack hands out
    "ACTION_SERVER_TOKEN": {"action-server", "rasa"},
    "DESK_INTEGRATION_TOKEN": {"action-server", "desk"},
    "IDENTITY_ADMIN_TOKEN": {"action-server", "desk"},
    "MEMORY_API_TOKEN": {"action-server", "desk", "memory", "outreach"},
    "ANALYTICS_API_TOKEN": {"analytics", "desk"},  # the desk: the dashboard, an erasure
    "RASA_API_TOKEN": {"memory", "outreach"},
    "BACKEND_LIST_TOKEN": {"backend", "outreach"},  # the outreach lists
    "SWITCHBOARD_DESK_RASA_SECRET": {"desk", "rasa"},
    "SWITCHBOARD_REST_JWT_SECRET": {"rasa"},
    "SWITCHBOARD_WEBCHAT_SECRET": {"rasa"},
    "BACKEND_ADMIN_TOKEN": {"backend"},
    "SWITCHBOARD_INTEGRATION_SECRET": {"action-server"},
    "CCAAS_WEBHOOK_SECRET": {"desk"},
    "MEMORY_EVENT_SECRETS": {"memory"},
    "TWILIO_AUTH_TOKEN": {"rasa", "outreach"},  # outreach: its calls (outreach/voice.py)
    "SWITCHBOARD_SMTP_PASSWORD": {"rasa"},
    "SWITCHBOARD_EMAIL_SECRET": {"rasa", "outreach"},
}


def test_each_secret_reaches_only_the_services_that_use_it() -> None:
    config = load_config({name: f"{name.lower()}-value" for name in SECRETS_OF})
    envs = {
        "backend": config.backend_env(),
        "action-server": config.action_env(),
        "desk": config.desk_env(),
        "memory": config.memory_env(),
        "analytics": config.analytics_env(),
        "outreach": config.outreach_env(),
        "rasa": config.rasa_env(),
    }
    for name, services in SECRETS_OF.items():
        given = {service for service, env in envs.items() if name in env}
        assert given == services, name
        assert all(
            envs[service][name] == getattr(config, name.lower(), None)
            or envs[service][name] == f"{name.lower()}-value"
            for service in services
        )
    # Nor are they inherited from the environment the stack was started in.
    assert set(SECRETS_OF) <= SCOPED_SECRETS
    assert not set(inherited(dict.fromkeys(SECRETS_OF, "x")))
    assert inherited({"PATH": "/usr/bin", "LANG": "C.UTF-8"}) == {
        "PATH": "/usr/bin",
        "LANG": "C.UTF-8",
    }
