"""Early-help leads and managers: the list of rounds (the staff home page)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template

from surveyapp.extensions import db
from surveyapp.models import Round
from surveyapp.services.rounds import response_counts
from surveyapp.web.access import STAFF, roles_required

bp = Blueprint("rounds", __name__, template_folder="templates")


@bp.get("/")
@roles_required(*STAFF)
def index():
    rounds = db.session.scalars(sa.select(Round).order_by(Round.created_at.desc(), Round.id.desc()))
    return render_template("rounds/index.html", rounds=list(rounds), counts=response_counts())
