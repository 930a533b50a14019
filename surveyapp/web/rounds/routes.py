"""Early-help leads: build, open, invite, watch, close and publish survey rounds.

Each view parses its form, calls one service, commits once and redirects; a
:class:`~surveyapp.services.ServiceError` is shown next to its field with a 400 and nothing saved.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from jinja2 import TemplateNotFound
from wtforms.fields.choices import SelectChoice

from surveyapp.extensions import db
from surveyapp.instruments import Domain, available_instruments
from surveyapp.models import Locality, OpenLink, PartnerType, Round
from surveyapp.models.base import utcnow
from surveyapp.models.rounds import RoundStatus
from surveyapp.services import ServiceError
from surveyapp.services import invitations as invitation_svc
from surveyapp.services import mail as mail_svc
from surveyapp.services import rounds as round_svc
from surveyapp.services.audit import record
from surveyapp.services.links import open_link_url as public_open_link_url
from surveyapp.services.qr import qr_png, qr_svg, qr_svg_inline
from surveyapp.services.status import round_status
from surveyapp.timeutil import format_datetime
from surveyapp.web.access import READ_REPORTS, RUN_ROUNDS, STAFF, roles_required
from surveyapp.web.rounds.forms import (
    ActionForm,
    InvitationsUploadForm,
    OpenLinkForm,
    PublishForm,
    RoundForm,
    round_form,
    show_service_error,
)

bp = Blueprint("rounds", __name__, template_folder="templates")


def _get_round(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        abort(404)
    return round_


def _get_link(round_: Round, link_id: int) -> OpenLink:
    link = db.session.get(OpenLink, link_id)
    if link is None or link.round_id != round_.id:
        abort(404)
    return link


def open_link_url(link: OpenLink) -> str:
    return public_open_link_url(link.slug)


@bp.get("/")
@roles_required(*STAFF)
def index():
    rounds = db.session.scalars(sa.select(Round).order_by(Round.created_at.desc(), Round.id.desc()))
    return render_template(
        "rounds/index.html", rounds=list(rounds), counts=round_svc.response_counts()
    )


# --- building a round -----------------------------------------------------------------------------
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


def _render_form(form: RoundForm, round_: Round | None, status: int = 200):
    locked = {}
    if round_ is not None and round_.status == RoundStatus.OPEN.value:
        locked["opens_on"] = "The round is open, so its opening date is fixed."
        answered = round_svc.answered_count(round_)
        if answered:
            locked["instrument"] = (
                f"{answered} {'person has' if answered == 1 else 'people have'}"
                f" answered, so the questions are fixed."
            )
    return render_template("rounds/form.html", form=form, round=round_, locked=locked), status


@bp.route("/rounds/new", methods=["GET", "POST"])
@roles_required(*RUN_ROUNDS)
def new():
    form = round_form(_domains_for(None))
    _prepare(form, None)
    if request.method == "GET":
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
    return _render_form(form, None, 400)


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@roles_required(*RUN_ROUNDS)
def edit(round_id: int):
    round_ = _get_round(round_id)
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
            round_ = _get_round(round_id)
            show_service_error(form, exc)
        else:
            db.session.commit()
            flash("Changes saved." if changed else "Nothing was changed.")
            return redirect(url_for("rounds.show", round_id=round_.id))
    return _render_form(form, round_, 400)


@bp.get("/rounds/<int:round_id>")
@roles_required(*RUN_ROUNDS)
def show(round_id: int):
    round_ = _get_round(round_id)
    return render_template(
        "rounds/show.html",
        round=round_,
        form=ActionForm(),
        instrument=round_.instrument.instrument(),
        answered=round_svc.answered_count(round_),
        invitations=invitation_svc.invitation_summary(round_),
        outbox=mail_svc.outbox_summary(round_.id),
        links=[link for link in round_.open_links if link.active],
    )


def _action(round_id: int, do, done: str, target: str = "rounds.show"):
    """Run one state change from a button, then go back to the round page."""
    round_ = _get_round(round_id)
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


@bp.post("/rounds/<int:round_id>/open")
@roles_required(*RUN_ROUNDS)
def open_(round_id: int):
    return _action(
        round_id,
        lambda r: round_svc.open_round(r, by=current_user),
        "The round is open: links now accept answers.",
    )


@bp.post("/rounds/<int:round_id>/close")
@roles_required(*RUN_ROUNDS)
def close(round_id: int):
    return _action(
        round_id,
        lambda r: round_svc.close_round(r, by=current_user),
        "The round is closed: links now show a closed page.",
    )


@bp.post("/rounds/<int:round_id>/delete")
@roles_required(*RUN_ROUNDS)
def delete(round_id: int):
    round_ = _get_round(round_id)
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


# --- preview --------------------------------------------------------------------------------------
@bp.get("/rounds/<int:round_id>/preview")
@roles_required(*RUN_ROUNDS)
def preview(round_id: int):
    """The form as a respondent sees it, read-only. The respondent pages' own preview template is
    used when it exists, so the preview cannot drift from the real thing."""
    round_ = _get_round(round_id)
    instrument = round_.instrument.instrument()
    context = {
        "round": round_,
        "instrument": instrument,
        "preview": True,
        "scale": instrument.scale_def,
        "partner_types": round_.partner_types,
        "localities": round_.localities,
    }
    try:
        return render_template("respond/preview.html", **context)
    except TemplateNotFound:
        return render_template("rounds/preview.html", **context)


# --- invitations and mail -------------------------------------------------------------------------
def _invitations_page(round_: Round, upload: InvitationsUploadForm, problems=(), status=200):
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
def invitations(round_id: int):
    round_ = _get_round(round_id)
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
        return _invitations_page(_get_round(round_id), upload, exc.problems, 400)
    except ServiceError as exc:
        db.session.rollback()
        upload.file.errors = [exc.message[:1].upper() + exc.message[1:]]
        return _invitations_page(_get_round(round_id), upload, status=400)
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
def send_invitations(round_id: int):
    return _action(
        round_id,
        lambda r: invitation_svc.send_invitations(r, by=current_user),
        "{result} invitation(s) queued. Send the emails below to deliver them.",
        "rounds.invitations",
    )


@bp.post("/rounds/<int:round_id>/invitations/remind")
@roles_required(*RUN_ROUNDS)
def send_reminders(round_id: int):
    return _action(
        round_id,
        lambda r: invitation_svc.send_reminders(r, by=current_user),
        "{result} reminder(s) queued. Send the emails below to deliver them.",
        "rounds.invitations",
    )


@bp.post("/rounds/<int:round_id>/mail/send")
@roles_required(*RUN_ROUNDS)
def send_mail(round_id: int):
    round_ = _get_round(round_id)
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


# --- open links and QR codes ----------------------------------------------------------------------
def _prepare_link_form(form: OpenLinkForm, round_: Round) -> None:
    form.partner_type.choices = [
        SelectChoice("", "Any partner type (they choose)"),
        *(SelectChoice(p.slug, p.label) for p in round_.partner_types),
    ]
    form.locality.choices = [
        SelectChoice("", "Any locality (they choose)"),
        *(SelectChoice(loc.name, loc.name) for loc in round_.localities),
    ]


@bp.route("/rounds/<int:round_id>/links", methods=["GET", "POST"])
@roles_required(*RUN_ROUNDS)
def links(round_id: int):
    round_ = _get_round(round_id)
    form = OpenLinkForm()
    _prepare_link_form(form, round_)
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                round_svc.create_open_link(
                    round_,
                    partner_type_slug=form.partner_type.data or None,
                    locality_name=form.locality.data or None,
                    by=current_user,
                )
            except ServiceError as exc:
                db.session.rollback()
                round_ = _get_round(round_id)
                show_service_error(form, exc)
            else:
                db.session.commit()
                flash("Open link created.")
                return redirect(url_for("rounds.links", round_id=round_id))
        status = 400
    all_links = sorted(round_.open_links, key=lambda link: (not link.active, link.id))
    return render_template(
        "rounds/links.html",
        round=round_,
        form=form,
        action=ActionForm(),
        links=all_links,
        url_of=open_link_url,
    ), status


@bp.post("/rounds/<int:round_id>/links/<int:link_id>/deactivate")
@roles_required(*RUN_ROUNDS)
def deactivate_link(round_id: int, link_id: int):
    round_ = _get_round(round_id)
    link = _get_link(round_, link_id)
    return _action(
        round_id,
        lambda r: round_svc.deactivate_open_link(link, by=current_user),
        "The link is switched off. Anyone using it, or its QR code, is told the "
        "survey is not available.",
        "rounds.links",
    )


def _link_filename(round_: Round, link: OpenLink, ext: str) -> str:
    parts = ["round", str(round_.id)]
    if link.partner_type:
        parts.append(link.partner_type.slug)
    if link.locality:
        parts.append(link.locality.slug)
    return "-".join(parts + ["qr"]) + "." + ext


@bp.get("/rounds/<int:round_id>/links/<int:link_id>/qr.svg")
@roles_required(*RUN_ROUNDS)
def link_qr_svg(round_id: int, link_id: int):
    round_ = _get_round(round_id)
    link = _get_link(round_, link_id)
    return Response(
        qr_svg(open_link_url(link), title=round_.title),
        mimetype="image/svg+xml",
        headers={
            "Content-Disposition": "attachment; filename=" + _link_filename(round_, link, "svg")
        },
    )


@bp.get("/rounds/<int:round_id>/links/<int:link_id>/qr.png")
@roles_required(*RUN_ROUNDS)
def link_qr_png(round_id: int, link_id: int):
    round_ = _get_round(round_id)
    link = _get_link(round_, link_id)
    return Response(
        qr_png(open_link_url(link)),
        mimetype="image/png",
        headers={
            "Content-Disposition": "attachment; filename=" + _link_filename(round_, link, "png")
        },
    )


@bp.get("/rounds/<int:round_id>/links/<int:link_id>/poster")
@roles_required(*RUN_ROUNDS)
def link_poster(round_id: int, link_id: int):
    """A printable A4 page: title, why it matters, the QR code and the address."""
    round_ = _get_round(round_id)
    link = _get_link(round_, link_id)
    url = open_link_url(link)
    return render_template(
        "rounds/poster.html",
        round=round_,
        link=link,
        url=url,
        instrument=round_.instrument.instrument(),
        qr=qr_svg_inline(url, label=f"QR code for {url}"),
    )


# --- response rates -------------------------------------------------------------------------------
@bp.get("/rounds/<int:round_id>/status")
@roles_required(*READ_REPORTS)
def status(round_id: int):
    round_ = _get_round(round_id)
    return render_template(
        "rounds/status.html",
        round=round_,
        table=round_status(round_),
        updated=format_datetime(utcnow()),
    )


@bp.get("/rounds/<int:round_id>/status/table")
@roles_required(*READ_REPORTS)
def status_table(round_id: int):
    """Just the tables, fetched every few seconds by the status page to keep it live."""
    round_ = _get_round(round_id)
    response = Response(
        render_template(
            "rounds/_status_table.html",
            round=round_,
            table=round_status(round_),
            updated=format_datetime(utcnow()),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --- close and publish ----------------------------------------------------------------------------
@bp.route("/rounds/<int:round_id>/publish", methods=["GET", "POST"])
@roles_required(*RUN_ROUNDS)
def publish(round_id: int):
    round_ = _get_round(round_id)
    form = PublishForm()
    if request.method == "GET":
        form.actions_text.data = round_.actions_text
    elif form.validate():
        try:
            round_svc.publish_round(round_, form.actions_text.data, by=current_user)
        except ServiceError as exc:
            db.session.rollback()
            round_ = _get_round(round_id)
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
def unpublish(round_id: int):
    return _action(
        round_id,
        lambda r: round_svc.unpublish_round(r, by=current_user),
        "The summary is no longer published.",
        "rounds.publish",
    )
