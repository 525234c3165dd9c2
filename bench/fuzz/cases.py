"""One fuzz case: the HTTP request(s) it makes, described well enough to replay."""

from dataclasses import dataclass, field
from urllib.parse import urlencode

# (name, value) pairs: a form or a query may name a parameter twice.
Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query, exactly as sent
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    note: str = ""  # what the case is about, for a reproduction

    def describe(self, limit: int = 120) -> str:
        body = repr(self.body[:limit]) + (
            f"… ({len(self.body)} bytes)" if len(self.body) > limit else ""
        )
        return f"{self.note + ': ' if self.note else ''}{self.method} {self.target[:limit]} {body}"


@dataclass(frozen=True)
class SocketCase:
    """A web chat exchange over socket.io's polling transport: open a socket, ask
    for a session, send one message (raw packet when given)."""

    session_id: object
    message: object
    raw_packet: str | None = None
    note: str = ""

    def describe(self, limit: int = 120) -> str:
        what = self.raw_packet if self.raw_packet is not None else repr(self.message)
        return (
            f"{self.note + ': ' if self.note else ''}socket.io session_id="
            f"{str(self.session_id)[:60]!r} {what[:limit]}"
        )


Case = object  # Request or SocketCase


def form(pairs: Pairs) -> bytes:
    """Form-encoded, as a client encodes text it was given; lone surrogates become
    the bytes a careless encoder writes (invalid UTF-8)."""
    return urlencode(pairs, encoding="utf-8", errors="surrogatepass").encode("ascii")


def query(pairs: Pairs) -> str:
    return urlencode(pairs, encoding="utf-8", errors="surrogatepass")
