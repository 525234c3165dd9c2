"""Resume anywhere, against the real backend and the real memory service: a claim's
answers are kept in the memory after each one (never the yes), offered when the
customer asks for a claim again in another conversation, restored on a yes and
forgotten on a no, once filed, or when the customer stops; left for another request
they stay. With the memory down the journey simply starts afresh."""

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import activation_form, appointment_form, change_form, memory_client
from actions.activation_form import ValidateActivationForm
from actions.appointment_form import ValidateAppointmentForm
from actions.cancel_form import REASON as CANCEL_REASON
from actions.cancel_form import ValidateCancelForm
from actions.change_form import ValidateChangeForm
from actions.claim_form import (
    CONFIRMED,
    DATE,
    DESCRIPTION,
    INCIDENT,
    POLICIES,
    POLICY,
    STOP,
    ValidateClaimForm,
)
from actions.journey import OTHER_GOAL, STOPPED, JourneyForm, ended
from actions.resume import PAUSED, RESUME
from actions.resume_offer import ActionAskJourneyResume
from actions.settings import settings
from actions.slots import VERIFIED_CUSTOMER_ID
from stack.config import StackConfig, isolated_config
from stack.launch import memory
from tests.support.services import Service, free_port
from tests.unit.actions.conftest import slots_set
from tests.unit.actions.journeys import domain, in_form

OWNER = "C-1036"  # POL-50026 Pulse 2 smartwatch, POL-50027 Orbit 12 Lite smartphone
SAID = "It slipped off the table and the glass cracked."


@pytest.fixture(scope="module")
def memory_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackConfig]:
    config = isolated_config(tmp_path_factory.mktemp("resume-memory"), {})
    running: Service = memory(config).start()
    yield config
    running.stop()


@pytest.fixture(autouse=True)
def remembering(
    memory_service: StackConfig, configured: pytest.MonkeyPatch
) -> Iterator[StackConfig]:
    configured.setenv("MEMORY_URL", memory_service.memory_url)
    configured.setenv("MEMORY_API_TOKEN", memory_service.memory_api_token)
    configured.setenv("MEMORY_TIMEOUT", "5")
    fresh_clients()
    yield memory_service
    requests.post(
        f"{memory_service.memory_url}/customers/{OWNER}/erase",
        headers={"Authorization": f"Bearer {memory_service.memory_api_token}"},
        timeout=10,
    )
    fresh_clients()


def fresh_clients() -> None:
    """The action server's settings and memory client read again from the environment."""
    settings.cache_clear()
    memory_client.client.cache_clear()


def kept(config: StackConfig) -> dict[str, dict[str, str]]:
    answer = requests.get(
        f"{config.memory_url}/customers/{OWNER}/journeys",
        headers={"Authorization": f"Bearer {config.memory_api_token}"},
        timeout=10,
    )
    return {j["goal"]: j["answers"] for j in answer.json()["journeys"]}


def settled(action: Action, track: Tracker) -> tuple[list[dict[str, Any]], list[Any]]:
    """Run the action, and let the memory writes it started in the background finish."""

    async def turn() -> tuple[list[dict[str, Any]], list[Any]]:
        dispatcher = CollectingDispatcher()
        events = await action.run(dispatcher, track, domain())
        while memory_client._background:
            await asyncio.gather(*list(memory_client._background))
        return events, dispatcher.messages

    return asyncio.run(turn())


def journey_turn(
    form: JourneyForm, opening: str, slots: dict[str, Any], text: str, sender: str, **kwargs: Any
) -> dict[str, Any]:
    """The slots one reply in the journey's form sets, in the conversation `sender`."""
    track = in_form(form.form, form.goal, opening, slots, text, **kwargs)
    track.sender_id = sender
    events, said = settled(form, track)
    assert said == []
    return slots_set(events)


