"""Publishing a closed round's "you said, we did" summary for partners."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from surveyapp.extensions import db
from surveyapp.services import ServiceError
from surveyapp.services import rounds as round_svc
from surveyapp.web.access import RUN_ROUNDS, roles_required
from surveyapp.web.rounds.blueprint import action, bp, get_round
from surveyapp.web.rounds.forms import ActionForm, PublishForm, show_service_error


@bp.route("/rounds/<int:round_id>/publish", methods=["GET", "POST"])
@roles_required(*RUN_ROUNDS)
def publish(round_id: int) -> ResponseReturnValue:
    round_ = get_round(round_id)
    form = PublishForm()
    if request.method == "GET":
        form.actions_text.data = round_.actions_text
    elif form.validate():
        try:
            round_svc.publish_round(round_, form.actions_text.data, by=current_user)
        except ServiceError as exc:
            db.session.rollback()
            round_ = get_round(round_id)
            show_service_error(form, exc)
        else:
            db.session.commit()
            flash("The summary is published. Partners reach it from the round's open links.")
            return redirect(url_for("rounds.publish", round_id=round_id))
    link = next(
        (link for link in round_.open_links if link.partner_type is None and link.locality is None),
        None,
    ) or next(iter(round_.open_links), None)
    return render_template(
        "rounds/publish.html", round=round_, form=form, action=ActionForm(), link=link
    ), 400 if form.errors else 200


@bp.post("/rounds/<int:round_id>/unpublish")
@roles_required(*RUN_ROUNDS)
def unpublish(round_id: int) -> ResponseReturnValue:
    return action(
        round_id,
        lambda r: round_svc.unpublish_round(r, by=current_user),
        "The summary is no longer published.",
        "rounds.publish",
    )
