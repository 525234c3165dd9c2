"""The verification form: which record the customer means, and proof that it is theirs.

The customer names an order, claim, invoice or customer number, then confirms one
knowledge factor of the record's owner. Nothing about a record is said before
that, not even whether it exists: a reference that names no record is asked for a
factor like any other, and every answer to it reads as a wrong one. Wrong answers
are counted twice: per conversation (VERIFICATION_MAX_ATTEMPTS, then account data
is refused for the session) and per customer record in the assistant's own store
(actions/lockout.py), which no restart or new conversation clears; a locked record
is verified by no answer, right or wrong, on any channel.
A conversation a trusted integration vouched for skips the question. On WhatsApp
and voice the caller's number names the claimed customer, so a customer who names
no record is asked only for the knowledge factor. A customer without a number to
hand may name the e-mail address on their account instead: it names the claimed
customer (an unknown address reads like a known one), and since it proves nothing
then, the factor must be the postcode or the date of birth.
"""

import asyncio
import hashlib
import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import backend_client as backend
from actions import continuity, lockout, memory_client, spoken
from actions.identity import (
    EMAIL,
    MAX_CANDIDATES,
    FactorAnswer,
    channel_number,
    matches,
    read_factors,
    volunteers_factor,
    vouched_customer_id,
)
from actions.language import conversation_language, recorded_language
from actions.outcomes import (
    FAILED,
    NOT_FOUND,
    REFUSED,
    VERIFIED,
    VERIFY_IDENTITY,
    record,
    topic_goal,
)
from actions.records import ALL_KINDS, CUSTOMER, TOPICS, RecordKind
from actions.render import not_on_account, record_label
from actions.settings import settings
from actions.slots import (
    BACKEND_ERROR,
    BACKEND_FAILURES,
    CLAIMED_BY_EMAIL,
    CLAIMED_CUSTOMER_ID,
    FACTOR_CONFIRMED,
    FACTOR_REFUSED,
    KNOWLEDGE_FACTOR,
    NO_SUCH_OWNER,
    PENDING_CLAIM,
    PENDING_FACTOR,
    REQUEST_TOPIC,
    VERIFICATION_ATTEMPTS,
    VERIFICATION_FAILED,
    VERIFICATION_LOCKED,
    VERIFIED_CUSTOMER_ID,
    no_such_owner,
)

logger = logging.getLogger(__name__)

# The form's result for a locked record: it ends, and the answer says why.
LOCKED: dict[str, Any] = {KNOWLEDGE_FACTOR: FACTOR_REFUSED, VERIFICATION_LOCKED: True}
# The form, as the outcome record names it (its validation action does the work).
FORM = "verification_form"
VOUCHED = "signed-in channel"


def current_topic(tracker: Tracker) -> RecordKind | None:
    """The journey asked about: the topic slot, else the kind of id the customer gave."""
    topic = tracker.get_slot(REQUEST_TOPIC)
    if topic in TOPICS:
        return TOPICS[topic]
    return next((kind for kind in TOPICS.values() if tracker.get_slot(kind.slot)), None)


def verified_customer(tracker: Tracker) -> str | None:
    """The customer this conversation has proven to be, if any."""
    return tracker.get_slot(VERIFIED_CUSTOMER_ID) or vouched_customer_id(
        tracker.sender_id, tracker.latest_message.get("metadata"), settings().integration_secret
    )


def factor_named(text: str) -> str:
    """Which knowledge factor a message offered (never its value), for the record."""
    answer: FactorAnswer = read_factors(text)
    if answer.emails:
        return "e-mail address"
    if answer.birthdates:
        return "date of birth"
    return "postcode" if answer.postcodes else "knowledge factor"