def claim_turn(slots: dict[str, Any], text: str, sender: str, **kwargs: Any) -> dict[str, Any]:
    return journey_turn(ValidateClaimForm(), "I want to claim", slots, text, sender, **kwargs)


def offered(form: JourneyForm, opening: str, slots: dict[str, Any]) -> str:
    """The offer to go on, as the customer reads it: what was given."""
    _, said = settled(ActionAskJourneyResume(), in_form(form.form, form.goal, opening, slots, "hi"))
    [offer] = said
    assert offer["response"] == f"utter_ask_journey_resume_{form.goal}"
    return str(offer["given"])


def resumed_elsewhere(
    form: JourneyForm, opening: str, expected: dict[str, str]
) -> tuple[str, dict[str, Any]]:
    """In another conversation the journey is asked for again: what the offer names,
    and the slots after the yes to it."""
    slots = {VERIFIED_CUSTOMER_ID: OWNER}
    slots |= journey_turn(form, opening, slots, "hi", "later-conversation")
    assert slots[PAUSED] == expected
    given = offered(form, opening, slots)
    yes = {**slots, "requested_slot": RESUME}
    slots |= journey_turn(form, opening, yes, "yes", "later-conversation", intent="affirm")
    assert slots[RESUME] == "yes" and slots[PAUSED] is None and form.stop not in slots
    return given, slots


def started(sender: str) -> dict[str, Any]:
    """The claim form's first turn for the owner in this conversation."""
    return {VERIFIED_CUSTOMER_ID: OWNER, **claim_turn({VERIFIED_CUSTOMER_ID: OWNER}, "hi", sender)}


def half_way(sender: str) -> dict[str, Any]:
    """A claim answered up to the description, as on WhatsApp."""
    slots = started(sender)
    slots |= claim_turn({**slots, "requested_slot": POLICY}, "the Orbit 12 Lite", sender)
    asked = {**slots, "requested_slot": INCIDENT}
    slots |= claim_turn(asked, "the screen cracked", sender)
    slots |= claim_turn({**slots, "requested_slot": DATE}, "yesterday", sender)
    slots |= claim_turn({**slots, "requested_slot": DESCRIPTION}, SAID, sender)
    return slots


def test_a_claim_left_half_way_is_offered_elsewhere_and_goes_on_with_what_was_given(
    remembering: StackConfig,
) -> None:
    half_way("whatsapp-conversation")
    expected = {
        POLICY: "POL-50027",
        INCIDENT: "screen_damage",
        DATE: "2026-11-23",
        DESCRIPTION: SAID,
    }
    assert kept(remembering) == {"file_claim": expected}
    # Later, in another conversation on another channel, after verification:
    slots = started("rest-conversation")
    assert slots[PAUSED] == expected
    form = ValidateClaimForm()
    required = asyncio.run(
        form.required_slots(
            [],
            CollectingDispatcher(),
            in_form("claim_form", "file_claim", "I want to claim", slots, "hi"),
            domain(),
        )
    )
    assert required[0] == RESUME
    _, said = settled(
        ActionAskJourneyResume(),
        in_form("claim_form", "file_claim", "I want to claim", slots, "hi"),
    )
    [(offer)] = said
    assert offer["response"] == "utter_ask_journey_resume_file_claim"
    assert offer["given"] == (
        f"Orbit 12 Lite smartphone (POL-50027), screen damage, 23 November 2026 and “{SAID}”"
    )
    yes = {**slots, "requested_slot": RESUME}
    resumed = claim_turn(yes, "yes", "rest-conversation", intent="affirm")
    assert resumed[RESUME] == "yes" and resumed[PAUSED] is None
    assert {k: resumed[k] for k in expected} == expected and STOP not in resumed
    slots |= resumed
    # Only the yes is left to ask; once answered, the memory forgets the journey.
    confirmed = {**slots, "requested_slot": CONFIRMED}
    assert claim_turn(confirmed, "yes", "rest-conversation", intent="affirm")[CONFIRMED] == "yes"
    assert kept(remembering) == {}


