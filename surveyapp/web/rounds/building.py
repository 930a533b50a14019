"""Building a round: the list of rounds, the round form (new and edit), the round page, the
lifecycle buttons (open, close, delete) and the respondent preview."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from jinja2 import TemplateNotFound
from wtforms.fields.choices import SelectChoice

from surveyapp.extensions import db
from surveyapp.instruments import Domain, available_instruments
from surveyapp.instruments.questions import Offer, question_type
from surveyapp.models import Locality, PartnerType, Round
from surveyapp.models.rounds import RoundStatus
from surveyapp.services import ServiceError
from surveyapp.services import invitations as invitation_svc
from surveyapp.services import mail as mail_svc
from surveyapp.services import rounds as round_svc
from surveyapp.web import DB_INT_MAX
from surveyapp.web.access import RUN_ROUNDS, STAFF, roles_required
from surveyapp.web.rounds.blueprint import action, bp, get_round
from surveyapp.web.rounds.forms import (
    ActionForm,
    RoundForm,
    round_form,
    show_service_error,
    show_service_errors,
)


@bp.get("/")
@roles_required(*STAFF)
def index() -> ResponseReturnValue:
    rounds = db.session.scalars(sa.select(Round).order_by(Round.created_at.desc(), Round.id.desc()))
    return render_template(
        "rounds/index.html", rounds=list(rounds), counts=round_svc.response_counts()
    )


def _domains_for(round_: Round | None) -> tuple[Domain, ...]:
    """Signpost fields for the round's own instrument, or every shipped instrument's domains."""
    if round_ is not None:
        return round_.instrument.instrument().domains
    seen: dict[str, Domain] = {}
    for instrument in available_instruments():
        for domain in instrument.domains:
            seen.setdefault(domain.key, domain)
    return tuple(seen.values())


def _prepare(form: RoundForm, round_: Round | None) -> None:
    """Choices that come from the database."""
    form.instrument.choices = [
        SelectChoice(i.ref, f"{i.title} (version {i.version})") for i in available_instruments()
    ]
    types = db.session.scalars(sa.select(PartnerType).order_by(PartnerType.position)).all()
    chosen = set(round_.partner_types) if round_ else set()
    form.partner_types.choices = [
        SelectChoice(p.slug, p.label) for p in types if p.active or p in chosen
    ]
    localities = db.session.scalars(sa.select(Locality).order_by(Locality.name)).all()
    chosen_loc = set(round_.localities) if round_ else set()
    form.localities.choices = [
        SelectChoice(loc.name, loc.name) for loc in localities if loc.active or loc in chosen_loc
    ]
    others = db.session.scalars(
        sa.select(Round).where(Round.id != (round_.id if round_ else -1)).order_by(Round.id.desc())
    ).all()
    form.compared_round_id.choices = [
        SelectChoice("", "The latest closed round of the same questionnaire"),
        *(SelectChoice(str(r.id), f"{r.title} ({r.status})") for r in others),
    ]


def _render_form(form: RoundForm, round_: Round | None, status: int = 200) -> ResponseReturnValue:
    locked = {}
    if round_ is not None and round_.status == RoundStatus.OPEN.value:
        locked["opens_on"] = "The round is open, so its opening date is fixed."
        answered = round_svc.answered_count(round_)
        if answered:
            locked["instrument"] = (
                f"{answered} {'person has' if answered == 1 else 'people have'}"
                f" answered, so the questions are fixed."
            )
    newest_first = sa.select(Round).order_by(Round.created_at.desc(), Round.id.desc())
    earlier = db.session.scalars(newest_first).all() if round_ is None else []
    return render_template(
        "rounds/form.html", form=form, round=round_, locked=locked, earlier=earlier
    ), status


def _copy_source() -> Round | None:
    """The round named by ``?copy_from=ID``, if any (an unknown one is a 404)."""
    copy_from = request.args.get("copy_from", type=int)
    if copy_from is None:
        return None
    return get_round(copy_from) if 0 < copy_from <= DB_INT_MAX else abort(404)


@bp.route("/rounds/new", methods=["GET", "POST"])
@roles_required(*RUN_ROUNDS)
def new() -> ResponseReturnValue:
    form = round_form(_domains_for(None))
    _prepare(form, None)
    if request.method == "GET":
        source = _copy_source()
        if source is not None:
            form.fill_from(round_svc.settings_copied_from(source))
            form.title.data = ""
            flash(f"Settings copied from “{source.title}”. Give the new round a title and dates.")
        else:
            form.partner_types.data = [c.value for c in form.partner_types.choices]
            form.instrument.data = form.instrument.choices[-1].value
            form.fill_wording_defaults()
        return _render_form(form, None)
    if form.validate():
        try:
            round_ = round_svc.create_round_from(form.settings(), by=current_user)
        except ServiceError as exc:
            db.session.rollback()
            show_service_error(form, exc)
        else:
            db.session.commit()
            flash(f"Round “{round_.title}” created as a draft.")
            return redirect(url_for("rounds.show", round_id=round_.id))
    else:
        show_service_errors(form, round_svc.settings_problems(form.settings()))
    return _render_form(form, None, 400)


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@roles_required(*RUN_ROUNDS)
def edit(round_id: int) -> ResponseReturnValue:
    round_ = get_round(round_id)
    if round_.status == RoundStatus.CLOSED.value:
        flash("This round is closed, so its settings can no longer change.")
        return redirect(url_for("rounds.show", round_id=round_.id))
    form = round_form(_domains_for(round_))
    _prepare(form, round_)
    if request.method == "GET":
        form.fill_from(round_svc.RoundSettings.of(round_))
        return _render_form(form, round_)
    if form.validate():
        try:
            changed = round_svc.update_round(round_, form.settings(), by=current_user)
        except ServiceError as exc:
            db.session.rollback()
            round_ = get_round(round_id)
            show_service_error(form, exc)
        else:
            db.session.commit()
            flash("Changes saved." if changed else "Nothing was changed.")
            return redirect(url_for("rounds.show", round_id=round_.id))
    else:
        show_service_errors(form, round_svc.settings_problems(form.settings(), round_))
    return _render_form(form, round_, 400)


@bp.get("/rounds/<int:round_id>")
@roles_required(*RUN_ROUNDS)
def show(round_id: int) -> ResponseReturnValue:
    round_ = get_round(round_id)
    return render_template(
        "rounds/show.html",
        round=round_,
        form=ActionForm(),
        instrument=round_.instrument.instrument(),
        answered=round_svc.answered_count(round_),
        invitations=invitation_svc.invitation_summary(round_),
        outbox=mail_svc.outbox_summary(round_.id),
        links=[link for link in round_.open_links if link.active],
        can_reopen=round_svc.can_reopen(round_),
    )


@bp.post("/rounds/<int:round_id>/open")
@roles_required(*RUN_ROUNDS)
def open_(round_id: int) -> ResponseReturnValue:
    return action(
        round_id,
        lambda r: round_svc.open_round(r, by=current_user),
        "The round is open: links now accept answers.",
    )


@bp.route("/rounds/<int:round_id>/close", methods=["GET", "POST"])
@roles_required(*RUN_ROUNDS)
def close(round_id: int) -> ResponseReturnValue:
    """Asks first (what closing means, and until when it can be undone), then closes."""
    if request.method == "POST":
        return action(
            round_id,
            lambda r: round_svc.close_round(r, by=current_user),
            "The round is closed: links now show a closed page.",
        )
    round_ = get_round(round_id)
    return _confirm(
        round_,
        "close",
        RoundStatus.OPEN,
        "Only an open round can be closed.",
        invitations=invitation_svc.invitation_summary(round_),
    )


def _confirm(
    round_: Round, action_: str, status: RoundStatus, refusal: str, **context: Any
) -> ResponseReturnValue:
    """The page that asks before ``action_``; back to the round, with ``refusal``, unless the
    round is in ``status``."""
    if round_.status != status.value:
        flash(refusal)
        return redirect(url_for("rounds.show", round_id=round_.id))
    return render_template(
        "rounds/confirm.html",
        round=round_,
        action=action_,
        answered=round_svc.answered_count(round_),
        **context,
    )


@bp.post("/rounds/<int:round_id>/reopen")
@roles_required(*RUN_ROUNDS)
def reopen(round_id: int) -> ResponseReturnValue:
    return action(
        round_id,
        lambda r: round_svc.reopen_round(r, by=current_user),
        "The round is open again: links accept answers until its closing date.",
    )


@bp.route("/rounds/<int:round_id>/delete", methods=["GET", "POST"])
@roles_required(*RUN_ROUNDS)
def delete(round_id: int) -> ResponseReturnValue:
    """Asks first (what would be deleted), then deletes the draft."""
    round_ = get_round(round_id)
    if request.method == "GET":
        return _confirm(
            round_,
            "delete",
            RoundStatus.DRAFT,
            "Only a draft round can be deleted.",
            invitations=invitation_svc.invitation_summary(round_),
        )
    if not ActionForm().validate():
        abort(400)
    title = round_.title
    try:
        round_svc.delete_round(round_, by=current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(f"Not deleted: {exc.message}.")
        return redirect(url_for("rounds.show", round_id=round_id))
    db.session.commit()
    flash(f"Round “{title}” deleted.")
    return redirect(url_for("rounds.index"))


@bp.get("/rounds/<int:round_id>/preview")
@roles_required(*RUN_ROUNDS)
def preview(round_id: int) -> ResponseReturnValue:
    """The form as a respondent sees it, read-only. The respondent pages' own preview template is
    used when it exists, so the preview cannot drift from the real thing."""
    round_ = get_round(round_id)
    instrument = round_.instrument.instrument()
    offer = Offer(
        tuple((p.slug, p.label) for p in round_.partner_types),
        tuple((loc.slug, loc.name) for loc in round_.localities),
    )
    context = {
        "round": round_,
        "instrument": instrument,
        "preview": True,
        "scale": instrument.scale_def,
        "about_fields": [question_type(q).field(offer) for q in instrument.about],
        "partner_types": round_.partner_types,
        "localities": round_.localities,
    }
    try:
        return render_template("respond/preview.html", **context)
    except TemplateNotFound:
        return render_template("rounds/preview.html", **context)
