"""deploy/ cannot drift from the code: every Compose service is given exactly the
environment stack/config.py gives it, secrets only through its env file, and Rasa's
scaled endpoints load with Rasa's own reader (issue #16)."""

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.core.utils import AvailableEndpoints

from stack.config import SERVICE_SECRETS, StackConfig, StackSettings, load_config
from stack.processes import ROOT

DEPLOY = ROOT / "deploy"
ENDPOINTS = DEPLOY / "endpoints.scaled.yml"

# Each Compose service and the function of stack/config.py that lists its environment.
SERVICES: dict[str, Callable[[StackConfig], dict[str, str]]] = {
    "rasa": StackConfig.rasa_env,
    "actions": StackConfig.action_env,
    "backend": StackConfig.backend_env,
    "desk": StackConfig.desk_env,
    "memory": StackConfig.memory_env,
    "analytics": StackConfig.analytics_env,
    "outreach": StackConfig.outreach_env,
}
# Rasa's API token goes on its command line in the stack (rasa_argv); in a container
# it comes from the env file so that the command line does not hold it.
RASA_COMMAND_LINE = {"RASA_API_TOKEN"}
# What several Rasa processes share besides stack/config.py's environment (the scaled
# profile's rasa_env, stack/scaled.py): Redis URLs, which carry Redis's password.
SHARED_BY_REPLICAS = {"SWITCHBOARD_RATE_LIMIT_STORAGE", "SWITCHBOARD_WEBCHAT_REDIS_URL"}


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yml").read_text())


def env_file_names(path: Path) -> set[str]:
    lines = path.read_text().splitlines()
    return {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}


def config() -> StackConfig:
    """The stack's configuration with every deployer's secret set."""
    return load_config({name: "set" for names in SERVICE_SECRETS.values() for name in names})


def secret_names(stack: StackConfig) -> set[str]:
    """Names whose values are secrets: tokens and secrets, and database URLs (they
    carry a password once they point at PostgreSQL)."""
    marked = {
        field.field_info.extra["env"]
        for field in StackSettings.__fields__.values()
        if field.field_info.extra.get("secret")
    }
    everything = {k: v for env in SERVICES.values() for k, v in env(stack).items()}
    urls = {name for name, value in everything.items() if value.startswith("sqlite:")}
    tokens = {
        n
        for n in {*everything, *endpoint_variables()}
        if re.search(r"(TOKEN|SECRETS?|PASSWORD)$", n)
    }
    return marked | urls | tokens | RASA_COMMAND_LINE | SHARED_BY_REPLICAS


def endpoint_variables() -> set[str]:
    return set(re.findall(r"\$\{(\w+)\}", ENDPOINTS.read_text()))


