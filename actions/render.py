"""Plain-language answers built from backend records.

Pure functions of the record (and the company policies), so every status reads
the same on every channel and is unit-tested without a server.
"""

from collections import Counter
from datetime import date
from typing import Any, Callable, Dict, List, Mapping, Optional

Record = Mapping[str, Any]

CURRENCY_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}


def day(iso: Optional[str]) -> str:
    """'2026-11-25' → '25 November 2026'."""
    if not iso:
        return "an unknown date"
    parsed = date.fromisoformat(iso[:10])
    return f"{parsed.day} {parsed:%B %Y}"


def money(amount: Any, currency: str = "EUR") -> str:
    symbol = CURRENCY_SYMBOLS.get(currency, "")
    return f"{symbol}{float(amount):.2f}" if symbol else f"{float(amount):.2f} {currency}"


def _items(order: Record) -> str:
    counts = Counter(str(item.get("name")) for item in order.get("items") or []
                     for _ in range(int(item.get("qty") or 1)))
    return ", ".join(f"{n} x {name}" if n > 1 else name for name, n in counts.items()) or "your items"


def _tracking(order: Record) -> str:
    if order.get("carrier") and order.get("tracking_number"):
        return f" It's with {order['carrier']}, tracking number {order['tracking_number']}."
    return ""


ORDER_STATUS: Dict[str, Callable[[Record], str]] = {
    "processing": lambda o: (
        f"is being prepared in our warehouse and hasn't shipped yet. We expect to "
        f"dispatch it so that it arrives by {day(o.get('eta'))}."),
    "shipped": lambda o: (
        f"has shipped and is expected to arrive on {day(o.get('eta'))}.{_tracking(o)}"),
    "out_for_delivery": lambda o: (
        f"is out for delivery and should reach you by {day(o.get('eta'))}.{_tracking(o)}"),
    "delayed": lambda o: (
        f"is delayed because of {o.get('delay_reason') or 'a problem in transit'}. "
        f"The new expected delivery date is {day(o.get('eta'))}.{_tracking(o)} "
        f"I'm sorry for the wait."),
    "delivered": lambda o: f"was delivered on {day(o.get('delivered_at'))}.",
    "cancelled": lambda o: "was cancelled, so it won't be delivered.",
    "returned": lambda o: "has been returned to us.",
}


def order_status(order: Record) -> str:
    status = str(order.get("status"))
    describe = ORDER_STATUS.get(status, lambda o: f"has the status '{status}'.")
    return f"Your order {order['id']} ({_items(order)}) {describe(order)}"


def claim_status(claim: Record) -> str:
    kind = str(claim.get("type") or "device").replace("_", " ")
    status = str(claim.get("status") or "unknown").replace("_", " ")
    text = (f"Your {kind} claim {claim['id']} is {status} "
            f"(last updated {day(claim.get('last_update'))}).")
    if claim.get("payout"):
        text += f" The payout is {money(claim['payout'])}."
    if claim.get("next_step"):
        text += f" Next step: {claim['next_step']}"
    return text


INVOICE_FIXES = {
    "card expired": ("To fix it, add a new card under Account > Payment methods, or pay "
                     "by {alternatives}. We'll retry the payment once the card is updated."),
}
DEFAULT_FIX = ("To fix it, check the payment details under Account > Payment methods, "
               "or pay by {alternatives}.")


def invoice_status(invoice: Record, policies: Optional[Record] = None) -> str:
    amount = money(invoice.get("amount", 0), str(invoice.get("currency") or "EUR"))
    head = f"Invoice {invoice['id']} for {amount}"
    status = invoice.get("status")
    if status == "paid":
        return f"{head} is paid. Nothing more to do."
    if status == "due":
        return f"{head} is due on {day(invoice.get('due_date'))} and will be charged to your {invoice.get('method')}."
    if status == "overdue":
        return (f"{head} is overdue (due date {day(invoice.get('due_date'))}). You can pay it "
                f"in your account under Invoices, with {_alternatives(policies)}.")
    if status == "failed":
        reason = invoice.get("failure_reason") or "payment was declined"
        fix = INVOICE_FIXES.get(reason, DEFAULT_FIX).format(alternatives=_alternatives(policies))
        return (f"{head}: the payment with your {invoice.get('method')} failed because the "
                f"{reason}. {fix}")
    return f"{head} has the status '{status}'."


def _alternatives(policies: Optional[Record]) -> str:
    methods = list((policies or {}).get("payment_methods") or ["card", "PayPal", "bank transfer"])
    return join_words(methods, "or")


def join_words(words: List[str], conjunction: str = "and") -> str:
    """['a', 'b', 'c'] → 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


RECORD_RENDERERS: Dict[str, Callable[[Record, Record], str]] = {
    "order": lambda record, policies: order_status(record),
    "claim": lambda record, policies: claim_status(record),
    "invoice": invoice_status,
}

# Which of a customer's records are worth showing when they name none.
OPEN_RECORDS: Dict[str, Callable[[Record], bool]] = {
    "order": lambda o: o.get("status") not in ("delivered", "cancelled", "returned"),
    "claim": lambda c: c.get("status") not in ("closed", "paid"),
    "invoice": lambda i: i.get("status") != "paid",
}
NOTHING_OPEN = {
    "order": "You have no orders on the way right now: everything has been delivered, cancelled or returned.",
    "claim": "You have no open claims right now.",
    "invoice": "All your invoices are paid. Nothing is due.",
}
MAX_LISTED = 3


def open_records(topic: str, records: List[Record], policies: Record) -> List[str]:
    """The customer's open records of a topic, one message each, newest first."""
    wanted = [r for r in records if OPEN_RECORDS[topic](r)][:MAX_LISTED]
    if not wanted:
        return [NOTHING_OPEN[topic]]
    return [RECORD_RENDERERS[topic](r, policies) for r in wanted]


POLICY_ANSWERS: Dict[str, Callable[[Record], str]] = {
    "ask_return_policy": lambda p: (
        f"You can return an item within {p['return_window_days']} days of delivery for a full "
        f"refund. Start the return in your account under Orders, or ask me about your order."),
    "ask_shipping_time": lambda p: (
        f"Standard delivery takes {p['standard_shipping_business_days']} business days and "
        f"express delivery {p['express_shipping_business_days']} business day."),
    "ask_free_shipping": lambda p: (
        f"Standard delivery is free on orders over {money(p['free_shipping_threshold_eur'])}."),
    "ask_warranty": lambda p: (
        f"Every Brightwave product has a {p['warranty_months']}-month warranty against "
        f"manufacturing faults. Accidental damage, water damage and theft are covered by our "
        f"device-protection plans."),
    "ask_payment_methods": lambda p: (
        f"We accept {join_words(list(p['payment_methods']))}."),
    "ask_support_hours": lambda p: (
        f"Our human support team is available {p['support_hours_human']}. I'm here "
        f"{p.get('assistant_hours', '24/7')}, and I can pass your request to the team at any time."),
    "ask_claim_decision_time": lambda p: (
        f"We decide on a device-protection claim within {p['claim_decision_business_days']} "
        f"business days of receiving it. You can ask me for the status of your claim at any time."),
}
