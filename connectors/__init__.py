"""Rasa input channels of Switchboard that check what they are sent."""
