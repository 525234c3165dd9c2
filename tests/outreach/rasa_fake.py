"""A stand-in for the two calls outreach makes to Rasa's HTTP API (trigger_intent and
the tracker), in the wire format Rasa answers with, for the tests that must control
when a send arrives (the real Rasa is used end to end in test_send_whatsapp.py).

`hold` runs each trigger_intent but keeps it unanswered until released (the message
went out, the sender is killed before it hears so); `lose` keeps it unanswered and
runs nothing (the sender is killed before the message went out).
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

TOKEN = "rasa-stand-in-token-0123456789"


class RasaStandIn:
    def __init__(self) -> None:
        self.trackers: dict[str, list[dict[str, Any]]] = {}
        self.triggers: list[tuple[str, dict[str, Any], dict[str, list[str]]]] = []
        self.hold = threading.Event()
        self.release = threading.Event()
        self.arrived = threading.Event()
        self.lose = False
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "RasaStandIn":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def sent(self, conversation_id: str | None = None) -> list[dict[str, Any]]:
        """The entities of each outreach intent run, per conversation or all."""
        return [
            {e["entity"]: e["value"] for e in body["entities"]}
            for conversation, body, _ in self.triggers
            if conversation_id in (None, conversation)
        ]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: Any) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _route(self) -> tuple[str, str, dict[str, list[str]]] | None:
                url = urlparse(self.path)
                query = parse_qs(url.query)
                if query.get("token") != [TOKEN]:
                    self._answer(401, {"status": "failure", "reason": "NotAuthenticated"})
                    return None
                parts = url.path.strip("/").split("/")
                if len(parts) != 3 or parts[0] != "conversations":
                    self._answer(404, {"status": "failure"})
                    return None
                return unquote(parts[1]), parts[2], query

            def do_GET(self) -> None:
                route = self._route()
                if route and route[1] == "tracker":
                    self._answer(
                        200, {"sender_id": route[0], "events": fake.trackers.get(route[0], [])}
                    )

            def do_POST(self) -> None:
                route = self._route()
                if not route or route[1] != "trigger_intent":
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.arrived.set()
                if fake.lose:
                    fake.release.wait(60)
                    return  # no answer, nothing run
                fake.triggers.append((route[0], body, route[2]))
                fake.trackers.setdefault(route[0], []).append(
                    {
                        "event": "user",
                        "text": f"EXTERNAL: {body['name']}",
                        "parse_data": {
                            "intent": {"name": body["name"], "confidence": 1.0},
                            "entities": body["entities"],
                        },
                    }
                )
                if fake.hold.is_set():
                    fake.release.wait(60)
                self._answer(200, {"tracker": {"sender_id": route[0]}, "messages": []})

        return Handler
