"""The rounds blueprint and what its page groups share: loading a round or link, one-button
state changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from surveyapp.extensions import db
from surveyapp.models import OpenLink, Round
from surveyapp.services import ServiceError
from surveyapp.services.links import open_link_url as public_open_link_url
from surveyapp.web.rounds.forms import ActionForm

bp = Blueprint("rounds", __name__, template_folder="templates")


def get_round(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        abort(404)
    return round_


def get_link(round_: Round, link_id: int) -> OpenLink:
    link = db.session.get(OpenLink, link_id)
    if link is None or link.round_id != round_.id:
        abort(404)
    return link


def open_link_url(link: OpenLink) -> str:
    return public_open_link_url(link.slug)


def action(
    round_id: int, do: Callable[[Round], Any], done: str, target: str = "rounds.show"
) -> WerkzeugResponse:
    """Run one state change from a button, then go back to the round page."""
    round_ = get_round(round_id)
    form = ActionForm()
    if not form.validate():
        abort(400)
    try:
        result = do(round_)
    except ServiceError as exc:
        db.session.rollback()
        flash(f"Not done: {exc.message}.")
        return redirect(url_for(target, round_id=round_id))
    db.session.commit()
    flash(done.format(result=result))
    return redirect(url_for(target, round_id=round_id))
