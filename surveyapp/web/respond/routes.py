"""Partner staff answer a round: ``/s/<token>`` (personal invitation) and ``/o/<slug>`` (open
link). The whole survey is one plain HTML form that works without JavaScript; answers are kept as
a draft (``/draft`` in the background with JavaScript, "Save and finish later" without). The old
per-page addresses (``/<n>``) redirect to it. Views are thin: they resolve the respondent, call
the submissions service, commit once and redirect."""

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
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import generate_csrf as csrf_token
from markupsafe import escape
from werkzeug.datastructures import MultiDict

from surveyapp.extensions import db, limiter
from surveyapp.security import cookies_secure
from surveyapp.services import submissions as svc
from surveyapp.services.rounds import open_links as link_svc

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
    referrer policy, same-origin, is set for every page in :mod:`surveyapp.security`). Level
    3: the form is about 9% larger than at 6 (3.7 KB against 3.4 KB) for a third of the CPU."""
    response.headers["X-Robots-Tag"] = "noindex"
    if response.mimetype == "text/html" and response.status_code not in (204, 301, 302, 303):
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Accept-Encoding")
        if (
            "gzip" in request.headers.get("Accept-Encoding", "")
            and not response.direct_passthrough
            and "Content-Encoding" not in response.headers
        ):
            response.set_data(gzip.compress(response.get_data(), compresslevel=3))
            response.headers["Content-Encoding"] = "gzip"
    return response


#: Respondent pages that never touch the database.
_NO_DATABASE = frozenset({"respond.accessibility"})


@bp.before_request
def _read_outside_a_transaction() -> None:
    """A respondent GET only reads: its statements run in autocommit, with no transaction
    around them, which saves PostgreSQL a BEGIN and a COMMIT (two round trips) per page; and
    the teardown's ROLLBACK then has nothing to end, so psycopg keeps the statements it has
    prepared (it forgets them after a ROLLBACK) and the lookups are parsed and planned once
    per connection, not per request. Pages that read nothing (the accessibility statement)
    do not take a connection; a GET that has already begun a transaction keeps it."""
    if (
        request.method == "GET"
        and request.endpoint not in _NO_DATABASE
        and not db.session().in_transaction()
    ):
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def _problem(problem: svc.LinkProblem, **context: Any) -> tuple[str, int]:
    from surveyapp.models import OpenLink, Round

    # rare pages: the whole round is read (its closing day, its first open link's summary)
    round_ = None if problem.round is None else db.session.get(Round, problem.round.id)
    results_slug = None
    if round_ is not None and round_.published_at is not None:
        results_slug = db.session.scalar(
            sa.select(OpenLink.slug)
            .where(OpenLink.round_id == round_.id)
            .order_by(OpenLink.id)
            .limit(1)
        )
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
@bp.route("/s/<token>", methods=["GET", "POST"])
@_token_limit
def invite_intro(token: str) -> Any:
    """The whole survey on one page (the endpoint keeps its old name for links already built)."""
    return _form(
        lambda: svc.for_invitation(token),
        "respond.invite_intro",
        "respond.invite_done",
        token=token,
    )


@bp.post("/s/<token>/draft")
@_token_limit
def invite_draft(token: str) -> Any:
    return _draft(lambda: svc.for_invitation(token))


@bp.route("/s/<token>/<int:number>", methods=["GET", "POST"])
@_token_limit
def invite_step(token: str, number: int) -> Any:
    """Pages of the old multi-page form, for links and open tabs from before the one-page form."""
    return _old_step(
        lambda: svc.for_invitation(token),
        number,
        "respond.invite_intro",
        "respond.invite_done",
        token=token,
    )


@bp.get("/s/<token>/done")
@_token_limit
def invite_done(token: str) -> Any:
    receipt_key = svc.sha256("submit:" + token)
    round_ = svc.answered_invitation_round(token)
    if round_ is None:  # answered when invitations still kept a receipt
        found = svc.receipt_round(receipt_key, "")
        round_ = found[0] if found is not None else None
    return _done(receipt_key, round_)


# --- open links --------------------------------------------------------------------------------
def _open_key() -> str:
    """This browser's session key for open links, made on first use."""
    key = request.cookies.get(OPEN_COOKIE, "")
    if not (20 <= len(key) <= 64):
        key = getattr(request, "_new_open_key", "") or secrets.token_urlsafe(32)
        request._new_open_key = key  # type: ignore[attr-defined]
    return key


