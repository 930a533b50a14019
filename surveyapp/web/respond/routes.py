"""Partner staff answer a round: ``/s/<token>`` (personal invitation) and ``/o/<slug>`` (open
link). Plain HTML forms, one domain per page, every page saved as a draft; works without
JavaScript. Views are thin: they resolve the respondent, call the submissions service, commit once
and redirect."""

from __future__ import annotations

import gzip
import secrets
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.datastructures import MultiDict

from surveyapp.extensions import db, limiter
from surveyapp.security import cookies_secure
from surveyapp.services import submissions as svc

bp = Blueprint("respond", __name__, template_folder="templates")

#: Largest form body a respondent page accepts (the comment is at most 2,000 characters).
MAX_BODY = 32 * 1024
#: Cookie holding an open-link browser's random session key (scoped to the link's path).
OPEN_COOKIE = "respondent"
#: Form keys every page may send besides its questions.
FORM_EXTRA = frozenset({"csrf_token", "action"})

#: Link problem -> HTTP status of the friendly page that explains it.
PROBLEM_STATUS: dict[str, int] = {
    "unknown": 404,
    "withdrawn": 404,
    "not_open": 403,
    "closed": 410,
    "completed": 409,
}


def _open_rate_limit() -> str:
    return current_app.config["OPEN_LINK_RATE_LIMIT"]


def _open_submit_rate_limit() -> str:
    return current_app.config["OPEN_LINK_SUBMIT_RATE_LIMIT"]


def _token_rate_limit() -> str:
    """Requests to invitation links per client address, all pages together
    (``TOKEN_LINK_RATE_LIMIT``). Tokens hold 256 random bits, so guessing is hopeless anyway:
    this stops one client from loading the app with requests for made-up links."""
    return current_app.config["TOKEN_LINK_RATE_LIMIT"]


_token_limit = limiter.shared_limit(_token_rate_limit, scope="token-link")


@bp.before_request
def _limit_body() -> None:
    if request.method == "POST" and (request.content_length or 0) > MAX_BODY:
        abort(413)


@bp.after_request
def _headers(response: Response) -> Response:
    """No caching or indexing of pages whose address holds a token, and gzip for HTML (the
    referrer policy, same-origin, is set for every page in :mod:`surveyapp.security`)."""
    response.headers["X-Robots-Tag"] = "noindex"
    if response.mimetype == "text/html" and response.status_code not in (204, 301, 302, 303):
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Accept-Encoding")
        if (
            "gzip" in request.headers.get("Accept-Encoding", "")
            and not response.direct_passthrough
            and "Content-Encoding" not in response.headers
        ):
            response.set_data(gzip.compress(response.get_data(), compresslevel=6))
            response.headers["Content-Encoding"] = "gzip"
    return response


def _problem(problem: svc.LinkProblem, **context: Any) -> tuple[str, int]:
    round_ = problem.round
    results_slug = None
    if round_ is not None and round_.published_at is not None and round_.open_links:
        results_slug = round_.open_links[0].slug
    return (
        render_template(
            "respond/problem.html",
            kind=problem.kind,
            round=round_,
            results_slug=results_slug,
            **context,
        ),
        PROBLEM_STATUS[problem.kind],
    )


# --- invitation links --------------------------------------------------------------------------
@bp.get("/s/<token>")
@_token_limit
def invite_intro(token: str):
    return _intro(lambda: svc.for_invitation(token), "respond.invite_step", token=token)


@bp.route("/s/<token>/<int:number>", methods=["GET", "POST"])
@_token_limit
def invite_step(token: str, number: int):
    return _step(
        lambda: svc.for_invitation(token),
        number,
        "respond.invite_step",
        "respond.invite_done",
        token=token,
    )


@bp.get("/s/<token>/done")
@_token_limit
def invite_done(token: str):
    return _done(svc.sha256("submit:" + token), svc.answered_invitation_round(token))


# --- open links --------------------------------------------------------------------------------
def _open_key() -> str:
    """This browser's session key for open links, made on first use."""
    key = request.cookies.get(OPEN_COOKIE, "")
    if not (20 <= len(key) <= 64):
        key = getattr(request, "_new_open_key", "") or secrets.token_urlsafe(32)
        request._new_open_key = key  # type: ignore[attr-defined]
    return key


def _set_open_cookie(response: Any, slug: str) -> Any:
    response = current_app.make_response(response)
    if request.cookies.get(OPEN_COOKIE) != _open_key():
        response.set_cookie(
            OPEN_COOKIE,
            _open_key(),
            max_age=120 * 24 * 3600,
            path=f"/o/{slug}",
            httponly=True,
            samesite="Lax",
            secure=cookies_secure(),
        )
    return response


def _open_respondent(slug: str) -> Callable[[], svc.Respondent]:
    return lambda: svc.for_open_link(slug, _open_key())


@bp.get("/o/<slug>")
def open_intro(slug: str):
    return _set_open_cookie(_intro(_open_respondent(slug), "respond.open_step", slug=slug), slug)


@bp.route("/o/<slug>/<int:number>", methods=["GET", "POST"])
@limiter.limit(_open_rate_limit, methods=["POST"])
def open_step(slug: str, number: int):
    if request.method == "POST" and request.form.get("action") == "submit":
        with limiter.limit(_open_submit_rate_limit, scope="open-link-submit"):
            pass
    return _set_open_cookie(
        _step(_open_respondent(slug), number, "respond.open_step", "respond.open_done", slug=slug),
        slug,
    )


