"""Every malformed request gets a 4xx with a JSON reason, never a 500."""

from collections.abc import Iterator

import pytest

from .support import Api

JSON = {"Content-Type": "application/json"}
LIMIT = 64 * 1024


@pytest.mark.parametrize(
    "body, headers, status, reason",
    [
        (b'{"conversation_id": "c", ', JSON, 422, "body is not valid JSON"),
        (b"not json at all", JSON, 422, "body is not valid JSON"),
        (b"", JSON, 422, "body: field required"),
        (b"[1, 2]", JSON, 422, "body: expected a JSON object"),
        (b'"text"', JSON, 422, "body: expected a JSON object"),
        (
            b"summary=hi",
            {"Content-Type": "application/x-www-form-urlencoded"},
            422,
            "body: expected a JSON object",
        ),
        (b'{"summary": "\xff\xfe caf\xe9"}', JSON, 400, "error parsing the body"),
    ],
)
@pytest.mark.parametrize("path", ["/interactions", "/appointments"])
def test_malformed_body(
    api: Api, path: str, body: bytes, headers: dict[str, str], status: int, reason: str
) -> None:
    response = api.post(path, data=body, headers=headers)
    assert response.status_code == status, response.text
    assert reason in response.json()["detail"]


def test_oversized_body_is_413(api: Api) -> None:
    response = api.post("/interactions", data=b"x" * (LIMIT + 1), headers=JSON)
    assert response.status_code == 413
    assert response.json() == {"detail": f"request body over {LIMIT} bytes"}


def test_oversized_chunked_body_is_413(api: Api) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"x" * 8192

    response = api.post("/interactions", data=chunks(), headers=JSON)
    assert response.status_code == 413
    assert "request body over" in response.json()["detail"]


def test_body_at_the_limit_is_parsed(api: Api) -> None:
    body = b'{"conversation_id": 1}'.ljust(LIMIT)
    response = api.post("/interactions", data=body, headers=JSON)
    assert response.status_code == 422
    assert "body.conversation_id" in response.json()["detail"]


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("GET", "/nowhere", 404),
        ("DELETE", "/orders/BW-100002", 405),
        ("GET", "/interactions", 405),
        ("GET", "/orders/" + "B" * 65, 422),
        ("GET", "/appointment_slots", 422),
        ("GET", "/appointment_slots?store_id=ST-LON&date=2026-13-40", 422),
        ("GET", "/orders/BW-100002%00", 404),
        ("GET", "/customers/C-1001%00/orders", 404),
        ("GET", "/appointment_slots?store_id=ST%00", 404),
        ("GET", "/customers?email=a%00b@example.com", 422),
    ],
)
def test_bad_route_or_parameter(api: Api, method: str, path: str, status: int) -> None:
    response = api.request(method, path)
    assert response.status_code == status
    assert isinstance(response.json()["detail"], str)
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "path, body, reason",
    [
        (
            "/interactions",
            '{"conversation_id": "c", "channel": "web", "type": "t", "summary": "a\\u0000b"}',
            "body.summary: must not contain NUL characters",
        ),
        (
            "/interactions",
            '{"conversation_id": "c", "channel": "web", "type": "t", "summary": "a\\ud800b"}',
            "body.summary: must be valid Unicode text",
        ),
        (
            "/appointments",
            '{"customer_id": "C-1001\\u0000", "store_id": "ST-LON", "start": "2026-11-25T09:30:00", '
            '"purpose": "repair"}',
            "body.customer_id: must not contain NUL characters",
        ),
    ],
)
def test_text_no_database_can_store(api: Api, path: str, body: str, reason: str) -> None:
    response = api.post(path, data=body.encode(), headers=JSON)
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": reason}


def test_reason_does_not_echo_the_body(api: Api) -> None:
    secret = "4111111111111111"
    response = api.post("/interactions", data=f'{{"summary": "{secret}", '.encode(), headers=JSON)
    assert response.status_code == 422
    assert secret not in response.text
