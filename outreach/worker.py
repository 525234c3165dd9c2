"""The outreach worker: a loop over outreach's own database, not a job scheduler.

Why not APScheduler's SQLAlchemy job store: the planned sends must be in the database
anyway (unique per rule and event, with their state for exactly-once and the log), so
a second copy of each as a pickled job would be a second truth to keep in step. The
worker reads the memory's feed into plans, every `scan_every` scans the backend's
records for the rules' conditions (a policy pending activation for N days, a customer
at risk) into plans, then handles every plan that is due: the facts are fetched and
`decide()` runs at that moment, every time. One tick is a pure
function of the clock it is given, so tests drive it with any time.
"""

import logging
import threading
from datetime import UTC, datetime, timedelta

from outreach.config import OutreachConfig, Rule
from outreach.delivery import DeliveryFailed, RasaDelivery
from outreach.governance import Customer, decide
from outreach.ledger import ConsentLedger
from outreach.mail import mail_thread
from outreach.plans import Plan, PlanStore, Seen, Taken
from outreach.sources import Facts, Memory, SourceUnavailable
from outreach.voice import TwilioCalls

logger = logging.getLogger("outreach.worker")
# A plan whose facts or delivery are unreachable is tried again after 1, 2, 4… minutes,
# and recorded as failed after MAX_ATTEMPTS.
MAX_ATTEMPTS = 5
# The e-mail channel's secret and the Message-ID domain (outreach/mail.py).
MailNaming = tuple[str, str]


