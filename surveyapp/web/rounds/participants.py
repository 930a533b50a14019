"""The participant table: who was invited to a round and how far they got (never what they
answered), with resend, remove and erase-one-address for each person."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from surveyapp.extensions import db
from surveyapp.models import Invitation, Round
from surveyapp.services import ServiceError
from surveyapp.services import invitations as invitation_svc
from surveyapp.web.access import RUN_ROUNDS, roles_required
from surveyapp.web.rounds.blueprint import bp, get_round
from surveyapp.web.rounds.forms import ActionForm


def _get_invitation(round_: Round, invitation_id: int) -> Invitation:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.round_id != round_.id:
        abort(404)
    return invitation


@bp.get("/rounds/<int:round_id>/participants")
@roles_required(*RUN_ROUNDS)
def participants(round_id: int) -> ResponseReturnValue:
    round_ = get_round(round_id)
    search = request.args.get("q", "")[:320]
    page = request.args.get("page", 1, type=int) or 1
    rows, total = invitation_svc.participants(round_, search=search, page=page)
    per_page = invitation_svc.PARTICIPANTS_PER_PAGE
    return render_template(
        "rounds/participants.html",
        round=round_,
        rows=rows,
        total=total,
        search=search,
        page=page,
        pages=max(1, -(-total // per_page)),
        summary=invitation_svc.invitation_summary(round_),
        form=ActionForm(),
    )


def _back(round_id: int) -> ResponseReturnValue:
    return redirect(
        url_for(
            "rounds.participants",
            round_id=round_id,
            q=request.args.get("q") or None,
            page=request.args.get("page") or None,
        )
    )


@bp.post("/rounds/<int:round_id>/participants/<int:invitation_id>/resend")
@roles_required(*RUN_ROUNDS)
def resend_invitation(round_id: int, invitation_id: int) -> ResponseReturnValue:
    """Queue this person's invitation again; the outbox delivers it with the next send."""
    round_ = get_round(round_id)
    invitation = _get_invitation(round_, invitation_id)
    if not ActionForm().validate():
        abort(400)
    try:
        invitation_svc.resend_invitation(round_, invitation, by=current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(f"Not sent: {exc.message}.")
        return _back(round_id)
    db.session.commit()
    flash(f"Invitation to {invitation.email} queued. It goes with the next send of emails.")
    return _back(round_id)


_CHANGES = {
    "remove": (
        invitation_svc.remove_invitation,
        "Remove {email} from this round?",
        "{email} was removed from the round.",
    ),
    "erase": (
        invitation_svc.erase_invitation_email,
        "Erase {email}’s address?",
        "The address was erased. The counts are unchanged.",
    ),
}


@bp.route("/rounds/<int:round_id>/participants/<int:invitation_id>/remove", methods=["GET", "POST"])
@roles_required(*RUN_ROUNDS)
def remove_invitation(round_id: int, invitation_id: int) -> ResponseReturnValue:
    return _confirmed_change(round_id, invitation_id, "remove")


@bp.route("/rounds/<int:round_id>/participants/<int:invitation_id>/erase", methods=["GET", "POST"])
@roles_required(*RUN_ROUNDS)
def erase_invitation_email(round_id: int, invitation_id: int) -> ResponseReturnValue:
    return _confirmed_change(round_id, invitation_id, "erase")


def _confirmed_change(round_id: int, invitation_id: int, change: str) -> ResponseReturnValue:
    """Ask first (GET), then remove the person or erase their address (POST)."""
    round_ = get_round(round_id)
    invitation = _get_invitation(round_, invitation_id)
    do, question, done = _CHANGES[change]
    email = invitation.email or "this person"
    if request.method == "GET":
        return render_template(
            "rounds/participant_confirm.html",
            round=round_,
            invitation=invitation,
            change=change,
            heading=question.format(email=email),
            status=invitation_svc.participant_status(invitation),
        )
    if not ActionForm().validate():
        abort(400)
    try:
        do(round_, invitation, by=current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(f"Not done: {exc.message}.")
        return _back(round_id)
    db.session.commit()
    flash(done.format(email=email))
    return _back(round_id)
