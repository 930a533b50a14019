"""Delivering the outbox: over SMTP when ``MAIL_SERVER`` is set, else into ``MAIL_FOLDER``.

Messages are queued by the action that caused them (see :mod:`surveyapp.services.invitations`)
with a ``{link}`` placeholder; the personal link is derived here, just before sending, so the
outbox never holds a working link. A failed attempt is retried later with a growing wait; after
:data:`MAX_ATTEMPTS` the message is marked failed with its last error kept.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from flask import current_app

from surveyapp.extensions import db
from surveyapp.models import Invitation, OutboxMessage
from surveyapp.models.base import utcnow
from surveyapp.services.invitations import LINK_PLACEHOLDER, invitation_link
from surveyapp.services.users import PASSWORD_RESET_KIND, reset_link_for_message

MAX_ATTEMPTS = 5
#: Wait before attempt n+1 is RETRY_BASE * 2**(n-1): 5, 10, 20, 40 minutes.
RETRY_BASE = timedelta(minutes=5)
SMTP_TIMEOUT = 30


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...
    def close(self) -> None: ...


class SMTPTransport:
    """One SMTP connection, opened on first use and reused for the batch."""

    def __init__(
        self, host: str, port: int, username: str = "", password: str = "", use_tls: bool = False
    ) -> None:
        self.host, self.port = host, port
        self.username, self.password, self.use_tls = username, password, use_tls
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._conn is None:
            conn = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT)
            try:
                if self.use_tls:
                    conn.starttls(context=ssl.create_default_context())
                if self.username:
                    conn.login(self.username, self.password)
            except (smtplib.SMTPException, OSError):
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def send(self, message: EmailMessage) -> None:
        try:
            self._connect().send_message(message)
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()
            raise

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (smtplib.SMTPException, OSError):
                self._conn.close()
            self._conn = None


class FolderTransport:
    """Writes each message as an ``.eml`` file: a local demo needs no mail server."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow():%Y%m%dT%H%M%S%f}-{message['X-Surveyapp-Outbox-Id']}.eml"
        (self.folder / name).write_bytes(message.as_bytes())

    def close(self) -> None:
        """Nothing to close."""


def transport_from_config() -> Transport:
    config = current_app.config
    if config.get("MAIL_SERVER"):
        return SMTPTransport(
            config["MAIL_SERVER"],
            int(config["MAIL_PORT"]),
            config.get("MAIL_USERNAME", ""),
            config.get("MAIL_PASSWORD", ""),
            bool(config.get("MAIL_USE_TLS")),
        )
    return FolderTransport(config["MAIL_FOLDER"])


def delivery_description() -> str:
    """Where mail goes, for people (the password is never shown)."""
    config = current_app.config
    if config.get("MAIL_SERVER"):
        return f"SMTP server {config['MAIL_SERVER']}:{config['MAIL_PORT']}"
    return f"the folder {config['MAIL_FOLDER']} (no mail server is set)"


def build_email(message: OutboxMessage) -> EmailMessage:
    """The email to send, with the recipient's link filled in if it is an invitation's."""
    text, body_html = message.body_text, message.body_html
    if message.invitation_id is not None:
        invitation = db.session.get(Invitation, message.invitation_id)
        if invitation is None or invitation.email is None:
            raise LookupError("the invitation no longer exists or its email was erased")
        link = invitation_link(invitation)
        text = text.replace(LINK_PLACEHOLDER, link)
        body_html = body_html.replace(LINK_PLACEHOLDER, html.escape(link))
    elif message.kind == PASSWORD_RESET_KIND:
        text = text.replace(LINK_PLACEHOLDER, reset_link_for_message(message))
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = current_app.config["MAIL_SENDER"]
    email["To"] = message.to_addr
    email["Message-ID"] = make_msgid(
        domain=current_app.config["MAIL_SENDER"].rpartition("@")[2] or None
    )
    email["X-Surveyapp-Outbox-Id"] = str(message.id)
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(text)
    if body_html:
        email.add_alternative(body_html, subtype="html")
    return email


@dataclass
class SendResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.retrying} to retry later, {self.failed} failed for good"


def pending_ids(now: datetime, round_id: int | None = None) -> list[int]:
    """Messages due to be sent now, oldest first."""
    query = (
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
    )
    if round_id is not None:
        query = query.where(OutboxMessage.round_id == round_id)
    return list(db.session.scalars(query))


def _attempt(message: OutboxMessage, transport: Transport, now: datetime) -> str:
    """Try one message; record the outcome on it and return ``sent``, ``retrying`` or ``failed``."""
    message.attempts += 1
    try:
        email = build_email(message)
    except LookupError as exc:
        message.status, message.last_error = "failed", str(exc)
        return "failed"
    try:
        transport.send(email)
    except (smtplib.SMTPException, OSError) as exc:
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = "failed"
            return "failed"
        message.next_attempt_at = now + RETRY_BASE * 2 ** (message.attempts - 1)
        return "retrying"
    message.status, message.sent_at, message.last_error = "sent", now, None
    return "sent"


def deliver_pending(
    commit: Callable[[], None],
    *,
    round_id: int | None = None,
    transport: Transport | None = None,
    now: datetime | None = None,
    limit: int | None = None,
) -> SendResult:
    """Send every message that is due, calling ``commit`` after each one so that a crash part way
    never sends the same message twice; ``round_id`` limits it to one round's mail."""
    now = now or utcnow()
    transport = transport or transport_from_config()
    result = SendResult()
    try:
        for message_id in pending_ids(now, round_id)[:limit]:
            message = db.session.get(OutboxMessage, message_id)
            if message is None or message.status != "pending":
                continue
            outcome = _attempt(message, transport, now)
            setattr(result, outcome, getattr(result, outcome) + 1)
            commit()
    finally:
        transport.close()
    return result


def deliver_now(message_id: int, commit: Callable[[], None]) -> str:
    """Try one queued message at once (a password reset link, say), leaving it to the usual
    retries if that fails; returns ``sent``, ``retrying`` or ``failed``."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status != "pending":
        return "failed"
    transport = transport_from_config()
    try:
        outcome = _attempt(message, transport, utcnow())
        commit()
    finally:
        transport.close()
    return outcome


def outbox_summary(round_id: int) -> dict[str, int]:
    """Counts of the round's messages by status, and the most recent failure reason."""
    rows = db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count())
        .where(OutboxMessage.round_id == round_id)
        .group_by(OutboxMessage.status)
    )
    counts = {"pending": 0, "sent": 0, "failed": 0}
    counts.update({status: n for status, n in rows})
    return counts


def recent_failures(round_id: int, limit: int = 20) -> list[OutboxMessage]:
    """Messages of the round that failed for good, or are waiting to retry after an error."""
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.round_id == round_id, OutboxMessage.last_error.is_not(None))
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
    )
