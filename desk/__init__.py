"""The agent desk: the queue of customers the assistant hands over to people.

Run it with ``python -m desk``; ``desk.settings`` lists the environment variables
and ``desk/settings.yml`` the behaviour knobs. Agents use the page at ``/``; the
API is documented at ``/docs``.
"""
