"""When Switchboard hands a customer to a person, decided before the experience breaks.

`escalation.yml` holds every threshold, cue and topic pattern; `load_escalation_config`
reads and validates it once, and `decision.decide` applies the rules to one customer
turn without any I/O, so it can run on every turn. Only the two Rasa graph
components import Rasa: `policy.EscalationPolicy`, which turns the tracker into
`TurnFacts` and `ConversationFacts` after every customer message, and
`emotion.EmotionAnalyzer`, which scores each message's emotion in the NLU pipeline.
"""
