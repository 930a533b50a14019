"""A lead publishes a chosen comment as a quote (perhaps edited), or withdraws it. Managers see
published quotes in the report; the page that chooses them is for leads and admins only."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from surveyapp.extensions import db
from surveyapp.services import ServiceError
from surveyapp.services import quotes as quote_svc
from surveyapp.web.access import RUN_ROUNDS, roles_required
from surveyapp.web.rounds.blueprint import bp, get_round
from surveyapp.web.rounds.forms import ActionForm, QuoteForm, show_service_error

#: Response ids are random 62-bit numbers (BIGINT), beyond the ``int`` converter's INTEGER limit.
RESPONSE_ID = "int(max=9223372036854775807)"


@bp.route(
    f"/rounds/<int:round_id>/comments/<{RESPONSE_ID}:response_id>/quote", methods=["GET", "POST"]
)
@roles_required(*RUN_ROUNDS)
def publish_quote(round_id: int, response_id: int) -> ResponseReturnValue:
    round_ = get_round(round_id)
    try:
        response = quote_svc.comment_of(round_, response_id)
    except ServiceError:
        abort(404)
    existing = quote_svc.quote_for(response.id)
    form = QuoteForm()
    if request.method == "GET":
        form.text.data = existing.text if existing else (response.comment or "").strip()
        form.public.data = existing.public if existing else False
    elif form.validate():
        try:
            quote_svc.publish_quote(
                round_,
                response.id,
                form.text.data or "",
                public=bool(form.public.data),
                by=current_user,
            )
        except ServiceError as exc:
            db.session.rollback()
            show_service_error(form, exc)
        else:
            db.session.commit()
            flash(
                "The quote was published in the report."
                if existing is None
                else "The quote was changed."
            )
            return redirect(url_for("rounds.comments", round_id=round_.id) + "#quotes")
    return render_template(
        "rounds/quote.html",
        round=round_,
        form=form,
        original=(response.comment or "").strip(),
        existing=existing,
    ), (400 if form.errors else 200)


@bp.post("/rounds/<int:round_id>/quotes/<int:quote_id>/withdraw")
@roles_required(*RUN_ROUNDS)
def withdraw_quote(round_id: int, quote_id: int) -> ResponseReturnValue:
    round_ = get_round(round_id)
    if not ActionForm().validate():
        abort(400)
    try:
        quote_svc.withdraw_quote(round_, quote_id, by=current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(f"Not done: {exc.message}.")
    else:
        db.session.commit()
        flash("The quote was withdrawn from every report.")
    return redirect(url_for("rounds.comments", round_id=round_.id) + "#quotes")
