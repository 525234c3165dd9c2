"""When Switchboard hands a customer to a person, decided before the experience breaks.

`escalation.yml` holds every threshold, cue and topic pattern; `load_escalation_config`
reads and validates it once, and `decision.decide` applies the rules to one customer
turn without any I/O, so a policy can call it on every turn. Nothing here imports
Rasa: the policy that reads the tracker turns it into `TurnFacts` and
`ConversationFacts`.
"""
