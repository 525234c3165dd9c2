"""The hand-over packet: what a person on Brightwave's team receives with a customer
the assistant hands over, so that the customer never has to repeat themselves.

It is a formatter: the outcome record (actions/outcomes.py) says what was done and
how it ended, the escalation policy's recorded decision says why the conversation
is handed over, the session's messages give the transcript and the stated issue,
and the backend gives the touched records at hand-over time. The contract is
`schemas/handoff_packet.v1.json`.

- `conversation`: transcript, stated issue, sentiment and touched records, from events
- `story`: the outcome record and the decision in an agent's words
- `account`: the verified customer's touched records, read from the backend
- `history`: the verified customer's recent contacts and events, from the memory
- `schema`: the packet checked against its contract
- `build`: the packet assembled
"""
