"""Rasa tracker stores of Switchboard."""
