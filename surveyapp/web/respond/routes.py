"""Partner staff: the survey they answer (grown by the answering issue)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template

from surveyapp.extensions import db
from surveyapp.models import OpenLink

bp = Blueprint("respond", __name__, template_folder="templates")


@bp.get("/o/<slug>")
def open_link(slug: str):
    link = db.session.scalar(sa.select(OpenLink).where(OpenLink.slug == slug))
    if link is None or not link.active:
        abort(404)
    round_ = link.round
    return render_template("respond/intro.html", round=round_, link=link,
                           instrument=round_.instrument.instrument())
