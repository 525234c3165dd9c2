"""Behind a proxy the rate limits count each customer, not the proxy; without proxy
settings no forwarded header can choose the address a limit counts."""

import pytest
from sanic import Sanic
from sanic.models.protocol_types import TransportProtocol
from sanic.request import Request
from sanic.server import ConnInfo

from connectors.ratelimit import client_address
from stack.rasa_listeners import ProxyConfigError, trust_proxies

PEER = "10.0.0.7"  # the proxy, or a client talking to Rasa directly


class Transport(TransportProtocol):
    def get_extra_info(self, name: str, default: object = None) -> object:
        return {"peername": (PEER, 40000), "sockname": ("10.0.0.1", 5005)}.get(name, default)


def address(env: dict[str, str], headers: dict[str, str], name: str) -> str:
    app = Sanic(name)
    trust_proxies(app, env)
    request = Request(
        b"/webhooks/rest/webhook",
        headers,
        "1.1",
        "POST",  # type: ignore[arg-type]
        Transport(),
        app,
    )
    request.conn_info = ConnInfo(Transport())
    return client_address(request)


FORWARDED = {"X-Forwarded-For": "203.0.113.9, 198.51.100.4"}


def test_forwarded_headers_are_ignored_without_proxy_settings() -> None:
    assert address({}, FORWARDED, "direct") == PEER


def test_one_proxy_in_front_gives_the_address_it_saw() -> None:
    assert address({"SWITCHBOARD_PROXIES_COUNT": "1"}, FORWARDED, "one") == "198.51.100.4"


def test_a_forwarded_header_counts_only_with_the_proxys_secret() -> None:
    env = {"SWITCHBOARD_FORWARDED_SECRET": "s3cret"}
    signed = {"Forwarded": "for=203.0.113.9;secret=s3cret"}
    forged = {"Forwarded": "for=203.0.113.9;secret=guess"}
    assert address(env, signed, "signed") == "203.0.113.9"
    assert address(env, forged, "forged") == PEER


@pytest.mark.parametrize("value", ["-1", "two", "11", "٣"])
def test_a_bad_proxy_count_names_the_setting(value: str) -> None:
    with pytest.raises(ProxyConfigError, match="SWITCHBOARD_PROXIES_COUNT"):
        trust_proxies(Sanic(f"bad{abs(hash(value))}"), {"SWITCHBOARD_PROXIES_COUNT": value})
