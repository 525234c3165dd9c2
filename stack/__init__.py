"""Starts, supervises and stops Switchboard's services: sample backend, action server, Rasa."""