def test_a_no_to_the_offer_starts_afresh_and_forgets(remembering: StackConfig) -> None:
    half_way("first")
    slots = {**started("second"), "requested_slot": RESUME}
    fresh = claim_turn(slots, "no", "second", intent="deny")
    assert fresh == {RESUME: "no", PAUSED: None}
    assert kept(remembering) == {}


def test_left_for_another_request_it_stays_and_a_stop_forgets_it(
    remembering: StackConfig,
) -> None:
    slots = started("third")
    slots |= claim_turn({**slots, "requested_slot": POLICY}, "the Orbit 12 Lite", "third")
    assert kept(remembering) == {"file_claim": {POLICY: "POL-50027"}}
    asked = {**slots, "requested_slot": INCIDENT}
    other = claim_turn(asked, "where is my order", "third", intent="check_order_status")
    assert other[STOP] == OTHER_GOAL and kept(remembering) == {"file_claim": {POLICY: "POL-50027"}}
    stopped = claim_turn(asked, "no, forget it", "third", intent="deny")
    assert stopped[STOP] == STOPPED and kept(remembering) == {}


def test_the_journeys_end_clears_the_offer_and_a_cancellation_resumes_with_its_offer(
    remembering: StackConfig,
) -> None:
    cleared = {e["name"]: e["value"] for e in ended([]) if e.get("event") == "slot"}
    assert cleared[RESUME] is None and cleared[PAUSED] is None
    form = ValidateCancelForm()
    restored = asyncio.run(
        form.restored(
            in_form(
                "cancel_form",
                "cancel_policy",
                "cancel",
                {"cancel_policies": [{"id": "POL-50027", "plan": "basic"}], "cancel_facts": {}},
                "yes",
            ),
            {"cancel_policy_id": "POL-50027", CANCEL_REASON: "too_expensive"},
        )
    )
    assert restored["cancel_offer"] == "none" and restored[CANCEL_REASON] == "too_expensive"
    gone = asyncio.run(
        form.restored(
            in_form("cancel_form", "cancel_policy", "cancel", {}, "yes"),
            {"cancel_policy_id": "POL-99999", CANCEL_REASON: "bored"},
        )
    )
    assert gone == {}


def test_with_the_memory_down_the_claim_starts_afresh(
    remembering: StackConfig, configured: pytest.MonkeyPatch
) -> None:
    half_way("fourth")
    configured.setenv("MEMORY_URL", f"http://127.0.0.1:{free_port()}")
    fresh_clients()
    slots = started("fifth")
    assert PAUSED not in slots and slots[POLICIES]


def test_a_booking_left_at_the_store_goes_on_with_the_times_free_now(
    remembering: StackConfig, backend: Service
) -> None:
    form, opening = ValidateAppointmentForm(), "I need an appointment to get my screen repaired"
    slots = {VERIFIED_CUSTOMER_ID: OWNER}
    slots |= journey_turn(form, opening, slots, "hi", "first-conversation")
    asked = {**slots, "requested_slot": appointment_form.STORE}
    slots |= journey_turn(form, opening, asked, "Manchester", "first-conversation")
    expected = {appointment_form.PURPOSE: "repair", appointment_form.STORE: "ST-MAN"}
    assert kept(remembering) == {"book_appointment": expected}
    given, slots = resumed_elsewhere(form, opening, expected)
    assert given == "a repair and Brightwave Manchester"
    free = requests.get(
        f"{backend.url}/appointment_slots", params={"store_id": "ST-MAN"}, timeout=5
    ).json()["items"]
    assert slots[appointment_form.OFFERED] == [item["start"] for item in free][:5]
    assert slots[appointment_form.STORE] == "ST-MAN"