@bp.get("/o/<slug>/done")
def open_done(slug: str):
    return _done(svc.sha256("submit:open:" + request.cookies.get(OPEN_COOKIE, "")))


# --- shared views ------------------------------------------------------------------------------
def _intro(resolve: Callable[[], svc.Respondent], step_endpoint: str, **link: Any):
    try:
        respondent = resolve()
    except svc.LinkProblem as problem:
        return _problem(problem)
    state = svc.load_draft(respondent)
    all_steps = svc.steps(respondent)
    if state.page > 1 or state.answers:
        flash("Welcome back. Your answers so far are saved.")
        return redirect(url_for(step_endpoint, number=min(state.page, len(all_steps)), **link), 303)
    session.permanent = True
    return render_template(
        "respond/intro.html",
        respondent=respondent,
        round=respondent.round,
        instrument=respondent.instrument,
        steps=all_steps,
        start_url=url_for(step_endpoint, number=1, **link),
    )


def _step(
    resolve: Callable[[], svc.Respondent],
    number: int,
    step_endpoint: str,
    done_endpoint: str,
    **link: Any,
):
    try:
        respondent = resolve()
    except svc.LinkProblem as problem:
        if problem.kind == "completed" and request.method == "POST":
            return redirect(url_for(done_endpoint, **link), 303)
        return _problem(problem)
    all_steps = svc.steps(respondent)
    if not 1 <= number <= len(all_steps):
        abort(404)
    step = all_steps[number - 1]
    session.permanent = True
    if request.method == "GET":
        state = svc.load_draft(respondent)
        errors = svc.step_errors(respondent, step, state) if request.args.get("check") else {}
        return _render_step(respondent, step, all_steps, state, errors, step_endpoint, link)

    action = request.form.get("action", "next")
    last = number == len(all_steps)
    if action not in {"next", "back", "save"} | ({"submit"} if last else set()):
        abort(400, "That action is not available on this page.")
    resume_at = {"back": max(number - 1, 1), "save": number}.get(
        action, min(number + 1, len(all_steps))
    )
    try:
        state = svc.save_page(
            respondent,
            step,
            MultiDict(request.form).to_dict(flat=False),
            resume_at=resume_at,
            forward=action in {"next", "submit"},
            allowed_extra=FORM_EXTRA,
        )
    except svc.BadInput as exc:
        db.session.rollback()
        abort(400, exc.message)
    except svc.AlreadySubmitted:
        db.session.rollback()
        return redirect(url_for(done_endpoint, **link), 303)
    if action == "save":
        db.session.commit()
        return "", 204
    if action == "back":
        db.session.commit()
        return redirect(url_for(step_endpoint, number=resume_at, **link), 303)
    errors = svc.step_errors(respondent, step, state)
    if errors:
        db.session.commit()
        return _render_step(respondent, step, all_steps, state, errors, step_endpoint, link), 422
    if action == "next":
        db.session.commit()
        return redirect(url_for(step_endpoint, number=resume_at, **link), 303)
    signposts = svc.signpost_domains(respondent, state)
    round_id = respondent.round.id  # read before the commit expires it
    try:
        svc.submit(respondent, state)
    except svc.Incomplete as problem:
        db.session.commit()
        return redirect(url_for(step_endpoint, number=problem.step, check=1, **link), 303)
    except svc.AlreadySubmitted:
        db.session.rollback()
    else:
        db.session.commit()
    session["respond_done"] = {
        "key": respondent.receipt_key[:16],
        "round": round_id,
        "signposts": signposts,
    }
    return redirect(url_for(done_endpoint, **link), 303)


def _render_step(
    respondent: svc.Respondent,
    step: svc.Step,
    all_steps: list[svc.Step],
    state: svc.DraftState,
    errors: dict[str, str],
    step_endpoint: str,
    link: dict[str, Any],
) -> str:
    return render_template(
        "respond/step.html",
        respondent=respondent,
        round=respondent.round,
        instrument=respondent.instrument,
        step=step,
        total=len(all_steps),
        state=state,
        errors=errors,
        choices={q.id: svc.about_choices(respondent, q) for q in step.about},
        action_url=url_for(step_endpoint, number=step.number, **link),
        back_url=url_for(step_endpoint, number=step.number - 1, **link)
        if step.number > 1
        else None,
        last=step.number == len(all_steps),
    )


def _done(receipt_key: str, answered: Any = None):
    """The thank-you page, with signposts when this browser has just submitted; ``answered``
    is the round of an invitation whose response is in (invitations have no receipt)."""
    from surveyapp.models import Round, SubmissionReceipt

    round_ = answered or db.session.scalar(
        sa.select(Round)
        .join(SubmissionReceipt, SubmissionReceipt.round_id == Round.id)
        .where(SubmissionReceipt.key_hash == receipt_key)
    )
    if round_ is None:
        abort(404)
    done = session.get("respond_done") or {}
    keys = done.get("signposts", []) if done.get("key") == receipt_key[:16] else []
    signposts = [round_.signposts[k] for k in keys if k in (round_.signposts or {})]
    return render_template("respond/done.html", round=round_, signposts=signposts)


@bp.get("/accessibility")
def accessibility():
    """The accessibility statement every respondent page links to."""
    return render_template("respond/accessibility.html")
