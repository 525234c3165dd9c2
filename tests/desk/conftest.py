"""A real Rasa server (the trained model, its SQL tracker store, its token-protected
HTTP API) and desk processes talking to it, each on a free loopback port."""

import dataclasses
from collections.abc import Iterator

import pytest

from stack.config import isolated_config
from stack.launch import start_rasa
from tests.support.services import Service, free_port
from tests.support.stack import DeskClient

from .support import DESK_RASA_SECRET, RASA_TOKEN, RasaApi, agent, integration, start_desk


@pytest.fixture(scope="session")
def rasa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RasaApi]:
    config = dataclasses.replace(
        isolated_config(tmp_path_factory.mktemp("rasa"), rasa_api_token=RASA_TOKEN),
        desk_rasa_secret=DESK_RASA_SECRET,
    )
    if not config.model.exists():
        pytest.fail(f"No trained model at {config.model}: `make test` trains it first.")
    service = start_rasa(config)
    yield RasaApi(config.rasa_internal_url, config.rest_jwt_secret, config.rasa_url)
    service.stop()


@pytest.fixture(scope="session")
def desk(tmp_path_factory: pytest.TempPathFactory, rasa: RasaApi) -> Iterator[Service]:
    service = start_desk("desk", tmp_path_factory.mktemp("desk"), rasa.url)
    yield service
    service.stop()


@pytest.fixture(scope="session")
def action_server(desk: Service) -> DeskClient:
    """The desk as the action server calls it."""
    return integration(desk.url)


@pytest.fixture(scope="session")
def dana(desk: Service) -> DeskClient:
    return agent(desk.url, "Dana")


@pytest.fixture(scope="session")
def sam(desk: Service) -> DeskClient:
    return agent(desk.url, "Sam")


@pytest.fixture(scope="module")
def desk_without_rasa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A desk whose Rasa is not running: nothing listens on its port."""
    service = start_desk(
        "desk-without-rasa", tmp_path_factory.mktemp("offline"), f"http://127.0.0.1:{free_port()}"
    )
    yield service
    service.stop()
