"""free_port hands out ports an outgoing connection cannot take before the service binds."""

import socket

from stack.processes import EPHEMERAL_RANGE, free_port


def test_ports_are_below_the_ephemeral_range_distinct_and_bindable() -> None:
    low = int(EPHEMERAL_RANGE.read_text().split()[0])
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
    assert all(port < low for port in ports)
    for port in ports[:5]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))
