"""schemathesis runs clean against the agent desk, signed in as a supervisor."""

from tests.support.schemathesis import schemathesis
from tests.support.services import Service

from .support import agent


def test_schemathesis_runs_clean_against_the_desk(desk: Service) -> None:
    supervisor = agent(desk.url, "Quinn", "supervisor")
    schemathesis(desk.url, {"Authorization": supervisor.session.headers["Authorization"]})