def verification_outcome(
    tracker: Tracker, updates: dict[str, Any], factor: str | None
) -> EventType | None:
    """The outcome of one turn of the form, from what it decided: verified (and how),
    a wrong answer, the session's last wrong answer, or a locked record."""
    customer = (
        updates.get(VERIFIED_CUSTOMER_ID)
        or updates.get(CLAIMED_CUSTOMER_ID)
        or tracker.get_slot(CLAIMED_CUSTOMER_ID)
    )
    customer = customer if customer != NO_SUCH_OWNER else None

    def outcome(result: str, **detail: Any) -> EventType:
        return record(tracker, FORM, VERIFY_IDENTITY, result, customer, detail)

    if updates.get(VERIFICATION_LOCKED):
        return outcome(REFUSED, reason="locked")
    attempts = int(updates.get(VERIFICATION_ATTEMPTS) or 0)
    if updates.get(VERIFICATION_FAILED):
        return outcome(FAILED, attempts=attempts, attempts_left=0)
    if updates.get(VERIFIED_CUSTOMER_ID):
        if updates.get(KNOWLEDGE_FACTOR) == FACTOR_CONFIRMED and factor:
            return outcome(VERIFIED, method=factor_named(factor))
        return outcome(VERIFIED, method=VOUCHED)
    if attempts:
        return outcome(
            FAILED, attempts=attempts, attempts_left=settings().verification_max_attempts - attempts
        )
    return None


def needed_slots(tracker: Tracker) -> list[str]:
    """What the form still has to ask for, given what is known."""
    if any(
        tracker.get_slot(name) for name in (VERIFICATION_FAILED, VERIFICATION_LOCKED, BACKEND_ERROR)
    ):
        return []
    topic = current_topic(tracker)
    if topic is None:
        return [REQUEST_TOPIC]
    if verified_customer(tracker):
        return []
    if tracker.get_slot(CLAIMED_CUSTOMER_ID) is None:
        return [topic.slot, KNOWLEDGE_FACTOR]
    return [KNOWLEDGE_FACTOR]