def _set_open_cookie(response: Any, slug: str, key: str | None = None) -> Any:
    response = current_app.make_response(response)
    key = key or _open_key()
    if request.cookies.get(OPEN_COOKIE) != key:
        response.set_cookie(
            OPEN_COOKIE,
            key,
            max_age=120 * 24 * 3600,
            path=f"/o/{slug}",
            httponly=True,
            samesite="Lax",
            secure=cookies_secure(),
        )
    return response


def _open_respondent(slug: str) -> Callable[[], svc.Respondent]:
    return lambda: svc.for_open_link(slug, _open_key())


def _limit_open_submit() -> None:
    if request.method == "POST" and request.form.get("action") == "submit":
        with limiter.limit(_open_submit_rate_limit, scope="open-link-submit"):
            pass


@bp.route("/o/<slug>", methods=["GET", "POST"])
@limiter.limit(_open_rate_limit, methods=["POST"])
def open_intro(slug: str) -> Any:
    _limit_open_submit()
    return _set_open_cookie(
        _form(_open_respondent(slug), "respond.open_intro", "respond.open_done", slug=slug), slug
    )


@bp.post("/o/<slug>/draft")
@limiter.limit(_open_rate_limit)
def open_draft(slug: str) -> Any:
    return _set_open_cookie(_draft(_open_respondent(slug)), slug)


@bp.route("/o/<slug>/<int:number>", methods=["GET", "POST"])
@limiter.limit(_open_rate_limit, methods=["POST"])
def open_step(slug: str, number: int) -> Any:
    _limit_open_submit()
    return _set_open_cookie(
        _old_step(
            _open_respondent(slug), number, "respond.open_intro", "respond.open_done", slug=slug
        ),
        slug,
    )


@bp.get("/o/<slug>/done")
def open_done(slug: str) -> Any:
    receipt_key = svc.sha256("submit:open:" + request.cookies.get(OPEN_COOKIE, ""))
    found = svc.receipt_round(receipt_key, slug)
    if found is None:
        abort(404)
    round_, shared = found
    return _done(
        receipt_key,
        round_,
        next_url=url_for("respond.open_next", slug=slug) if shared else None,
    )


@bp.post("/o/<slug>/next")
@limiter.limit(_open_rate_limit)
def open_next(slug: str) -> Any:
    """A shared-device link's "Start a new response for the next person": the previous
    person's draft is deleted and the browser gets a new key, so the form starts blank."""
    if not link_svc.start_next_person(slug, request.cookies.get(OPEN_COOKIE, "")):
        abort(404)
    db.session.commit()
    response = redirect(url_for("respond.open_intro", slug=slug), 303)
    return _set_open_cookie(response, slug, secrets.token_urlsafe(32))


def _next_person_url(problem: svc.LinkProblem, link: dict[str, Any]) -> str | None:
    """On a shared-device link already answered from this browser: where the next person
    starts (the "already answered" page offers it)."""
    slug = link.get("slug")
    if problem.kind != "completed" or not slug or not link_svc.shared_device(slug):
        return None
    return url_for("respond.open_next", slug=slug)


