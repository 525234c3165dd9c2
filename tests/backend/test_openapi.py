"""The OpenAPI document and the docs page."""

from .support import Api

PATHS = {
    "/health",
    "/customers",
    "/customers/{record_id}",
    "/orders/{record_id}",
    "/claims/{record_id}",
    "/invoices/{record_id}",
    "/device_policies/{record_id}",
    "/appointments/{record_id}",
    "/stores/{record_id}",
    "/customers/{customer_id}/orders",
    "/customers/{customer_id}/claims",
    "/customers/{customer_id}/invoices",
    "/customers/{customer_id}/device_policies",
    "/customers/{customer_id}/appointments",
    "/customers/{customer_id}/interactions",
    "/customers/{customer_id}/events",
    "/policies",
    "/catalog",
    "/protection_plans",
    "/stores",
    "/appointment_slots",
    "/appointments",
    "/appointments/{record_id}/cancel",
    "/interactions",
    "/admin/rebuild",
    "/today",
}
NEW_WRITES = {
    "/appointments/{record_id}/move",
    "/leads",
    "/claims",
    "/device_policies/{record_id}/activation",
    "/device_policies/{record_id}/cancellation",
    "/device_policies/{record_id}/retention",
    "/returns",
    "/invoices/{record_id}/payment-link",
}
PATHS |= NEW_WRITES
PATHS |= {"/lists/pending_activations", "/lists/customers"}  # outreach's (BACKEND_LIST_TOKEN)


def test_openapi_lists_the_paths(api: Api) -> None:
    document = api.get("/openapi.json").json()
    assert document["info"]["title"] == "Brightwave sample backend"
    assert set(document["paths"]) == PATHS
    assert {tag["name"] for tag in document["tags"]} >= {
        "customers",
        "records",
        "appointments",
        "admin",
    }
    operations = [op for path in document["paths"].values() for op in path.values()]
    assert all(op.get("tags") and op.get("summary") for op in operations)
    assert set(document["paths"]["/appointments"]) == {"post"}
    assert "409" in document["paths"]["/appointments"]["post"]["responses"]


def test_the_new_writes_require_an_idempotency_key(api: Api) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    for path in NEW_WRITES:
        headers = [p for p in paths[path]["post"]["parameters"] if p["in"] == "header"]
        assert [(h["name"], h["required"]) for h in headers] == [("Idempotency-Key", True)], path
    for path in ("/appointments", "/appointments/{record_id}/cancel"):
        headers = [p for p in paths[path]["post"]["parameters"] if p["in"] == "header"]
        assert [(h["name"], h.get("required", False)) for h in headers] == [
            ("Idempotency-Key", False)
        ]


def test_docs_page(api: Api) -> None:
    response = api.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()
