"""Conversations as Rasa's event broker publishes them, built with Rasa's own event
classes (so the dicts have the shape the consumer reads in production)."""

from typing import Any

from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)

T0 = 1_764_460_800.0  # 2025-11-30 00:00 UTC


class Script:
    """One conversation's events, each a few seconds after the last."""

    def __init__(self, sender: str, channel: str = "rest", at: float = T0) -> None:
        self.sender = sender
        self.channel = channel
        self.at = at
        self.outcomes: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []

    def _add(self, event: Event, seconds: float = 2.0) -> "Script":
        self.at += seconds
        event.timestamp = self.at
        self.events.append({"sender_id": self.sender, **event.as_dict()})
        return self

    def start(self) -> "Script":
        self.outcomes = []  # slots do not carry over into a new session (domain.yml)
        self._add(ActionExecuted("action_session_start"))
        return self._add(SessionStarted())

    def user(self, intent: str, text: str = "…") -> "Script":
        return self._add(
            UserUttered(text, {"name": intent, "confidence": 0.99}, input_channel=self.channel)
        )

    def bot(self, text: str = "…") -> "Script":
        return self._add(BotUttered(text))

    def outcome(
        self, goal: str, result: str, record: str | None = None, detail: dict | None = None
    ) -> "Script":
        self.outcomes = [
            *self.outcomes,
            {
                "action": "action_x",
                "goal": goal,
                "result": result,
                "record": record,
                "detail": detail or {},
                "at": self.at,
            },
        ]
        return self._add(SlotSet("outcomes", self.outcomes))

    def pause(self) -> "Script":
        return self._add(ConversationPaused())

    def idle(self, seconds: float) -> "Script":
        self.at += seconds
        return self


def resolved_order(sender: str = "c-resolved", channel: str = "rest", at: float = T0) -> Script:
    return (
        Script(sender, channel, at)
        .start()
        .user("check_order_status")
        .bot()
        .user("inform")
        .outcome("verify_identity", "verified")
        .outcome("check_order_status", "answered")
        .bot()
    )


def handed_over(sender: str = "c-handover", channel: str = "rest", at: float = T0) -> Script:
    return (
        Script(sender, channel, at)
        .start()
        .user("request_human")
        .outcome("hand_over", "handed_over")
        .bot()
        .pause()
    )


def abandoned(sender: str = "c-abandoned", channel: str = "rest", at: float = T0) -> Script:
    return Script(sender, channel, at).start().user("check_claim_status").bot()


def contained(sender: str = "c-contained", channel: str = "rest", at: float = T0) -> Script:
    return Script(sender, channel, at).start().user("greet").bot().user("goodbye").bot()


def fraud_handover(sender: str = "c-fraud", at: float = T0, handoff: str = "H-fraud-1") -> Script:
    """A WhatsApp conversation handed over for possible fraud, with the desk's id."""
    detail = {"reason_code": "sensitive_topic:fraud", "rule": "topics.fraud"}
    return (
        Script(sender, "twilio", at)
        .start()
        .user("report_fraud")
        .outcome("hand_over", "handed_over", handoff, detail)
        .pause()
    )
