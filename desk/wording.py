"""What the customer sees when an agent moves (joins, hands back, closes): templates
in the desk's settings file, checked at start so a misspelt placeholder stops the
desk instead of reaching a customer."""

from string import Formatter

from pydantic import BaseModel, Extra, constr, validator

# The placeholders a template may use, and what fills them.
PLACEHOLDERS: frozenset[str] = frozenset({"agent"})  # the agent's name


class AgentWording(BaseModel):
    """One template per move that tells the customer something."""

    joined: constr(strip_whitespace=True, min_length=1)  # type: ignore[valid-type]
    handed_back: constr(strip_whitespace=True, min_length=1)  # type: ignore[valid-type]
    closed: constr(strip_whitespace=True, min_length=1)  # type: ignore[valid-type]

    class Config:
        extra = Extra.forbid

    @validator("joined", "handed_back", "closed")
    def _known_placeholders(cls, value: str) -> str:
        try:
            named = {field for _, field, _, _ in Formatter().parse(value) if field is not None}
        except ValueError as error:
            raise ValueError(f"{value!r} is not a template: {error}") from None
        unknown = named - PLACEHOLDERS
        if unknown:
            raise ValueError(
                f"unknown placeholder {{{sorted(unknown)[0]}}}; a template may use {{agent}}"
            )
        return value

    def say(self, move: str, agent: str) -> str:
        """The move's text with the agent's name filled in."""
        template: str = getattr(self, move)
        return template.format(agent=agent)
