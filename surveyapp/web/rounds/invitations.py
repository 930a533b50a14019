"""Invitations and mail: uploading recipients, queueing invitations and reminders, delivering
the outbox."""

from __future__ import annotations

from collections.abc import Iterable

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from surveyapp.extensions import db
from surveyapp.models import Round
from surveyapp.services import ServiceError
from surveyapp.services import invitations as invitation_svc
from surveyapp.services import mail as mail_svc
from surveyapp.services import rounds as round_svc
from surveyapp.services.audit import record
from surveyapp.web.access import RUN_ROUNDS, roles_required
from surveyapp.web.rounds.blueprint import action, bp, get_round
from surveyapp.web.rounds.forms import ActionForm, InvitationsUploadForm


def _invitations_page(
    round_: Round,
    upload: InvitationsUploadForm,
    problems: Iterable[object] = (),
    status: int = 200,
) -> ResponseReturnValue:
    return render_template(
        "rounds/invitations.html",
        round=round_,
        upload=upload,
        problems=list(problems),
        form=ActionForm(),
        summary=invitation_svc.invitation_summary(round_),
        due=invitation_svc.reminders_due(round_),
        outbox=mail_svc.outbox_summary(round_.id),
        failures=mail_svc.recent_failures(round_.id),
        delivery=mail_svc.delivery_description(),
        wording=round_svc.wording_of(round_),
    ), status


@bp.route("/rounds/<int:round_id>/invitations", methods=["GET", "POST"])
@roles_required(*RUN_ROUNDS)
def invitations(round_id: int) -> ResponseReturnValue:
    round_ = get_round(round_id)
    upload = InvitationsUploadForm()
    if request.method == "GET":
        return _invitations_page(round_, upload)
    if not upload.validate():
        abort(400)
    file = upload.file.data
    if file is None or not getattr(file, "filename", ""):
        upload.file.errors = ["Choose a CSV file to upload"]
        return _invitations_page(round_, upload, status=400)
    try:
        result = invitation_svc.add_invitations(round_, file.read(), file.filename, by=current_user)
    except invitation_svc.RecipientsRejected as exc:
        db.session.rollback()
        upload.file.errors = [exc.message[:1].upper() + exc.message[1:]]
        return _invitations_page(get_round(round_id), upload, exc.problems, 400)
    except ServiceError as exc:
        db.session.rollback()
        upload.file.errors = [exc.message[:1].upper() + exc.message[1:]]
        return _invitations_page(get_round(round_id), upload, status=400)
    db.session.commit()
    skipped = (
        f" {result.already_invited} were already invited and were not added again."
        if result.already_invited
        else ""
    )
    flash(f"{result.added} {'person' if result.added == 1 else 'people'} added.{skipped}")
    return redirect(url_for("rounds.invitations", round_id=round_id))


@bp.post("/rounds/<int:round_id>/invitations/send")
@roles_required(*RUN_ROUNDS)
def send_invitations(round_id: int) -> ResponseReturnValue:
    return action(
        round_id,
        lambda r: invitation_svc.send_invitations(r, by=current_user),
        "{result} invitation(s) queued. Send the emails below to deliver them.",
        "rounds.invitations",
    )


@bp.post("/rounds/<int:round_id>/invitations/remind")
@roles_required(*RUN_ROUNDS)
def send_reminders(round_id: int) -> ResponseReturnValue:
    return action(
        round_id,
        lambda r: invitation_svc.send_reminders(r, by=current_user),
        "{result} reminder(s) queued. Send the emails below to deliver them.",
        "rounds.invitations",
    )


@bp.post("/rounds/<int:round_id>/mail/send")
@roles_required(*RUN_ROUNDS)
def send_mail(round_id: int) -> ResponseReturnValue:
    round_ = get_round(round_id)
    if not ActionForm().validate():
        abort(400)
    # Committed after each message, so a failure part way never sends anything twice.
    result = mail_svc.deliver_pending(db.session.commit, round_id=round_.id)
    record(
        "mail.send",
        user=current_user,
        round_id=round_.id,
        sent=result.sent,
        retrying=result.retrying,
        failed=result.failed,
    )
    db.session.commit()
    flash(f"Emails: {result}.")
    return redirect(url_for("rounds.invitations", round_id=round_id))