class Worker:
    def __init__(
        self,
        config: OutreachConfig,
        plans: PlanStore,
        ledger: ConsentLedger,
        memory: Memory,
        facts: Facts,
        delivery: RasaDelivery,
        mail: MailNaming | None = None,
        calls: TwilioCalls | None = None,
        scan_every: timedelta = timedelta(minutes=5),
    ) -> None:
        self.config, self.plans, self.ledger = config, plans, ledger
        self.memory, self.facts, self.delivery = memory, facts, delivery
        self.mail, self.calls = mail, calls
        self.scan_every, self.scanned_at = scan_every, datetime.min.replace(tzinfo=UTC)

    def _address(self, plan: Plan, customer: Customer) -> tuple[str, dict[str, str]] | None:
        """The conversation plan's channel reaches the customer in, and what its
        channel needs besides (an e-mail's address and thread, the customer's language);
        None without one."""
        language = {"language": customer.language} if customer.language else {}
        if plan.channel == "email" and customer.email and self.mail is not None:
            secret, domain = self.mail
            thread = mail_thread(plan.id, plan.customer_id, customer.email, secret, domain)
            return thread.conversation, {
                "address": thread.address,
                "thread": thread.thread,
                **language,
            }
        if plan.channel in (None, "whatsapp") and customer.whatsapp:
            return customer.whatsapp, language
        if plan.channel == "voice" and customer.phone and self.calls is not None:
            return customer.phone, {}
        return None

    def read_feed(self, now: datetime) -> int:
        """Plan the rules the new events trigger; how many sends were planned."""
        planned = 0
        while True:
            after = self.plans.cursor()
            events, following = self.memory.events_after(after)
            planned += self.plans.plan(events, self.config.rules, following, now)
            if not events:
                return planned

    def _holding(self, rule: Rule, now: datetime) -> list[Seen]:
        """The records rule's condition or lifecycle stage holds for now."""
        trigger, backend = rule.trigger, self.facts.backend
        if trigger.condition == "pending_activation" and trigger.days:
            # Pending for N days: since a day before today - N + 1.
            before = now.date() - timedelta(days=trigger.days - 1)
            return [Seen(p["customer_id"], p["id"]) for p in backend.pending_activations(before)]
        if trigger.lifecycle_stage:
            return [Seen(c["id"], c["id"]) for c in backend.customers_in(trigger.lifecycle_stage)]
        return []

    def scan(self, now: datetime) -> int:
        """Plan each condition rule once per record it holds for; how many were new.
        A rule whose records cannot be read now is scanned again next time."""
        self.scanned_at, planned = now, 0
        for name, rule in self.config.rules.items():
            if rule.trigger.event:
                continue
            try:
                found = self._holding(rule, now)
            except SourceUnavailable as error:
                logger.warning("outreach.scan.unavailable rule=%s: %s", name, error)
                continue
            planned += self.plans.plan_conditions(name, rule, found, now)
        return planned

    def tick(self, now: datetime) -> None:
        """Read the feed (and scan the conditions when due), then handle every plan
        due by now."""
        try:
            planned = self.read_feed(now)
        except SourceUnavailable as error:
            logger.warning("outreach.feed.unavailable: %s", error)
            planned = 0
        if now - self.scanned_at >= self.scan_every:
            planned += self.scan(now)
        if planned:
            logger.info("outreach.planned new=%d", planned)
        for plan in self.plans.due(now):
            self.handle(plan, now)

    def handle(self, plan: Plan, now: datetime) -> None:
        """Decide and send (or defer, suppress, retry) one due plan; a plan another
        worker moved on first is left to it."""
        try:
            self._handle(plan, now)
        except Taken:
            logger.info("outreach.taken plan=%d: another worker has it", plan.id)

    def _handle(self, plan: Plan, now: datetime) -> None:
        rule = self.config.rules.get(plan.rule)
        if rule is None:
            self.plans.failed(plan, "rule_removed", now)
            return
        try:
            customer, signals = self.facts.gather(
                plan.customer_id, plan.event_type, plan.record, now
            )
            if plan.state == "sending" and plan.channel == "voice":
                # Placed or not before a restart: a call is never placed twice.
                self.plans.failed(plan, "call_unknown", now)
                return
            # Decided before a restart: it may have gone out.
            before = self._address(plan, customer) if plan.state == "sending" else None
            if before is not None and self.delivery.delivered(plan, before[0]):
                self.plans.sent(plan, rule.message, now)
                return
            decision = decide(
                self.config,
                rule,
                customer,
                now,
                self.ledger.state(plan.customer_id),
                self.plans.recent(plan.customer_id, now, but=plan.id),
                signals,
            )
            if decision.action != "send":
                self.plans.decided(plan, decision, now)
                logger.info(
                    "outreach.%s plan=%d rule=%s reason=%s",
                    decision.action,
                    plan.id,
                    plan.rule,
                    decision.reason,
                )
                return
            plan = self.plans.sending(plan, decision, now)
            address = self._address(plan, customer)
            assert address is not None  # decide() chose a channel the customer is reachable on
            sent = self._deliver(plan, rule, decision.disclose, address, now)
            self.plans.sent(plan, rule.message, now)
            logger.info(
                "outreach.sent plan=%d rule=%s channel=%s as=%s",
                plan.id,
                plan.rule,
                plan.channel,
                sent,
            )
        except (SourceUnavailable, DeliveryFailed) as error:
            self._later(plan, now, str(error))  # plan: the version this worker holds

    def _deliver(
        self,
        plan: Plan,
        rule: Rule,
        disclose: bool,
        address: tuple[str, dict[str, str]],
        now: datetime,
    ) -> str:
        """Send on the plan's channel: a call (which always discloses), else the intent
        run in the customer's conversation; what went out, for the log."""
        if plan.channel == "voice" and self.calls is not None:
            self.calls.call(plan, address[0], rule.message)
            return "call"
        return self.delivery.send(
            plan,
            address[0],
            rule.message,
            disclose,
            address[1],
            rule.whatsapp_template if plan.channel == "whatsapp" else None,
            now,
        )

    def _later(self, plan: Plan, now: datetime, reason: str) -> None:
        if plan.attempts + 1 >= MAX_ATTEMPTS:
            self.plans.failed(plan, "unreachable", now)
            logger.error("outreach.failed plan=%d: %s", plan.id, reason)
            return
        self.plans.retry(plan, now + timedelta(minutes=2**plan.attempts))
        logger.warning("outreach.retry plan=%d attempt=%d: %s", plan.id, plan.attempts + 1, reason)


class Loop:
    """The worker in a thread of the service, ticking every `seconds` with the clock."""

    def __init__(self, worker: Worker, seconds: float) -> None:
        self.worker, self.seconds = worker, seconds
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="outreach-worker", daemon=True)

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.worker.tick(datetime.now(UTC))
            except Exception:  # a bug in one tick must not end outreach for good
                logger.exception("outreach.tick.failed")
            self.stopping.wait(self.seconds)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=30)