class ValidateVerificationForm(FormValidationAction):
    """Checks references against the backend and the customer's answer against the owner."""

    def name(self) -> str:
        return "validate_verification_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return needed_slots(tracker)

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        candidates = tracker.slots_to_validate()
        updates: dict[str, Any] = {}
        verified = verified_customer(tracker)
        if verified and not tracker.get_slot(VERIFIED_CUSTOMER_ID):
            updates[VERIFIED_CUSTOMER_ID] = verified
        if not verified and not tracker.get_slot(CLAIMED_CUSTOMER_ID):
            number_owner = await self._number_owner(tracker)
            if number_owner:
                updates[CLAIMED_CUSTOMER_ID] = number_owner
        text = tracker.latest_message.get("text") or ""
        typed = candidates.get(KNOWLEDGE_FACTOR)
        if typed in (FACTOR_CONFIRMED, FACTOR_REFUSED):
            typed = None
        factor: Any | None = None
        outcomes: list[EventType] = []
        try:
            for kind in ALL_KINDS:
                if candidates.get(kind.slot):
                    claimed = updates.get(CLAIMED_CUSTOMER_ID) or tracker.get_slot(
                        CLAIMED_CUSTOMER_ID
                    )
                    checked = await self._check_reference(
                        kind,
                        candidates[kind.slot],
                        verified,
                        claimed,
                        dispatcher,
                        conversation_language(tracker.slots),
                    )
                    record_id = kind.normalize(candidates[kind.slot])
                    if verified and record_id and checked[kind.slot] is None:
                        outcomes.append(
                            record(
                                tracker,
                                FORM,
                                topic_goal(current_topic(tracker)),
                                NOT_FOUND,
                                record_id,
                            )
                        )
                    updates.update(checked)
            named = {**tracker.slots, **updates}
            addresses = set(EMAIL.findall(text))
            if (
                not (
                    verified
                    or typed
                    or named.get(CLAIMED_CUSTOMER_ID)
                    or any(named.get(kind.slot) for kind in ALL_KINDS)
                )
                and len(addresses) == 1
            ):
                updates.update(await self._claim_by_email(addresses.pop()))
                # It named the customer, so it is no factor; what else was typed may be.
                rest = EMAIL.sub(" ", text)
                text = rest if read_factors(rest).offered else ""
            factor = typed
            if not factor and updates.get(CLAIMED_CUSTOMER_ID) and volunteers_factor(text):
                factor = text
            if not factor and not verified:
                factor = self._pending_factor(tracker, updates)
            if factor and not verified:
                updates.update(
                    await self._check_factor(str(factor), {**tracker.slots, **updates}, dispatcher)
                )
        except backend.BackendError:
            updates[BACKEND_ERROR] = True
            updates[BACKEND_FAILURES] = (tracker.get_slot(BACKEND_FAILURES) or 0) + 1
            kept = (
                typed
                or (text if volunteers_factor(text) else None)
                or tracker.get_slot(PENDING_FACTOR)
            )
            if kept and not verified:
                # Given during an outage: checked once the backend answers again, so
                # the customer need not repeat it (nor is it read as a new request).
                updates[PENDING_FACTOR] = str(kept)
                updates[PENDING_CLAIM] = (
                    updates.get(CLAIMED_CUSTOMER_ID)
                    or tracker.get_slot(CLAIMED_CUSTOMER_ID)
                    or tracker.get_slot(PENDING_CLAIM)
                )
        newly = updates.get(VERIFIED_CUSTOMER_ID)
        if newly and not tracker.get_slot(VERIFIED_CUSTOMER_ID):
            topic = current_topic(tracker)
            asking = {**tracker.slots, **updates}.get(topic.slot) if topic else None
            await continuity.identified(
                dispatcher,
                tracker,
                newly,
                memory_client.TRUSTED_INTEGRATION if verified else memory_client.KNOWLEDGE_FACTOR,
                None,
                asking,
            )
        # A backend failure is recorded by the answer that apologises for it.
        verdict = (
            None
            if updates.get(BACKEND_ERROR)
            else verification_outcome(tracker, updates, str(factor) if factor else None)
        )
        return (
            [SlotSet(name, value) for name, value in updates.items()]
            + outcomes
            + ([verdict] if verdict else [])
        )

    @staticmethod
    async def _number_owner(tracker: Tracker) -> str | None:
        """The customer whose number the channel vouches for, from the CRM; None when
        none or several, or when the CRM cannot say (the customer then names a record)."""
        found = channel_number(
            tracker.get_latest_input_channel(), tracker.latest_message.get("metadata")
        )
        if found is None:
            return None
        try:
            return await backend.call(backend.client().customer_for_number, *found)
        except backend.BackendError as error:
            logger.warning("caller lookup failed: %s", error.__class__.__name__)
            return None

    @staticmethod
    def _pending_factor(tracker: Tracker, updates: dict[str, Any]) -> str | None:
        """A factor kept from an outage, taken (once) when it is for the record the
        customer claims now."""
        pending = tracker.get_slot(PENDING_FACTOR)
        if tracker.get_slot(VERIFICATION_FAILED):
            return None
        claimed = updates.get(CLAIMED_CUSTOMER_ID) or tracker.get_slot(CLAIMED_CUSTOMER_ID)
        if not pending or not claimed or tracker.get_slot(PENDING_CLAIM) not in (None, claimed):
            return None
        updates[PENDING_FACTOR] = updates[PENDING_CLAIM] = None
        return str(pending)

    @staticmethod
    async def _check_reference(
        kind: RecordKind,
        raw: Any,
        verified: str | None,
        claimed: str | None,
        dispatcher: CollectingDispatcher,
        language: str,
    ) -> dict[str, Any]:
        record_id = kind.normalize(raw)
        if record_id is None:
            dispatcher.utter_message(
                response="utter_reference_malformed", record_label=record_label(kind, language)
            )
            return {kind.slot: None}
        try:
            record = await backend.call(backend.client().record, kind.collection, record_id)
        except backend.RecordNotFound:
            record = None
        owner = (record or {}).get("id" if kind is CUSTOMER else "customer_id")
        if verified:
            if owner != verified:
                # Unknown and someone else's read the same: nothing leaks either way.
                dispatcher.utter_message(
                    response="utter_record_not_on_account",
                    **not_on_account(kind, record_id, language),
                )
                return {kind.slot: None}
            return {kind.slot: record_id}
        # An unknown reference is asked for a factor too, so the reply does not say
        # whether the record exists. The customer already claimed (by their number,
        # say) stays claimed; otherwise no answer can match the absent owner.
        return {
            kind.slot: record_id,
            CLAIMED_CUSTOMER_ID: owner or claimed or no_such_owner(kind.collection, record_id),
        }

    @staticmethod
    async def _claim_by_email(address: str) -> dict[str, Any]:
        """The one customer with this e-mail address as the claimed one; an address
        of nobody's (or of several) is claimed like any other, and no answer matches."""
        found = await backend.call(backend.client().get, "/customers", {"email": address})
        items = found.get("items") if isinstance(found, dict) else None
        owner = (
            items[0].get("id")
            if isinstance(items, list) and len(items) == 1 and isinstance(items[0], dict)
            else None
        )
        if not isinstance(owner, str):  # its own lockout key, not the address itself
            digest = hashlib.sha256(address.casefold().encode("utf-8", "replace")).hexdigest()
            owner = no_such_owner("email", digest[:32])
        return {CLAIMED_CUSTOMER_ID: owner, CLAIMED_BY_EMAIL: True}

    @staticmethod
    async def _check_factor(
        text: str, slots: dict[str, Any], dispatcher: CollectingDispatcher
    ) -> dict[str, Any]:
        claimed = slots.get(CLAIMED_CUSTOMER_ID)
        if slots.get(CLAIMED_BY_EMAIL):
            text = EMAIL.sub(" ", text)  # the address that named the customer proves nothing
        answer = read_factors(text)
        if claimed is None:
            return {KNOWLEDGE_FACTOR: None}
        if answer.offered == 0:
            dispatcher.utter_message(response="utter_factor_not_understood")
            return {KNOWLEDGE_FACTOR: None}
        if answer.offered > MAX_CANDIDATES:
            dispatcher.utter_message(response="utter_factor_one_at_a_time")
            return {KNOWLEDGE_FACTOR: None}
        store = lockout.store()
        # The answer is counted before it is checked, so that answers checked at the
        # same moment cannot pass the limit together; a right one is given back.
        if not await asyncio.to_thread(store.take_attempt, claimed):
            return LOCKED  # even a right answer: the lock is what stops guessing
        if not claimed.startswith(NO_SUCH_OWNER):
            try:
                customer = await backend.call(backend.client().record, CUSTOMER.collection, claimed)
            except backend.BackendError:
                await asyncio.to_thread(store.give_back, claimed)  # nothing was checked
                raise
            if matches(customer, answer):
                await asyncio.to_thread(store.give_back, claimed)
                return {
                    KNOWLEDGE_FACTOR: FACTOR_CONFIRMED,
                    VERIFIED_CUSTOMER_ID: claimed,
                    VERIFICATION_ATTEMPTS: 0,
                    **recorded_language(customer, slots),
                }
        if (await asyncio.to_thread(store.lock_if_reached, claimed)).locked:
            return LOCKED
        attempts = int(slots.get(VERIFICATION_ATTEMPTS) or 0) + 1
        left = settings().verification_max_attempts - attempts
        if left <= 0:
            return {
                KNOWLEDGE_FACTOR: FACTOR_REFUSED,
                VERIFICATION_ATTEMPTS: attempts,
                VERIFICATION_FAILED: True,
            }
        if left == 1:
            dispatcher.utter_message(response="utter_factor_mismatch_last_attempt")
        else:
            dispatcher.utter_message(
                response="utter_factor_mismatch",
                attempts_left=left,
                attempts_left_spoken=spoken.number(left),
            )
        return {KNOWLEDGE_FACTOR: None, VERIFICATION_ATTEMPTS: attempts}
