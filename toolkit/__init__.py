"""Small pieces every service uses the same way: settings from the environment
(toolkit.settings) and JSON-schema validators (toolkit.schemas)."""
