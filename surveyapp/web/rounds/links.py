"""Open links: creating and switching off shareable links, their QR codes and posters."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from surveyapp.extensions import db
from surveyapp.models import OpenLink, Round
from surveyapp.services import ServiceError, anomalies
from surveyapp.services import rounds as round_svc
from surveyapp.services.qr import qr_png, qr_svg, qr_svg_inline
from surveyapp.web.access import RUN_ROUNDS, roles_required
from surveyapp.web.rounds.blueprint import action, bp, get_link, get_round, open_link_url
from surveyapp.web.rounds.forms import (
    ActionForm,
    OpenLinkEditForm,
    OpenLinkForm,
    show_service_error,
)


def _prepare_link_form(form: OpenLinkForm, round_: Round) -> None:
    form.partner_type.choices = [
        SelectChoice("", "Any partner type (they choose)"),
        *(SelectChoice(p.slug, p.label) for p in round_.partner_types),
    ]
    form.locality.choices = [
        SelectChoice("", "Any locality (they choose)"),
        *(SelectChoice(loc.name, loc.name) for loc in round_.localities),
    ]


def _save(
    form: OpenLinkEditForm, do: Callable[[], object], message: str, round_id: int
) -> ResponseReturnValue | None:
    """Validate the form and run ``do``: the redirect back to the links page when done, None
    (the form shows why) when not."""
    if not form.validate():
        return None
    try:
        do()
    except ServiceError as exc:
        db.session.rollback()
        show_service_error(form, exc)
        return None
    db.session.commit()
    flash(message)
    return redirect(url_for("rounds.links", round_id=round_id))


@bp.route("/rounds/<int:round_id>/links", methods=["GET", "POST"])
@roles_required(*RUN_ROUNDS)
def links(round_id: int) -> ResponseReturnValue:
    round_ = get_round(round_id)
    form = OpenLinkForm()
    _prepare_link_form(form, round_)
    status = 200
    if request.method == "POST":
        done = _save(
            form,
            lambda: round_svc.create_open_link(
                round_,
                partner_type_slug=form.partner_type.data or None,
                locality_name=form.locality.data or None,
                name=form.name.data,
                shared_device=bool(form.shared_device.data),
                by=current_user,
            ),
            "Open link created.",
            round_id,
        )
        if done is not None:
            return done
        round_ = get_round(round_id)
        status = 400
    all_links = sorted(round_.open_links, key=lambda link: (not link.active, link.id))
    return render_template(
        "rounds/links.html",
        round=round_,
        form=form,
        action=ActionForm(),
        links=all_links,
        url_of=open_link_url,
        counts=round_svc.open_link_counts(round_),
        flags={link.id: anomalies.flag_counts(link) for link in all_links},
        reasons=list(anomalies.REASONS.values()),
    ), status


@bp.route("/rounds/<int:round_id>/links/<int:link_id>/edit", methods=["GET", "POST"])
@roles_required(*RUN_ROUNDS)
def edit_link(round_id: int, link_id: int) -> ResponseReturnValue:
    """Rename a link, or switch its shared-device setting."""
    round_ = get_round(round_id)
    link = get_link(round_, link_id)
    form = OpenLinkEditForm(obj=link) if request.method == "GET" else OpenLinkEditForm()
    status = 200
    if request.method == "POST":
        done = _save(
            form,
            lambda: round_svc.update_open_link(
                link,
                name=form.name.data,
                shared_device=bool(form.shared_device.data),
                by=current_user,
            ),
            "Open link saved.",
            round_id,
        )
        if done is not None:
            return done
        status = 400
    return render_template(
        "rounds/link_edit.html", round=round_, link=link, form=form, url=open_link_url(link)
    ), status


@bp.post("/rounds/<int:round_id>/links/<int:link_id>/flags/<flag>/<any(exclude,include):what>")
@roles_required(*RUN_ROUNDS)
def link_flag(round_id: int, link_id: int, flag: str, what: str) -> ResponseReturnValue:
    """Exclude a link's responses with one flag from every report, or include them again."""
    round_ = get_round(round_id)
    link = get_link(round_, link_id)
    if flag not in anomalies.REASONS:
        abort(404)
    excluded = what == "exclude"
    return action(
        round_id,
        lambda r: anomalies.set_excluded(link, flag, excluded, by=current_user),
        "{result} flagged response(s) "
        + ("excluded from the report." if excluded else "included in the report again."),
        "rounds.links",
    )


@bp.post("/rounds/<int:round_id>/links/<int:link_id>/deactivate")
@roles_required(*RUN_ROUNDS)
def deactivate_link(round_id: int, link_id: int) -> ResponseReturnValue:
    round_ = get_round(round_id)
    link = get_link(round_, link_id)
    return action(
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
def link_qr_svg(round_id: int, link_id: int) -> ResponseReturnValue:
    round_ = get_round(round_id)
    link = get_link(round_, link_id)
    return Response(
        qr_svg(open_link_url(link), title=round_.title),
        mimetype="image/svg+xml",
        headers={
            "Content-Disposition": "attachment; filename=" + _link_filename(round_, link, "svg")
        },
    )


@bp.get("/rounds/<int:round_id>/links/<int:link_id>/qr.png")
@roles_required(*RUN_ROUNDS)
def link_qr_png(round_id: int, link_id: int) -> ResponseReturnValue:
    round_ = get_round(round_id)
    link = get_link(round_, link_id)
    return Response(
        qr_png(open_link_url(link)),
        mimetype="image/png",
        headers={
            "Content-Disposition": "attachment; filename=" + _link_filename(round_, link, "png")
        },
    )


@bp.get("/rounds/<int:round_id>/links/<int:link_id>/poster")
@roles_required(*RUN_ROUNDS)
def link_poster(round_id: int, link_id: int) -> ResponseReturnValue:
    """A printable A4 page: title, why it matters, the QR code and the address."""
    round_ = get_round(round_id)
    link = get_link(round_, link_id)
    url = open_link_url(link)
    return render_template(
        "rounds/poster.html",
        round=round_,
        link=link,
        url=url,
        instrument=round_.instrument.instrument(),
        qr=qr_svg_inline(url, label=f"QR code for {url}"),
    )
