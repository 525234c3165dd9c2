"""The optional outbound CCaaS webhook: each new hand-over is POSTed to
CCAAS_WEBHOOK_URL in a background thread, retried with exponential backoff under
one `Idempotency-Key` (the hand-over's id), and every attempt is recorded on the
hand-over. The request that created the hand-over never waits for it."""

import contextlib
import hashlib
import hmac
import json
import logging
import threading
from datetime import UTC, datetime
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tenacity import RetryCallState, Retrying, retry_if_result

from desk.models import Handoff
from desk.settings import WebhookSettings

logger = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Switchboard-Signature"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def envelope(handoff: Handoff) -> dict[str, Any]:
    """What the CCaaS receives."""
    return {
        "handoff_id": handoff.id,
        "conversation_id": handoff.conversation_id,
        "status": handoff.status,
        "packet": handoff.packet,
    }


class _Stopping(Exception):
    """The desk is stopping: a delivery waiting for its next attempt ends."""


class WebhookSender:
    """Delivers hand-overs to one URL; `stop` ends the deliveries under way."""

    def __init__(
        self, url: str, secret: str | None, settings: WebhookSettings, sessions: sessionmaker
    ) -> None:
        self.url = url
        self.secret = secret
        self.settings = settings
        self.sessions = sessions
        self.stopping = threading.Event()

    def backoff(self, attempt: int) -> float:
        """Seconds before the attempt after `attempt` (1-based)."""
        return min(
            self.settings.initial_backoff_seconds * 2 ** (attempt - 1),
            self.settings.max_backoff_seconds,
        )

    def stop(self) -> None:
        self.stopping.set()

    def start(self, handoff_id: str) -> None:
        threading.Thread(
            target=self.deliver, args=(handoff_id,), name=f"webhook-{handoff_id}", daemon=True
        ).start()

    def resume_pending(self) -> None:
        """Carry on with deliveries a previous run of the desk did not finish."""
        with self.sessions() as session:
            pending = session.scalars(
                select(Handoff.id).where(
                    Handoff.webhook_delivered_at.is_(None),
                    Handoff.webhook_attempts < self.settings.max_attempts,
                )
            ).all()
        for handoff_id in pending:
            self.start(handoff_id)

    def _post(self, handoff: Handoff) -> str | None:
        """One attempt; the error, or None once delivered."""
        body = json.dumps(envelope(handoff)).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": handoff.id}
        if self.secret:
            headers[SIGNATURE_HEADER] = signature(self.secret, body)
        try:
            response = requests.post(
                self.url, data=body, headers=headers, timeout=self.settings.timeout_seconds
            )
        except requests.RequestException as error:
            return error.__class__.__name__
        return None if response.status_code < 300 else f"HTTP {response.status_code}"

    def _attempt(self, session: Session, handoff: Handoff) -> bool:
        error = self._post(handoff)
        handoff.webhook_attempts += 1
        handoff.webhook_last_error = error
        if error is None:
            handoff.webhook_delivered_at = datetime.now(UTC)
        session.commit()
        return error is None

    def deliver(self, handoff_id: str) -> None:
        """Attempt until delivered, out of attempts, or the desk stops. The attempts
        are counted on the hand-over, so a restarted desk goes on where it stopped."""
        with self.sessions() as session:
            handoff = session.get(Handoff, handoff_id)

            def out_of_attempts(_: Any = None) -> bool:
                if handoff.webhook_attempts < self.settings.max_attempts:
                    return False
                logger.error(
                    "webhook: hand-over %s not delivered after %d attempts",
                    handoff_id,
                    handoff.webhook_attempts,
                )
                return True

            def failed(_: RetryCallState) -> None:
                logger.warning(
                    "webhook: hand-over %s attempt %d failed: %s",
                    handoff_id,
                    handoff.webhook_attempts,
                    handoff.webhook_last_error,
                )

            def pause(seconds: float) -> None:
                if self.stopping.wait(seconds):
                    raise _Stopping

            if out_of_attempts():
                return
            retrying = Retrying(
                retry=retry_if_result(lambda delivered: not delivered),
                after=failed,
                stop=out_of_attempts,
                wait=lambda _: self.backoff(handoff.webhook_attempts),
                sleep=pause,
                retry_error_callback=lambda _: False,
            )
            with contextlib.suppress(_Stopping):
                if retrying(self._attempt, session, handoff):
                    logger.info("webhook: hand-over %s delivered", handoff_id)