def test_a_move_left_after_choosing_the_appointment_goes_on_at_its_store(
    remembering: StackConfig, backend: Service
) -> None:
    def book(store: str) -> str:
        free = requests.get(
            f"{backend.url}/appointment_slots", params={"store_id": store}, timeout=5
        ).json()["items"]
        reply = requests.post(
            f"{backend.url}/appointments",
            json={
                "customer_id": OWNER,
                "store_id": store,
                "start": free[-1]["start"],
                "purpose": "repair",
            },
            timeout=5,
        )
        assert reply.status_code == 201, reply.text
        return str(reply.json()["id"])

    booked = [book("ST-LON"), book("ST-PAR")]
    form, opening = ValidateChangeForm(), "I need to move my appointment"
    slots = {VERIFIED_CUSTOMER_ID: OWNER}
    slots |= journey_turn(form, opening, slots, "hi", "first-conversation")
    assert change_form.OFFERED not in slots  # two booked: which one is asked first
    asked = {**slots, "requested_slot": change_form.APPOINTMENT}
    slots |= journey_turn(form, opening, asked, booked[1], "first-conversation")
    expected = {change_form.APPOINTMENT: booked[1], change_form.KIND: "move"}
    assert kept(remembering) == {"change_appointment": expected}
    given, slots = resumed_elsewhere(form, opening, expected)
    assert given.startswith(f"{booked[1]} (Brightwave Paris Opéra, ")
    assert given.endswith(" and to move it")
    free = requests.get(
        f"{backend.url}/appointment_slots", params={"store_id": "ST-PAR"}, timeout=5
    ).json()["items"]
    assert slots[change_form.OFFERED] == [item["start"] for item in free][:5]


def test_an_activation_left_after_the_serial_asks_only_for_the_terms(
    remembering: StackConfig,
) -> None:
    owner = "C-1032"  # POL-50024, Orbit 12 Lite smartphone, pending activation
    form, opening = ValidateActivationForm(), "I want to activate my protection plan"
    slots = {VERIFIED_CUSTOMER_ID: owner}
    slots |= journey_turn(form, opening, slots, "hi", "first-conversation")
    slots |= journey_turn(
        form,
        opening,
        {**slots, "requested_slot": activation_form.DEVICE},
        "yes",
        "first-conversation",
        intent="affirm",
    )
    asked = {**slots, "requested_slot": activation_form.SERIAL}
    slots |= journey_turn(form, opening, asked, "it is 352099001761481", "first-conversation")
    expected = {
        activation_form.POLICY: "POL-50024",
        activation_form.DEVICE: "yes",
        activation_form.SERIAL: "352099001761481",
    }
    found = requests.get(
        f"{remembering.memory_url}/customers/{owner}/journeys",
        headers={"Authorization": f"Bearer {remembering.memory_api_token}"},
        timeout=10,
    ).json()["journeys"]
    assert [(j["goal"], j["answers"]) for j in found] == [("activate_policy", expected)]
    later = {VERIFIED_CUSTOMER_ID: owner}
    later |= journey_turn(form, opening, later, "hi", "later-conversation")
    assert later[PAUSED] == expected
    given = offered(form, opening, later)
    assert given == "Orbit 12 Lite smartphone (POL-50024) and the serial number or IMEI ending 1481"
    yes = {**later, "requested_slot": RESUME}
    later |= journey_turn(form, opening, yes, "yes", "later-conversation", intent="affirm")
    required = asyncio.run(
        form.required_slots(
            [],
            CollectingDispatcher(),
            in_form(form.form, form.goal, opening, later, "yes"),
            domain(),
        )
    )
    assert required[-1] == activation_form.CONFIRMED
    assert [slot for slot in required if later.get(slot) is None] == [activation_form.CONFIRMED]
    gone = asyncio.run(form.restored(in_form(form.form, form.goal, opening, {}, "yes"), expected))
    assert gone == {}  # no longer pending: chosen again, with its device and serial
    requests.post(
        f"{remembering.memory_url}/customers/{owner}/erase",
        headers={"Authorization": f"Bearer {remembering.memory_api_token}"},
        timeout=10,
    )
