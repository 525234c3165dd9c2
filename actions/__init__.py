"""Custom actions of the Brightwave assistant, served by rasa-sdk's action server."""
