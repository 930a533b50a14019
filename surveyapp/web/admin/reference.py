"""Administrators: partner types and localities (add, rename, retire, restore; never delete)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField

from surveyapp.extensions import db
from surveyapp.models import Locality, PartnerType
from surveyapp.services import ServiceError
from surveyapp.services import reference as svc
from surveyapp.web.access import ADMIN, roles_required
from surveyapp.web.admin.forms import LocalityForm, PartnerTypeForm
from surveyapp.web.admin.routes import bp
from surveyapp.web.rounds.forms import ActionForm, show_service_error


def _page(
    type_form: PartnerTypeForm | None = None,
    locality_form: LocalityForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return render_template(
        "admin/reference.html",
        partner_types=db.session.scalars(sa.select(PartnerType).order_by(PartnerType.position)),
        localities=db.session.scalars(sa.select(Locality).order_by(Locality.name)),
        type_form=type_form or PartnerTypeForm(prefix="pt"),
        locality_form=locality_form or LocalityForm(prefix="loc"),
        action=ActionForm(),
    ), status


@bp.get("/reference")
@roles_required(*ADMIN)
def reference() -> ResponseReturnValue:
    return _page()


def _save(form: FlaskForm, do: Any, done: str) -> bool:
    """Validate, run the service, commit; on a problem show it next to the field."""
    if not form.validate():
        return False
    try:
        result = do()
    except ServiceError as exc:
        db.session.rollback()
        show_service_error(form, exc)
        return False
    db.session.commit()
    flash(done.format(result=result))
    return True


@bp.post("/reference/partner-types")
@roles_required(*ADMIN)
def add_partner_type() -> ResponseReturnValue:
    form = PartnerTypeForm(prefix="pt")
    if _save(
        form,
        lambda: svc.add_partner_type(form.label.data or "", by=current_user).label,
        "Partner type “{result}” added. Leads can choose it for new rounds.",
    ):
        return redirect(url_for("admin.reference"))
    return _page(type_form=form, status=400)


@bp.post("/reference/localities")
@roles_required(*ADMIN)
def add_locality() -> ResponseReturnValue:
    form = LocalityForm(prefix="loc")
    if _save(
        form,
        lambda: svc.add_locality(form.name.data or "", by=current_user).name,
        "Locality “{result}” added. Leads can choose it for new rounds.",
    ):
        return redirect(url_for("admin.reference"))
    return _page(locality_form=form, status=400)


def _rename_page(
    item: PartnerType | Locality,
    form: PartnerTypeForm | LocalityForm,
    field: StringField,
    current: str,
    rename: Callable[[str], object],
) -> ResponseReturnValue:
    """A partner type's or locality's rename page: GET shows ``current``; POST renames."""
    if request.method == "GET":
        field.data = current
    elif _save(form, lambda: rename(field.data or ""), "Renamed."):
        return redirect(url_for("admin.reference"))
    kind = "partner type" if isinstance(item, PartnerType) else "locality"
    return render_template(
        "admin/reference_item.html", item=item, kind=kind, form=form, field=field
    ), 400 if form.errors else 200


@bp.route("/reference/partner-types/<int:item_id>", methods=["GET", "POST"])
@roles_required(*ADMIN)
def partner_type(item_id: int) -> ResponseReturnValue:
    item = db.session.get(PartnerType, item_id) or abort(404)
    form = PartnerTypeForm()
    return _rename_page(
        item,
        form,
        form.label,
        item.label,
        lambda label: svc.rename_partner_type(item, label, by=current_user),
    )


@bp.route("/reference/localities/<int:item_id>", methods=["GET", "POST"])
@roles_required(*ADMIN)
def locality(item_id: int) -> ResponseReturnValue:
    item = db.session.get(Locality, item_id) or abort(404)
    form = LocalityForm()
    return _rename_page(
        item,
        form,
        form.name,
        item.name,
        lambda name: svc.rename_locality(item, name, by=current_user),
    )


@bp.post("/reference/partner-types/<int:item_id>/active")
@roles_required(*ADMIN)
def partner_type_active(item_id: int) -> ResponseReturnValue:
    item = db.session.get(PartnerType, item_id) or abort(404)
    return _toggle(lambda active: svc.set_partner_type_active(item, active, by=current_user))


@bp.post("/reference/localities/<int:item_id>/active")
@roles_required(*ADMIN)
def locality_active(item_id: int) -> ResponseReturnValue:
    item = db.session.get(Locality, item_id) or abort(404)
    return _toggle(lambda active: svc.set_locality_active(item, active, by=current_user))


def _toggle(do: Any) -> ResponseReturnValue:
    """Retire (``active=0``) or restore (``active=1``) from a button."""
    if not ActionForm().validate():
        abort(400)
    active = request.form.get("active") == "1"
    try:
        do(active)
    except ServiceError as exc:
        db.session.rollback()
        flash(f"Not done: {exc.message}.")
    else:
        db.session.commit()
        flash(
            "Restored: leads can choose it again."
            if active
            else "Retired: no longer offered for new rounds. Rounds that use it keep it."
        )
    return redirect(url_for("admin.reference"))