# --- shared views ------------------------------------------------------------------------------
def _form(
    resolve: Callable[[], svc.Respondent], form_endpoint: str, done_endpoint: str, **link: Any
) -> Any:
    """GET: the one-page form with any saved answers filled in. POST ``action=save``: keep the
    answers and say how to come back (the no-JavaScript "Save and finish later"); POST
    ``action=submit``: complete answers (those sent over the saved draft) are kept as the
    draft, in a transaction of their own, and go in; otherwise they are kept and the form
    shows what is missing (422)."""
    try:
        respondent = resolve()
    except svc.LinkProblem as problem:
        if problem.kind == "completed" and request.method == "POST":
            return redirect(url_for(done_endpoint, **link), 303)
        return _problem(problem, next_url=_next_person_url(problem, link))
    if not session.permanent:  # setting it marks the session changed: the cookie is re-sent
        session.permanent = True
    whole = svc.whole_form(respondent)
    if request.method == "GET":
        state = svc.load_draft(respondent)
        return _render_form(respondent, state, {}, form_endpoint, link)
    action = request.form.get("action", "submit")
    if action not in {"submit", "save"}:
        abort(400, "That action is not available on this page.")
    if action == "submit":
        try:
            posted = svc.posted_state(respondent, whole, _posted(), FORM_EXTRA)
        except svc.BadInput as exc:
            abort(400, exc.message)
        if not svc.step_errors(respondent, whole, posted):
            try:
                svc.keep_before_submit(respondent, posted)
            except svc.AlreadySubmitted:
                db.session.rollback()
                return redirect(url_for(done_endpoint, **link), 303)
            return _submit(respondent, posted, done_endpoint, link)
    kept = _keep(respondent, whole)
    if kept is None:
        return redirect(url_for(done_endpoint, **link), 303)
    state = kept
    if action == "save":
        db.session.commit()
        return render_template(
            "respond/saved.html",
            round=respondent.round,
            form_url=url_for(form_endpoint, _external=True, **link),
            invitation=respondent.invitation is not None,
        )
    errors = svc.step_errors(respondent, whole, state)
    if errors:
        db.session.commit()
        return _render_form(respondent, state, errors, form_endpoint, link), 422
    db.session.commit()  # the answers are kept as a draft: fall back on it if this fails
    return _submit(respondent, state, done_endpoint, link)


def _submit(
    respondent: svc.Respondent, state: svc.DraftState, done_endpoint: str, link: dict[str, Any]
) -> Any:
    """Submit complete answers (:func:`svc.submit`, which commits an invitation's first draft
    on its own before the response's transaction) and go to the thank-you page."""
    signposts = svc.signpost_domains(respondent, state)
    svc.anomalies.note_submit(respondent, request.remote_addr)
    try:
        svc.submit(respondent, state)
    except svc.AlreadySubmitted:
        db.session.rollback()
        svc.discard_draft(respondent)  # the response is in: no answers stay as a draft
    db.session.commit()
    session["respond_done"] = {
        "key": respondent.receipt_key[:16],
        "round": respondent.round.id,
        "signposts": signposts,
    }
    return redirect(url_for(done_endpoint, **link), 303)


def _posted() -> dict[str, list[str]]:
    return MultiDict(request.form).to_dict(flat=False)


def _keep(respondent: svc.Respondent, step: svc.Step) -> svc.DraftState | None:
    """Merge the posted answers for ``step`` into the draft (not yet committed). None when the
    response is already in (rolled back); a form this survey could not have sent is a 400."""
    try:
        return svc.save_page(
            respondent,
            step,
            _posted(),
            resume_at=1,
            allowed_extra=FORM_EXTRA,
            keep_missing=True,
        )
    except svc.BadInput as exc:
        db.session.rollback()
        abort(400, exc.message)
    except svc.AlreadySubmitted:
        db.session.rollback()
        return None


def _draft(resolve: Callable[[], svc.Respondent]) -> Any:
    """Background save of the whole form (``static/respond.js``): 204 when kept, 409 when the
    answers are already in, 404/403/410 when the link cannot be answered."""
    try:
        respondent = resolve()
    except svc.LinkProblem as problem:
        return "", PROBLEM_STATUS[problem.kind]
    if _keep(respondent, svc.whole_form(respondent)) is None:
        return "", 409
    db.session.commit()
    return "", 204


