"""Start each of the stack's services from its configuration, ready to use."""

from typing import Callable, List

from stack.config import StackConfig
from stack.processes import Service, start_service

# Loading TensorFlow and the model takes Rasa most of a minute on two cores.
RASA_START_TIMEOUT = 300.0


def start_backend(config: StackConfig) -> Service:
    return start_service("backend", config.backend_argv(), f"{config.backend_url}/health",
                         config.backend_url, config.log_dir, config.env())


def start_desk(config: StackConfig) -> Service:
    return start_service("desk", config.desk_argv(), f"{config.desk_url}/health",
                         config.desk_url, config.log_dir, config.desk_env())


def start_action_server(config: StackConfig) -> Service:
    return start_service("action-server", config.action_server_argv(),
                         f"{config.action_url}/health", config.action_url, config.log_dir,
                         config.env())


def start_rasa(config: StackConfig) -> Service:
    """Rasa is ready once its REST channel answers: the model is loaded by then."""
    return start_service("rasa", config.rasa_argv(), f"{config.rasa_url}/webhooks/rest/",
                         config.rasa_url, config.log_dir, config.rasa_env(),
                         timeout=RASA_START_TIMEOUT)


def stop_all(services: List[Service]) -> None:
    """Stop services in the reverse order of their start."""
    for service in reversed(services):
        service.stop()


def start_in_order(starters: List[Callable[[StackConfig], Service]],
                   config: StackConfig) -> List[Service]:
    """Start services one after the other; if one fails, stop those already up."""
    services: List[Service] = []
    try:
        for starter in starters:
            services.append(starter(config))
    except BaseException:
        stop_all(services)
        raise
    return services


def start_stack(config: StackConfig) -> List[Service]:
    """Backend, agent desk, action server and Rasa, in that order."""
    return start_in_order([start_backend, start_desk, start_action_server, start_rasa], config)
