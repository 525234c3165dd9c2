"""Whether a release's model still loads with the code installed now.

A model keeps what its components stored in the format of the code that trained it;
a component that since stores another format (new weights, renamed arrays) cannot
load it. Rolling back to such a release would stop the stack at its next start, so
the rollback checks first, by loading the model as the stack does.
"""

from pathlib import Path

from release.store import ReleaseError


def check_loads(model: Path) -> None:
    """Raises ReleaseError, naming the failure, if Rasa cannot load the model here."""
    from rasa.core.agent import Agent

    try:
        agent = Agent.load(str(model))
    except Exception as error:  # whatever stops the load, the stack could not serve it
        raise ReleaseError(f"its model does not load with this code: {error}") from error
    if not agent.is_ready():
        raise ReleaseError("its model does not load with this code")
