"""The erase routes outside the services' OpenAPI documents: Rasa's internal
`DELETE /internal/conversations/{id}` (a conversation-scoped JWT, scope
"conversation:erase") and the action server's `POST /identity/lockouts/{id}/erase`
(the identity admin token). Cases: the right credential, another scope's, another
conversation's, a forged or missing one; hostile ids and bodies."""

from collections.abc import Callable
from urllib.parse import quote

from hypothesis import strategies as st

from bench.fuzz.cases import Case, Request
from bench.fuzz.values import hostile_text
from desk.rasa_client import ERASE_SCOPE, READ_SCOPE, desk_token
from stack.config import StackConfig

CONVERSATIONS = ["fuzz-0", "fuzz-poison", "test-erase"]
CUSTOMERS = ["C-1001", "C-1002", "C-9999"]


def _path(value: str) -> str:
    return quote(value, safe="", errors="surrogatepass") or "%20"


def rasa_erase_cases(config: StackConfig) -> st.SearchStrategy[Case]:
    @st.composite
    def case(draw: Callable) -> Request:
        conversation = draw(st.one_of(st.sampled_from(CONVERSATIONS), hostile_text(2)))
        kind = draw(st.sampled_from(["erase", "erase", "read", "other", "forged", "none"]))
        headers: dict[str, str] = {}
        if kind != "none":
            scope = READ_SCOPE if kind == "read" else ERASE_SCOPE
            subject = "someone-else" if kind == "other" else conversation
            secret = "x" * 32 if kind == "forged" else config.desk_rasa_secret
            headers["Authorization"] = f"Bearer {desk_token(secret, scope, subject)}"
        body = draw(
            st.one_of(st.just(b""), hostile_text(2).map(lambda t: t.encode("utf-8", "replace")))
        )
        return Request(
            "DELETE", f"/internal/conversations/{_path(conversation)}", headers, body, kind
        )

    return case()


def rasa_erase_reproductions(config: StackConfig) -> list[Case]:
    token = desk_token(config.desk_rasa_secret, ERASE_SCOPE, "fuzz-0")
    return [
        Request(
            "DELETE",
            "/internal/conversations/fuzz-0",
            {"Authorization": f"Bearer {token}"},
            note="a real erasure, twice",
        )
    ] * 2


def lockout_erase_cases(config: StackConfig) -> st.SearchStrategy[Case]:
    @st.composite
    def case(draw: Callable) -> Request:
        customer = draw(st.one_of(st.sampled_from(CUSTOMERS), hostile_text(2)))
        headers = {}
        if draw(st.integers(0, 9)) < 8:
            headers["Authorization"] = f"Bearer {config.identity_admin_token}"
        body = draw(
            st.one_of(st.just(b""), hostile_text(3).map(lambda t: t.encode("utf-8", "replace")))
        )
        return Request("POST", f"/identity/lockouts/{_path(customer)}/erase", headers, body)

    return case()