def _old_step(
    resolve: Callable[[], svc.Respondent],
    number: int,
    form_endpoint: str,
    done_endpoint: str,
    **link: Any,
) -> Any:
    """An old page address: GET goes to the one-page form; a POST from a tab opened before the
    change keeps that page's answers, then goes to the one-page form to finish."""
    if request.method == "GET":
        return redirect(url_for(form_endpoint, **link), 301)
    try:
        respondent = resolve()
    except svc.LinkProblem as problem:
        if problem.kind == "completed":
            return redirect(url_for(done_endpoint, **link), 303)
        return _problem(problem)
    old_steps = svc.steps(respondent)
    if not 1 <= number <= len(old_steps):
        return redirect(url_for(form_endpoint, **link), 303)
    if _keep(respondent, old_steps[number - 1]) is None:
        return redirect(url_for(done_endpoint, **link), 303)
    db.session.commit()
    return redirect(url_for(form_endpoint, **link), 303)


#: The one-page form as a newcomer sees it (nothing saved, no errors), by everything it is
#: drawn from, with placeholders for what differs per person: the CSRF token and the link.
_BLANK_FORMS: dict[tuple[Any, ...], str] = {}
_BLANK_FORMS_MAX = 64
_CSRF_SLOT, _ACTION_SLOT, _DRAFT_SLOT = "\x00csrf\x00", "\x00action\x00", "\x00draft\x00"


def _render_form(
    respondent: svc.Respondent,
    state: svc.DraftState,
    errors: dict[str, str],
    form_endpoint: str,
    link: dict[str, Any],
) -> str:
    action_url = url_for(form_endpoint, **link)
    draft_url = url_for(form_endpoint.replace("_intro", "_draft"), **link)
    blank = not (state.answers or state.about or state.comment or errors)
    if not blank or session.get("_flashes"):
        return _form_html(respondent, state, errors, action_url, draft_url, csrf_token)
    key = (
        respondent.round.key,
        respondent.invitation is not None,
        respondent.fixed_partner_type,
        respondent.fixed_locality,
        respondent.shared_device,
        current_app.config["COUNCIL_NAME"],
        current_app.config["PRIVACY_NOTICE_URL"],
    )
    html = _BLANK_FORMS.get(key)
    if html is None:
        html = _form_html(respondent, state, {}, _ACTION_SLOT, _DRAFT_SLOT, lambda: _CSRF_SLOT)
        if len(_BLANK_FORMS) >= _BLANK_FORMS_MAX:
            _BLANK_FORMS.clear()
        _BLANK_FORMS[key] = html
    return (
        html.replace(_CSRF_SLOT, escape(csrf_token()))
        .replace(_ACTION_SLOT, escape(action_url))
        .replace(_DRAFT_SLOT, escape(draft_url))
    )


def _form_html(
    respondent: svc.Respondent,
    state: svc.DraftState,
    errors: dict[str, str],
    action_url: str,
    draft_url: str,
    csrf: Callable[[], str],
) -> str:
    return render_template(
        "respond/form.html",
        respondent=respondent,
        round=respondent.round,
        instrument=respondent.instrument,
        sections=svc.steps(respondent),
        state=state,
        errors=errors,
        restored=bool(state.answers or state.about or state.comment) and not errors,
        fields=svc.form_fields(respondent, state, errors),
        action_url=action_url,
        shared_device=respondent.shared_device,
        draft_url=draft_url,
        csrf_token=csrf,
    )


def _done(receipt_key: str, round_: svc.RoundInfo | None, next_url: str | None = None) -> Any:
    """The thank-you page of the round whose response is in, with signposts when this browser
    has just submitted."""
    if round_ is None:
        abort(404)
    done = session.get("respond_done") or {}
    keys = done.get("signposts", []) if done.get("key") == receipt_key[:16] else []
    signposts = [round_.signposts[k] for k in keys if k in (round_.signposts or {})]
    return render_template(
        "respond/done.html", round=round_, signposts=signposts, next_url=next_url
    )


@bp.get("/accessibility")
def accessibility() -> str:
    """The accessibility statement every respondent page links to."""
    return render_template("respond/accessibility.html")
