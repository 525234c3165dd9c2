"""Proactive outreach (issue #14): the rules in outreach.yml, the consent ledger and the
send-time decision. It reads events from the customer memory through its HTTP API only."""
