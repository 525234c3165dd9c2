"""Names the escalation policy shares with the actions and the NLU pipeline; kept
apart so that the action server can read them without importing Rasa itself."""

ESCALATE_ACTION = "action_escalate"
CLARIFY_ACTION = "action_clarify"
DECISION_SLOT = "escalation_decision"  # the latest decision, its rule and values
BACKEND_FAILURES_SLOT = "backend_failures"
SENTIMENT_KEY = "sentiment"  # the parse-data key of a message's emotion
# A channel Rasa does not name (rasa test, rasa shell) gets escalation.yml's defaults.
UNNAMED_CHANNEL = "default"
# The parse-data key of the goals a message names as alternatives ("order or claim"),
# set by components.named_goals: a miss for the policy, the options to clarify with.
NAMED_GOALS_KEY = "named_goals"