def given(service: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The names a Compose service sets inline and those its env files (the committed
    .example of each) set."""
    inline = set(service.get("environment") or {})
    files: set[str] = set()
    for name in service.get("env_file") or []:
        files |= env_file_names(DEPLOY / f"{name}.example")
    return inline, files


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_gets_exactly_what_stack_config_gives_it(name: str) -> None:
    stack = config()
    needed = set(SERVICES[name](stack))
    if name == "rasa":
        needed |= endpoint_variables() | RASA_COMMAND_LINE | SHARED_BY_REPLICAS
    inline, files = given(compose()["services"][name])
    assert inline & files == set(), "set twice"
    assert needed - (inline | files) == set(), "missing"
    assert (inline | files) - needed == set(), "unknown to the service"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_secrets_are_never_inline(name: str) -> None:
    inline, files = given(compose()["services"][name])
    secrets = secret_names(config())
    assert inline & secrets == set()
    assert files <= secrets, "a non-secret value in the env file: set it in compose.yml"


def test_the_other_services_take_their_passwords_from_compose_secrets() -> None:
    services = compose()["services"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD_FILE"].startswith("/run/")
    assert "redis_password" in services["redis"]["secrets"]
    assert "PASSWORD" not in str(services["redis"]["command"]).replace("redis_password", "")


def test_the_scaled_endpoints_load_with_rasas_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in endpoint_variables():
        monkeypatch.setenv(variable, f"sqlite:///{variable}")
    endpoints = AvailableEndpoints.read_endpoints(str(ENDPOINTS))
    assert endpoints.lock_store.type == "redis"
    assert endpoints.lock_store.url == "redis"  # the Compose service
    assert endpoints.tracker_store.type == "tracker_store.sql.DurableSQLTrackerStore"
    # Several writers: the cache is checked against the database on every turn.
    assert endpoints.tracker_store.kwargs["cache_conversations"] > 0
    assert endpoints.event_broker.type == "analytics.broker.UrlSQLEventBroker"
    assert endpoints.action.headers["Authorization"].startswith("Bearer ")


def test_compose_sends_rasa_to_the_scaled_endpoints_and_the_balancer_to_its_config() -> None:
    services = compose()["services"]
    assert "deploy/endpoints.scaled.yml" in str(services["rasa"]["command"])
    assert services["rasa"]["environment"]["ACTION_SERVER_URL"] == "http://balancer:5055/webhook"
    assert "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in services["balancer"]["volumes"]


def test_helm_values_and_manifests_parse() -> None:
    for path in [DEPLOY / "helm" / "values.yaml", *sorted((DEPLOY / "kubernetes").glob("*.yaml"))]:
        assert all(doc is not None for doc in yaml.safe_load_all(path.read_text())), path


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed")
def test_the_balancers_config_passes_haproxys_check() -> None:
    result = subprocess.run(
        ["haproxy", "-c", "-f", str(DEPLOY / "haproxy.cfg")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def kubernetes() -> dict[str, dict[str, Any]]:
    """The containers of deploy/kubernetes/'s Deployments, by service name."""
    docs = yaml.safe_load_all((DEPLOY / "kubernetes" / "switchboard.yaml").read_text())
    return {
        container["name"]: container
        for doc in docs
        if doc["kind"] == "Deployment"
        for container in doc["spec"]["template"]["spec"]["containers"]
    }


@pytest.mark.parametrize("name", sorted(set(SERVICES) - {"rasa"}))
def test_each_kubernetes_deployment_gets_exactly_what_stack_config_gives_it(name: str) -> None:
    container = kubernetes()[name]
    inline = {item["name"] for item in container["env"]}
    assert container["envFrom"] == [{"secretRef": {"name": f"switchboard-{name}"}}]
    files = env_file_names(DEPLOY / "secrets" / f"{name}.env.example")
    assert inline | files == set(SERVICES[name](config()))
    assert inline & secret_names(config()) == set()


def test_the_helm_values_give_rasa_what_stack_config_gives_it() -> None:
    values = yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())
    inline = {item["name"] for item in values["extraEnv"] if "value" in item}
    from_secret = {item["name"] for item in values["extraEnv"] if "valueFrom" in item}
    # Set by the chart itself: telemetry, the lock store's REDIS_* and its RASA_TOKEN.
    chart = {"RASA_TELEMETRY_ENABLED", "REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD"}
    needed = set(StackConfig.rasa_env(config()))
    assert inline | from_secret | chart == needed | {"REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD"}
    assert inline & secret_names(config()) == set()
    assert from_secret <= secret_names(config())
    assert values["applicationSettings"]["endpoints"]["lockStore"]["type"] == "redis"
    extra = values["applicationSettings"]["endpoints"]["additionalEndpoints"]
    scaled = yaml.safe_load(ENDPOINTS.read_text())
    for section in ("action_endpoint", "tracker_store", "event_broker"):
        assert extra[section] == scaled[section], section


@pytest.mark.skipif(
    shutil.which("docker-compose") is None, reason="docker-compose is not installed"
)
def test_compose_validates_the_file(tmp_path: Path) -> None:
    """`docker-compose config` on a copy whose env files are the examples."""
    copy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, copy)
    for example in (copy / "secrets").glob("*.env.example"):
        shutil.copy(example, example.with_suffix(""))
    for password in ("postgres_password", "redis_password"):
        (copy / "secrets" / password).write_text("example\n")
    result = subprocess.run(
        ["docker-compose", "-f", str(copy / "compose.yml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
