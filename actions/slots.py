"""Names of the slots the actions read and write, and the reset after a request."""

from rasa_sdk.events import EventType, SlotSet

from actions.records import ALL_KINDS

REQUEST_TOPIC = "request_topic"
KNOWLEDGE_FACTOR = "knowledge_factor"
CLAIMED_CUSTOMER_ID = "claimed_customer_id"
# The claim came from an e-mail address the customer gave instead of a number.
CLAIMED_BY_EMAIL = "claimed_by_email"
VERIFIED_CUSTOMER_ID = "verified_customer_id"
VERIFICATION_ATTEMPTS = "verification_attempts"
VERIFICATION_FAILED = "verification_failed"
# The claimed record is locked (actions/lockout.py); cleared with the request, since
# the lock lives in the store and may be lifted by an agent meanwhile.
VERIFICATION_LOCKED = "verification_locked"
BACKEND_ERROR = "backend_error"
# A knowledge factor given while the backend was down, and the customer it was
# meant for (None when the record was not known yet): checked when next possible.
PENDING_FACTOR = "pending_factor"
PENDING_CLAIM = "pending_claim"
BACKEND_FAILURES = "backend_failures"
HUMAN_OFFERED = "human_offered"
HUMAN_REQUESTED = "human_requested"
HANDOFF_ID = "handoff_id"
# The conversation's language (languages.yml); unset means languages.yml's default.
LANGUAGE = "language"

# Values that fill knowledge_factor once the check is over, so the form can end.
FACTOR_CONFIRMED = "confirmed"
FACTOR_REFUSED = "refused"
# The claimed owner of a reference that names no record starts with this. Asked for a
# factor like any other, counted and locked like any other (so nothing, not even the
# lock, says the record does not exist); no answer can match it.
NO_SUCH_OWNER = "-"


def no_such_owner(collection: str, record_id: str) -> str:
    """The lockout key of a reference that names no record: its own, so guesses at it
    lock it as guesses at a real record lock that record's owner."""
    return f"{NO_SUCH_OWNER}{collection}:{record_id}"[:64]


def request_finished() -> list[EventType]:
    """Forget one request's references so the next one starts clean; the verified
    identity and the attempt count stay for the session."""
    names = [kind.slot for kind in ALL_KINDS] + [
        REQUEST_TOPIC,
        KNOWLEDGE_FACTOR,
        CLAIMED_CUSTOMER_ID,
        CLAIMED_BY_EMAIL,
        BACKEND_ERROR,
        VERIFICATION_LOCKED,
    ]
    return [SlotSet(name, None) for name in names]
