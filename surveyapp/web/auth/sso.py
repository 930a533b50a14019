"""Single sign-on with OpenID Connect (Authlib's Flask client), on when ``OIDC_ISSUER`` and
``OIDC_CLIENT_ID`` are set. The provider is found by discovery; the authorisation-code flow uses
state, nonce and PKCE; Authlib checks the ID token's signature, issuer, audience, expiry and
nonce; :mod:`surveyapp.services.sso` decides the account and its role."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask.sansio.app import App
from flask.typing import ResponseReturnValue

from surveyapp.config import ConfigError
from surveyapp.extensions import db, limiter
from surveyapp.services import sso as svc
from surveyapp.services.links import public_url
from surveyapp.web.auth.routes import _login_rate_limit, _safe_next, bp, start_staff_session

_EXTENSION = "surveyapp_oidc"
_NEXT = "sso_next"
#: Seconds of clock difference tolerated between this server and the provider.
LEEWAY = 60


def init_sso(app: App) -> None:
    """Register the provider with Authlib when configured; check the role map at start-up."""
    app.add_template_global(sso_enabled)
    if not (app.config.get("OIDC_ISSUER") and app.config.get("OIDC_CLIENT_ID")):
        return
    try:
        svc.parse_role_map(app.config.get("OIDC_ROLE_MAP", ""))
    except ValueError as exc:
        raise ConfigError(f"OIDC_ROLE_MAP: {exc}") from exc
    # Imported only when single sign-on is set up: Authlib's client and requests take a large
    # part of a second to import, which every CLI command and worker would pay.
    from authlib.integrations.flask_client import OAuth

    issuer = str(app.config["OIDC_ISSUER"]).rstrip("/")
    oauth = OAuth(app)
    oauth.register(
        "sso",
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config.get("OIDC_CLIENT_SECRET") or None,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": app.config["OIDC_SCOPES"], "code_challenge_method": "S256"},
    )
    app.extensions[_EXTENSION] = oauth


def sso_enabled() -> bool:
    return _EXTENSION in current_app.extensions


def _client() -> Any:
    return current_app.extensions[_EXTENSION].sso


def _refused(message: str, status: int = 403) -> ResponseReturnValue:
    return render_template("auth/sso_refused.html", message=message), status


def _not_set_up() -> ResponseReturnValue:
    flash("Single sign-on is not set up here: log in with your email address and password.")
    return redirect(url_for("auth.login"))


@bp.get("/login/sso")
@limiter.limit(_login_rate_limit)
def sso_login() -> ResponseReturnValue:
    """Send the browser to the provider (state, nonce and PKCE verifier kept in the session)."""
    if not sso_enabled():
        return _not_set_up()
    import requests  # loaded already with Authlib's client (init_sso)
    from authlib.common.errors import AuthlibBaseError

    next_url = _safe_next(request.args.get("next"))
    redirect_uri = public_url("auth.sso_callback")
    try:
        response = _client().authorize_redirect(redirect_uri)
    except (requests.RequestException, AuthlibBaseError, ValueError) as exc:
        current_app.logger.warning("single sign-on: the provider's discovery failed: %s", exc)
        return _refused(
            "The sign-in service did not answer. Try again in a few minutes, or log in with a "
            "password if you have one.",
            502,
        )
    session[_NEXT] = next_url
    return response


@bp.get("/login/sso/callback")
@limiter.limit(_login_rate_limit)
def sso_callback() -> ResponseReturnValue:
    """The provider sends the browser back here with a code; exchange it and sign in."""
    if not sso_enabled():
        return _not_set_up()
    import requests  # loaded already with Authlib's client (init_sso)
    from authlib.common.errors import AuthlibBaseError
    from joserfc.errors import JoseError

    try:
        token = _client().authorize_access_token(
            leeway=LEEWAY,
            claims_options={
                "iss": {"essential": True, "values": [_client().load_server_metadata()["issuer"]]},
                "exp": {"essential": True},
                # Authlib checks ``aud`` only when told to (otherwise only through ``azp``).
                "aud": {"essential": True, "values": [current_app.config["OIDC_CLIENT_ID"]]},
            },
        )
    except (AuthlibBaseError, JoseError, ValueError, KeyError) as exc:
        current_app.logger.warning("single sign-on refused: %s: %s", type(exc).__name__, exc)
        return _refused(
            "The sign-in could not be completed (it may have expired, or been started in "
            "another tab). Nobody has been signed in. Start again from the log-in page.",
            400,
        )
    except requests.RequestException as exc:
        current_app.logger.warning("single sign-on: the provider did not answer: %s", exc)
        return _refused("The sign-in service did not answer. Try again in a few minutes.", 502)
    claims = token.get("userinfo")
    if not claims:
        return _refused("The sign-in service sent no ID token. Nobody has been signed in.", 400)
    config = current_app.config
    claims = dict(claims)
    if config["OIDC_ROLE_CLAIM"] not in claims or config["OIDC_EMAIL_CLAIM"] not in claims:
        try:
            extra = _client().userinfo(token=token)
        except (requests.RequestException, AuthlibBaseError, ValueError):
            extra = {}
        if extra.get("sub") == claims.get("sub"):
            claims = {**extra, **claims}
    next_url = session.pop(_NEXT, None)
    try:
        user = svc.sign_in(
            str(claims["iss"]),
            claims,
            role_claim=config["OIDC_ROLE_CLAIM"],
            role_map=svc.parse_role_map(config["OIDC_ROLE_MAP"]),
            email_claim=config["OIDC_EMAIL_CLAIM"],
            require_email_verified=bool(config["OIDC_REQUIRE_EMAIL_VERIFIED"]),
        )
    except svc.SignInRefused as refused:
        db.session.commit()  # the audit event of the refusal
        return _refused(refused.message)
    db.session.commit()
    return start_staff_session(user, _safe_next(next_url))
