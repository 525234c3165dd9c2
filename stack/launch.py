"""How each of the stack's services is started from its configuration, and how its
readiness is seen."""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from stack.config import StackConfig
from stack.processes import Service, spawn, wait_ready

# Loading TensorFlow and the model takes Rasa most of a minute on two cores.
RASA_START_TIMEOUT = 300.0


@dataclass(frozen=True)
class Launch:
    """One service's command, environment and readiness probe."""

    name: str
    argv: list[str]
    ready_url: str
    url: str
    log_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = 180.0

    def spawn(self) -> Service:
        return spawn(self.name, self.argv, self.url, self.log_dir, self.env)

    def start(self) -> Service:
        """The service, once ready."""
        return wait_ready(self.spawn(), self.ready_url, self.timeout)


def backend(config: StackConfig) -> Launch:
    return Launch(
        "backend",
        config.backend_argv(),
        f"{config.backend_url}/health",
        config.backend_url,
        config.log_dir,
        config.backend_env(),
    )


def desk(config: StackConfig) -> Launch:
    return Launch(
        "desk",
        config.desk_argv(),
        f"{config.desk_url}/health",
        config.desk_url,
        config.log_dir,
        config.desk_env(),
    )


def memory(config: StackConfig) -> Launch:
    return Launch(
        "memory",
        config.memory_argv(),
        f"{config.memory_url}/health",
        config.memory_url,
        config.log_dir,
        config.memory_env(),
    )


def analytics(config: StackConfig) -> Launch:
    return Launch(
        "analytics",
        config.analytics_argv(),
        f"{config.analytics_url}/health",
        config.analytics_url,
        config.log_dir,
        config.analytics_env(),
    )


def outreach(config: StackConfig) -> Launch:
    return Launch(
        "outreach",
        config.outreach_argv(),
        f"{config.outreach_url}/health",
        config.outreach_url,
        config.log_dir,
        config.outreach_env(),
    )


def action_server(config: StackConfig) -> Launch:
    return Launch(
        "action-server",
        config.action_server_argv(),
        f"{config.action_url}/health",
        config.action_url,
        config.log_dir,
        config.action_env(),
    )


def rasa(config: StackConfig) -> Launch:
    """Rasa is ready once its internal listener answers: that opens after the public
    one, once the model is loaded."""
    return Launch(
        "rasa",
        config.rasa_argv(),
        f"{config.rasa_internal_url}/",
        config.rasa_url,
        config.log_dir,
        config.rasa_env(),
        timeout=RASA_START_TIMEOUT,
    )


# Backend, agent desk, memory, analytics, outreach, action server and Rasa, in the order
# they start.
STACK: list[Callable[[StackConfig], Launch]] = [
    backend,
    desk,
    memory,
    analytics,
    outreach,
    action_server,
    rasa,
]


def start_backend(config: StackConfig) -> Service:
    return backend(config).start()


def start_desk(config: StackConfig) -> Service:
    return desk(config).start()


def start_memory(config: StackConfig) -> Service:
    return memory(config).start()


def start_analytics(config: StackConfig) -> Service:
    return analytics(config).start()


def start_outreach(config: StackConfig) -> Service:
    return outreach(config).start()


def start_action_server(config: StackConfig) -> Service:
    return action_server(config).start()


def start_rasa(config: StackConfig) -> Service:
    return rasa(config).start()


def stop_all(services: list[Service]) -> None:
    """Stop services in the reverse order of their start."""
    for service in reversed(services):
        service.stop()


def start_in_order(
    starters: list[Callable[[StackConfig], Service]], config: StackConfig
) -> list[Service]:
    """Start services one after the other; if one fails, stop those already up."""
    services: list[Service] = []
    try:
        for starter in starters:
            services.append(starter(config))
    except BaseException:
        stop_all(services)
        raise
    return services


def start_stack(config: StackConfig) -> list[Service]:
    """Backend, agent desk, memory, analytics, outreach, action server and Rasa, in
    that order."""
    return start_in_order(
        [
            start_backend,
            start_desk,
            start_memory,
            start_analytics,
            start_outreach,
            start_action_server,
            start_rasa,
        ],
        config,
    )
