"""Invitations, reminders and the outbox, delivered through a real SMTP server on loopback."""

from __future__ import annotations

import socket
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from surveyapp.extensions import db
from surveyapp.models import Invitation, OutboxMessage, Round
from surveyapp.models.base import utcnow
from surveyapp.services import ServiceError, mail
from surveyapp.services import invitations as inv
from surveyapp.services.tokens import invitation_token, sha256

CSV = b"email,partner_type\n" + b"".join(
    f"p{i}@partner.example,school\n".encode() for i in range(4)
)


class Inbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_SENDER="early-help@council.example"
    )
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def open_round(app, make_round, app_ctx):
    round_id = make_round("Autumn survey", open_=True, partner_type_slugs=["school"])
    round_ = db.session.get(Round, round_id)
    inv.add_invitations(round_, CSV, "people.csv")
    db.session.commit()
    return round_


def test_invitations_arrive_over_smtp_with_each_persons_own_link(app, smtp, open_round):
    assert inv.send_invitations(open_round) == 4
    db.session.commit()
    result = mail.deliver_pending(db.session.commit)
    assert (result.sent, result.retrying, result.failed) == (4, 0, 0)
    assert sorted(m["To"] for m in smtp.messages) == [f"p{i}@partner.example" for i in range(4)]
    by_email = {i.email: i for i in db.session.scalars(sa.select(Invitation))}
    for message in smtp.messages:
        assert message["From"] == "early-help@council.example"
        assert message["Subject"] == "Please tell us about early help: Autumn survey"
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        token = invitation_token(by_email[message["To"]].token_nonce)
        link = f"http://surveyapp.test/s/{token}"
        assert link in text and f'<a href="{link}">' in html
        assert by_email[message["To"]].token_hash == sha256(token)
        assert "{" not in text
    stored = db.session.scalars(sa.select(OutboxMessage)).all()
    assert {m.status for m in stored} == {"sent"}
    assert all("/s/" not in m.body_text for m in stored)
    # Sending again queues nobody: everyone already has an invitation.
    assert inv.send_invitations(open_round) == 0


def test_reminders_only_to_non_completers_with_gap_and_limit(app, smtp, open_round):
    open_round.reminder_gap_days, open_round.max_reminders = 3, 1
    inv.send_invitations(open_round)
    now = utcnow()
    assert inv.send_reminders(open_round, now=now) == 0  # too soon after the invitation
    invitations = db.session.scalars(sa.select(Invitation).order_by(Invitation.id)).all()
    invitations[0].completed_on = now.date()
    later = now + timedelta(days=3, minutes=1)
    assert inv.reminders_due(open_round, later) == 3
    assert inv.send_reminders(open_round, now=later) == 3
    db.session.commit()
    mail.deliver_pending(db.session.commit, now=later)
    reminded = sorted(m["To"] for m in smtp.messages if m["Subject"].startswith("Reminder"))
    assert reminded == ["p1@partner.example", "p2@partner.example", "p3@partner.example"]
    much_later = later + timedelta(days=30)
    assert inv.send_reminders(open_round, now=much_later) == 0  # max_reminders = 1 reached
    open_round.max_reminders = 2
    assert inv.send_reminders(open_round, now=later + timedelta(days=2)) == 0  # gap not passed
    assert inv.send_reminders(open_round, now=later + timedelta(days=3)) == 3


def test_lead_wording_is_used(app, smtp, open_round):
    open_round.invitation_subject = "{council}: {title}"
    open_round.invitation_body = "Dear colleague,\n\n<b>Answer</b> here: {link}"
    inv.send_invitations(open_round)
    db.session.commit()
    mail.deliver_pending(db.session.commit)
    message = smtp.messages[0]
    assert message["Subject"] == "Your council: Autumn survey"
    html = message.get_body(("html",)).get_content()
    assert "&lt;b&gt;Answer&lt;/b&gt;" in html  # the lead's text is escaped in the HTML part


def test_failures_are_retried_then_recorded(app, open_round):
    port = free_port()  # nothing listens here
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    inv.send_invitations(open_round)
    db.session.commit()
    now = utcnow()
    result = mail.deliver_pending(db.session.commit, now=now, limit=1)
    assert (result.sent, result.retrying, result.failed) == (0, 1, 0)
    message = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).first()
    assert message.attempts == 1 and "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_at == now + timedelta(minutes=5)
    # Not due again until the wait has passed.
    assert mail.pending_ids(now + timedelta(minutes=4)) == [
        m.id
        for m in db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.attempts == 0).order_by(OutboxMessage.id)
        )
    ]
    moment = now
    for _attempt in range(2, mail.MAX_ATTEMPTS + 1):
        moment = moment + timedelta(hours=2)
        mail.deliver_pending(db.session.commit, now=moment)
    db.session.refresh(message)
    assert (message.status, message.attempts) == ("failed", mail.MAX_ATTEMPTS)
    # The other three joined one attempt later, so they have one try left.
    assert mail.outbox_summary(open_round.id) == {"pending": 3, "sent": 0, "failed": 1}
    assert [m.id for m in mail.recent_failures(open_round.id)][-1] == message.id


def test_without_a_server_mail_goes_to_the_folder(app, open_round, tmp_path):
    inv.send_invitations(open_round)
    db.session.commit()
    assert mail.deliver_pending(db.session.commit).sent == 4
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 4


def test_closed_and_draft_rounds_send_nothing(app, make_round, app_ctx):
    draft = db.session.get(Round, make_round("Draft", partner_type_slugs=["school"]))
    inv.add_invitations(draft, CSV, "people.csv")
    with pytest.raises(ServiceError, match="still a draft"):
        inv.send_invitations(draft)
    with pytest.raises(ServiceError, match="still a draft"):
        inv.send_reminders(draft)


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "the file is empty"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"mail,partner_type\nx@y.example,school\n", "no email column"),
        (b"email,partner_type,team\nx@y.example,school,a\n", "unknown column(s) team"),
        (b"email,partner_type\n", "no recipients"),
    ],
)
def test_bad_files_are_refused_whole(app, make_round, app_ctx, content, reason):
    round_ = db.session.get(Round, make_round("R", open_=True, partner_type_slugs=["school"]))
    with pytest.raises(inv.RecipientsRejected) as exc:
        inv.add_invitations(round_, content, "f.csv")
    assert reason in exc.value.message + " ".join(str(p) for p in exc.value.problems)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_email_html_keeps_paragraphs_and_line_breaks_and_escapes_the_text(app):
    with app.app_context():
        body = inv.text_to_html("Dear colleague,\n\nLine one\nLine <two>\n\n\n\nGo: {link}\n")
    assert body.startswith('<!doctype html><html lang="en-GB">')
    assert (
        "<p>Dear colleague,</p>\n<p>Line one<br>\nLine &lt;two&gt;</p>\n"
        '<p>Go: <a href="{link}">{link}</a></p>\n</body></html>'
    ) in body
